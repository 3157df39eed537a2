/**
 * Test inputs for the figures: a minimal reader for the WFDB format-16 records of the shared
 * data (so viz tests do not depend on the io module's progress) and a deterministic fake
 * `Explanation` (src/explain/explanation.ts).
 */
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { EcgRecord } from "../../src/types.js";
import type { Explanation } from "../../src/explain/explanation.js";

/** Reads a single-file format-16 WFDB record (PTB-XL 100 Hz, LUDB). */
export function readFormat16(path: string): EcgRecord {
  const lines = readFileSync(path + ".hea", "utf8")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const [name, nsig, fs, samples] = lines[0].trim().split(/\s+/);
  const n = Number(nsig);
  const len = Number(samples);
  const leads: string[] = [];
  const gains: number[] = [];
  const baselines: number[] = [];
  const units: string[] = [];
  let file = "";
  for (let s = 0; s < n; s++) {
    const f = lines[1 + s].trim().split(/\s+/);
    file = f[0];
    if (f[1] !== "16") throw new Error(`fixture reader handles format 16 only, got ${f[1]}`);
    const m = /^([\d.]+)(?:\((-?\d+)\))?(?:\/(\S+))?$/.exec(f[2]);
    gains.push(Number(m?.[1] ?? 200));
    baselines.push(m?.[2] !== undefined ? Number(m[2]) : Number(f[4] ?? 0));
    units.push(m?.[3] ?? "mV");
    leads.push(f[8] ?? `sig${s}`);
  }
  const buf = readFileSync(join(dirname(path), file));
  const raw = new Int16Array(buf.buffer, buf.byteOffset, n * len);
  const signal = new Float32Array(n * len);
  for (let i = 0; i < len; i++) {
    for (let s = 0; s < n; s++) signal[s * len + i] = (raw[i * n + s] - baselines[s]) / gains[s];
  }
  return { name: basename(name), path, fs: Number(fs), samples: len, leads, units, signal };
}

/**
 * A deterministic explanation: clusters follow a fixed cycle of segment lengths, entropy is a
 * smooth ramp inside each segment (low in the middle, high at the boundaries, as in real TLC).
 */
export function fakeExplanation(
  record: EcgRecord,
  k = 5,
  outputs: Record<string, number> = { NORM: 0.91, MI: 0.07, STTC: 0.55, CD: 0.12, HYP: 0.3 },
  labels: string[] = ["NORM", "STTC"],
): Explanation {
  const n = record.samples;
  const lengths = [9, 6, 13, 21, 17, 7, 11];
  const clusters: number[] = new Array<number>(n);
  const entropy: number[] = new Array<number>(n);
  const segments: Explanation["segments"] = [];
  const scale = record.fs / 100; // segment lengths are in 10 ms units
  for (let start = 0, j = 0; start < n; j++) {
    const len = Math.max(1, Math.round(lengths[j % lengths.length] * scale));
    const end = Math.min(n, start + len);
    const c = (j * 3) % k;
    let h = 0;
    for (let i = start; i < end; i++) {
      clusters[i] = c;
      const u = (i - start + 0.5) / (end - start);
      entropy[i] = 0.1 + 0.8 * Math.abs(2 * u - 1) ** 2;
      h += entropy[i];
    }
    segments.push({ start, end, cluster: c, entropy: h / (end - start) });
    start = end;
  }
  const proportions = new Array<number>(k).fill(0);
  for (const c of clusters) proportions[c] += 1 / n;
  return {
    record: record.name,
    fs: record.fs,
    samples: n,
    outputs,
    labels,
    clusters,
    entropy,
    segments,
    proportions,
    softProportions: proportions,
    meanEntropy: entropy.reduce((s, v) => s + v, 0) / n,
  };
}

/**
 * A deterministic two-level explanation: fakeExplanation's wave clusters, each segment's state
 * alternating 0, 1 (2 states per wave), and the leaves' names "C{w} · S{q}-like".
 */
export function fakeTwoLevel(
  record: EcgRecord,
  k = 5,
): { explanation: Explanation; leaves: { names: string[]; waves: number[] } } {
  const e = fakeExplanation(record, k);
  const n = e.samples;
  const states = new Array<number>(n);
  const leaves = new Array<number>(n);
  const stateEntropy = new Array<number>(n);
  e.segments.forEach((s, j) => {
    for (let i = s.start; i < s.end; i++) {
      states[i] = j % 2;
      leaves[i] = 2 * s.cluster + (j % 2);
      stateEntropy[i] = 0.5 * e.entropy[i];
    }
  });
  const leafProportions = new Array<number>(2 * k).fill(0);
  for (const l of leaves) leafProportions[l] += 1 / n;
  const names = Array.from({ length: 2 * k }, (_, l) => `C${l >> 1} · S${l % 2}-like`);
  return {
    explanation: {
      ...e,
      states,
      leaves,
      stateEntropy,
      leafProportions,
      softLeafProportions: leafProportions,
      meanStateEntropy: stateEntropy.reduce((s, v) => s + v, 0) / n,
    },
    leaves: { names, waves: names.map((_, l) => l >> 1) },
  };
}
