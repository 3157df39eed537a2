/**
 * Landmark alignment of real records (the `align` command): explain each record, label its
 * samples by wave from the cardiologists' annotations of one lead (LUDB `N.ii`, ...) or, where a
 * record has none, from the delineator, and pool the alignment tables. Per TLC block too (B2, B3,
 * B4), which is how the "which blocks align" question is answered.
 */
import { existsSync } from "node:fs";
import { NotFoundError } from "../errors.js";
import type { Explains } from "../explain/explanation.js";
import { readLudbWaves } from "../io/annotations.js";
import { openDataset } from "../io/datasets/index.js";
import { readRecord } from "../io/record.js";
import { delineate } from "../signal/delineate/index.js";
import { waveLabels } from "../signal/waves.js";
import type { EcgRecord, Landmark, Wave, WaveType } from "../types.js";
import {
  addTables,
  boundaryDistance,
  contingency,
  LANDMARK_WAVES,
  landmarkContingency,
  summarizeAlignment,
  type AlignmentResult,
  type Table,
} from "./alignment.js";

/** What alignment needs of an explainer (a bound one, `tlc.bind(model)`, is one). */
export type AlignExplainer = Explains<"clusters" | "proportions" | "blocks">;

export interface AlignReport extends AlignmentResult {
  lead: string;
  k: number;
  /** Where the wave labels came from, per record. */
  sources: { annotations: number; delineator: number };
  /** Mean distance (ms) from a cluster boundary to the nearest wave boundary, and by chance. */
  boundaries: { meanMs: number; chanceMs: number; count: number };
  /** The same alignment for each block's own clustering. */
  blocks?: Record<string, AlignmentResult>;
  /** Per record: NMIs, and which cluster its P, R and T peaks fell in (K x [P, QRS, T] counts). */
  perRecord: { record: string; nmi: number; landmarksNmi: number; landmarks: number[][] }[];
  /** Per wave, the records that have its peaks and keep at most half of them in the wave's most
   * frequent cluster: where the network files that wave apart (abnormal T waves, paced or blocked
   * QRS complexes), and what per-wave purity counts as misses. */
  apart: Record<WaveType, string[]>;
}

/** The records of `perRecord` keeping at most half of a wave's peaks in `cluster[wave]`. */
export function recordsApart(
  perRecord: AlignReport["perRecord"],
  cluster: Record<WaveType, number>,
): Record<WaveType, string[]> {
  const apart = { P: [], QRS: [], T: [] } as Record<WaveType, string[]>;
  LANDMARK_WAVES.forEach((wave, j) => {
    for (const r of perRecord) {
      const total = r.landmarks.reduce((s, row) => s + row[j], 0);
      if (total > 0 && 2 * (r.landmarks[cluster[wave]]?.[j] ?? 0) <= total)
        apart[wave].push(r.record);
    }
  });
  return apart;
}

/** Waves and landmarks of `lead` from LUDB-style annotation files (every peak mark a landmark),
 * else from the delineator (all leads' consensus restricted to that lead when it has any). */
