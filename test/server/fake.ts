/**
 * A fast, exactly predictable explainer for the server tests: clusters cycle through K = 4 in
 * windows of 0.25 s (combined), 0.125 s (B1), 0.5 s (B2), 1 s (B3) and 2 s (B4), for the blocks it
 * is told to hold (default B2, B3, B4); record "recNN" has the constant entropy ((NN % 10) + 0.5) / 10
 * and predicts class NN % 5; its label is that class too except for every third record
 * (NN % 3 === 0), labelled with the next class. Its Grad-CAM of class j is a Gaussian bump of
 * height GRADCAM_PEAK centred at 1 + 2j seconds (fakeGradcam). With `states`, it has two levels:
 * each combined cluster's 0.25 s window holds state 0 then state 1 (0.125 s each), leaf
 * 2 x cluster + state, named FAKE_LEAVES, with half the record's entropy as state entropy.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { NotFoundError } from "../../src/errors.js";
import { segmentsOf, type Explanation } from "../../src/explain/explanation.js";
import type { Explainer } from "../../src/server/explainer.js";
import { STANDARD_LEADS, type EcgRecord } from "../../src/types.js";

export const CLASSES = ["NORM", "MI", "STTC", "CD", "HYP"];
export const K = 4;
export const WINDOWS: Record<string, number> = {
  combined: 0.25,
  B1: 0.125,
  B2: 0.5,
  B3: 1,
  B4: 2,
};
export const DEFAULT_BLOCKS = ["B2", "B3", "B4"];
/** Height of the fake Grad-CAM bump: not 1, so scaling to the maximum is seen to happen. */
export const GRADCAM_PEAK = 0.02;

const WAVES = ["P", "QRS", "T", "TP"];
/** The leaves of the two-level fake: "C1 QRS · S0-like". */
export const FAKE_LEAVES = {
  names: Array.from({ length: 2 * K }, (_, l) => `C${l >> 1} ${WAVES[l >> 1]} · S${l % 2}-like`),
  waves: Array.from({ length: 2 * K }, (_, l) => l >> 1),
};

/** The two-level fake's state and leaf per sample. */
export function fakeLeaf(i: number, fs: number): { state: number; leaf: number } {
  const state = Math.floor(i / fs / 0.125) % 2;
  return { state, leaf: 2 * (Math.floor(i / fs / WINDOWS.combined) % K) + state };
}

export function fakeEntropy(n: number): number {
  return ((n % 10) + 0.5) / 10;
}

export function fakeLabel(n: number): string {
  return CLASSES[(n + (n % 3 === 0 ? 1 : 0)) % 5];
}

/** 12 leads of sines, lead l scaled by (l + 1) / 10 so each lead is told apart by its amplitude. */
export function fakeRecord(name: string, fs = 100, seconds = 10): EcgRecord {
  const samples = Math.round(fs * seconds);
  const signal = new Float32Array(12 * samples);
  for (let l = 0; l < 12; l++) {
    for (let i = 0; i < samples; i++) {
      signal[l * samples + i] = ((l + 1) / 10) * Math.sin((2 * Math.PI * 1.2 * i) / fs);
    }
  }
  return { name, fs, samples, leads: [...STANDARD_LEADS], units: Array(12).fill("mV"), signal };
}

function clustersFor(samples: number, fs: number, window: number): number[] {
  return Array.from({ length: samples }, (_, i) => Math.floor(i / fs / window) % K);
}

function proportions(clusters: number[]): number[] {
  const p = new Array<number>(K).fill(0);
  for (const c of clusters) p[c] += 1 / clusters.length;
  return p;
}

/** Seconds at which the fake Grad-CAM of class index j peaks. */
export function gradcamCentre(j: number): number {
  return 1 + 2 * j;
}

export function fakeGradcam(record: EcgRecord, target: string): Float32Array {
  const j = CLASSES.indexOf(target);
  if (j < 0) throw new Error(`fake Grad-CAM: unknown target ${target}`);
  const out = new Float32Array(record.samples);
  for (let i = 0; i < out.length; i++) {
    const d = i / record.fs - gradcamCentre(j);
    out[i] = GRADCAM_PEAK * Math.exp(-(d * d) / (2 * 0.3 * 0.3));
  }
  return out;
}