export function recordWaves(
  path: string,
  record: EcgRecord,
  lead: string,
): {
  waves: Wave[];
  peaks: Landmark[];
  span: [number, number];
  source: "annotations" | "delineator";
} {
  try {
    const { waves, peaks, span } = readLudbWaves(path, lead);
    if (waves.length) return { waves, peaks, span: [span[0], span[1] + 1], source: "annotations" };
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const d = delineate(record);
  const own = d.waves.filter((w) => w.lead.toLowerCase() === lead.toLowerCase());
  const waves = own.length ? own : d.waves;
  return { waves, peaks: waves, span: [0, record.samples], source: "delineator" };
}

interface Pool {
  table: Table;
  peaks: Table;
}

function pool(
  p: Pool | undefined,
  clusters: ArrayLike<number>,
  labels: Uint8Array,
  peaks: Landmark[],
  k: number,
  span: [number, number],
): Pool {
  const t = contingency(clusters, labels, k, 4, span[0], span[1]);
  const q = landmarkContingency(clusters, peaks, k, span[0], span[1]);
  return p
    ? { table: addTables(p.table, t), peaks: addTables(p.peaks, q) }
    : { table: t, peaks: q };
}

/** The record paths of a dataset folder (e.g. LUDB's), for `alignRecords`. */
export async function datasetRecordPaths(dir: string): Promise<string[]> {
  const dataset = await openDataset(dir);
  try {
    return dataset.entries.map((e) => e.path);
  } finally {
    dataset.close();
  }
}

/** Aligns the explainer's clusters with the waves of `paths` (record paths without extension). */
export async function alignRecords(
  explainer: AlignExplainer,
  paths: string[],
  opts: { lead?: string; batch?: number; progress?: (done: number, total: number) => void } = {},
): Promise<AlignReport> {
  const lead = opts.lead ?? "II";
  const batch = opts.batch ?? 16;
  let main: Pool | undefined;
  const blocks: Record<string, Pool> = {};
  const sources = { annotations: 0, delineator: 0 };
  const perRecord: AlignReport["perRecord"] = [];
  let k = 0;
  let distSum = 0;
  let chanceSum = 0;
  let count = 0;
  let fs = 0;
  for (let b = 0; b < paths.length; b += batch) {
    const chunk = paths.slice(b, b + batch);
    const recs = chunk.map((p) => {
      const base = p.endsWith(".hea") ? p.slice(0, -4) : p;
      if (!existsSync(`${base}.hea`))
        throw new NotFoundError(`${p}: record not found (no ${base}.hea)`);
      return readRecord(base);
    });
    const exs = await explainer.explain(recs);
    recs.forEach((rec, i) => {
      const ex = exs[i];
      k = ex.proportions.length;
      fs = rec.fs;
      const { waves, peaks, span, source } = recordWaves(chunk[i].replace(/\.hea$/, ""), rec, lead);
      sources[source]++;
      const labels = waveLabels(waves, rec.samples);
      main = pool(main, ex.clusters, labels, peaks, k, span);
      const one = summarizeAlignment(
        contingency(ex.clusters, labels, k, 4, span[0], span[1]),
        landmarkContingency(ex.clusters, peaks, k, span[0], span[1]),
        1,
      );
      perRecord.push({
        record: rec.name,
        nmi: one.nmi,
        landmarksNmi: one.landmarks.nmi,
        landmarks: one.landmarks.contingency,
      });
      const bd = boundaryDistance(ex.clusters, waves, span);
      if (bd.boundaries > 0) {
        distSum += bd.mean * bd.boundaries;
        chanceSum += bd.chance * bd.boundaries;
        count += bd.boundaries;
      }
      for (const [name, blk] of Object.entries(ex.blocks ?? {}))
        blocks[name] = pool(
          blocks[name],
          blk.clusters,
          labels,
          peaks,
          blk.proportions.length,
          span,
        );
    });
    opts.progress?.(Math.min(paths.length, b + batch), paths.length);
  }
  if (!main) throw new NotFoundError("align: no records given");
  const ms = (v: number) => (fs > 0 ? (1000 * v) / fs : NaN);
  const summary = summarizeAlignment(main.table, main.peaks, paths.length);
  const report: AlignReport = {
    ...summary,
    lead,
    k,
    sources,
    boundaries: { meanMs: ms(distSum / count), chanceMs: ms(chanceSum / count), count },
    perRecord,
    apart: recordsApart(perRecord, summary.landmarks.cluster),
  };
  const names = Object.keys(blocks);
  if (names.length)
    report.blocks = Object.fromEntries(
      names.map((n) => [n, summarizeAlignment(blocks[n].table, blocks[n].peaks, paths.length)]),
    );
  return report;
}