export function fakeExplain(
  record: EcgRecord,
  blockNames = DEFAULT_BLOCKS,
  states = false,
): Explanation {
  const n = Number(/(\d+)$/.exec(record.name)?.[1] ?? 0);
  const h = fakeEntropy(n);
  const entropy = new Array<number>(record.samples).fill(h);
  const clusters = clustersFor(record.samples, record.fs, WINDOWS.combined);
  const blocks: Explanation["blocks"] = {};
  for (const b of blockNames) {
    const c = clustersFor(record.samples, record.fs, WINDOWS[b]);
    blocks[b] = { clusters: c, entropy, proportions: proportions(c) };
  }
  const outputs: Record<string, number> = {};
  CLASSES.forEach((c, i) => (outputs[c] = i === n % 5 ? 0.9 : 0.1));
  return {
    record: record.name,
    fs: record.fs,
    samples: record.samples,
    outputs,
    labels: [CLASSES[n % 5]],
    clusters,
    entropy,
    segments: segmentsOf(clusters, entropy),
    proportions: proportions(clusters),
    softProportions: proportions(clusters),
    meanEntropy: h,
    ...(blockNames.length ? { blocks } : {}),
    ...(states ? twoLevel(record, h / 2) : {}),
  };
}

function twoLevel(record: EcgRecord, h: number): Partial<Explanation> {
  const at = Array.from({ length: record.samples }, (_, i) => fakeLeaf(i, record.fs));
  const leaves = at.map((a) => a.leaf);
  const leafProportions = new Array<number>(2 * K).fill(0);
  for (const l of leaves) leafProportions[l] += 1 / leaves.length;
  return {
    states: at.map((a) => a.state),
    leaves,
    stateEntropy: leaves.map(() => h),
    leafProportions,
    softLeafProportions: leafProportions,
    meanStateEntropy: h,
  };
}

export function fakeExplainer(
  opts: {
    n?: number;
    delayMs?: number;
    blocks?: string[];
    gradcam?: boolean;
    states?: boolean;
  } = {},
): Explainer & {
  calls: number;
  gradcamCalls: number;
} {
  const n = opts.n ?? 30;
  const blocks = opts.blocks ?? DEFAULT_BLOCKS;
  const entries = Array.from({ length: n }, (_, i) => ({
    id: `rec${String(i).padStart(2, "0")}`,
    labels: [fakeLabel(i)],
    fold: (i % 10) + 1,
  }));
  const ex = {
    classes: CLASSES,
    thresholds: CLASSES.map(() => 0.5),
    k: K,
    clusterWaves: WAVES,
    blocks,
    ...(opts.states ? { leaves: FAKE_LEAVES } : {}),
    entries,
    calls: 0,
    gradcamCalls: 0,
    async readEntry(id: string) {
      if (!entries.some((e) => e.id === id)) throw new NotFoundError(`record '${id}' not found`);
      return fakeRecord(id);
    },
    async explain(record: EcgRecord) {
      ex.calls++;
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      return fakeExplain(record, blocks, opts.states);
    },
    // B4 peaks at gradcamCentre(class); B3 is zero everywhere, as real maps below the last block
    // often are.
    gradcam:
      opts.gradcam === false
        ? undefined
        : async (record: EcgRecord, target: string, tap = "B4") => {
            ex.gradcamCalls++;
            if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
            const samples =
              tap === "B4" ? fakeGradcam(record, target) : new Float32Array(record.samples);
            return { tap, target, samples };
          },
    gradcamTaps: opts.gradcam === false ? undefined : ["B3", "B4"],
    gradcamTap: opts.gradcam === false ? undefined : "B4",
  };
  return ex;
}

/**
 * A minimal WFDB reader (format 16 only) standing in for io's readRecord in plumbing tests: it
 * reads exactly the files the (rewritten) header names, next to the header.
 */
export function readFormat16(path: string): EcgRecord {
  const text = readFileSync(path + ".hea", "latin1");
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith("#"));
  const [name, nsig, fs, samples] = lines[0].trim().split(/\s+/);
  const nLeads = Number(nsig);
  const n = Number(samples);
  const leads: string[] = [];
  const gains: number[] = [];
  const units: string[] = [];
  let data: Buffer | null = null;
  for (let l = 0; l < nLeads; l++) {
    const f = lines[1 + l].trim().split(/\s+/);
    if (f[1] !== "16") throw new Error(`format ${f[1]} not supported by the test reader`);
    data ??= readFileSync(join(dirname(path), f[0]));
    gains.push(Number(f[2].split(/[(/]/)[0]));
    units.push(f[2].split("/")[1] ?? "mV");
    leads.push(f[f.length - 1]);
  }
  const signal = new Float32Array(nLeads * n);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < nLeads; l++) {
      signal[l * n + i] = data!.readInt16LE(2 * (i * nLeads + l)) / gains[l];
    }
  }
  return { name, fs: Number(fs), samples: n, leads, units, signal };
}
