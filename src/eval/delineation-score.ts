/**
 * Scores a delineator against expert wave annotations, per wave type: sensitivity, positive
 * predictive value and F1 of peaks matched one-to-one within a tolerance (150 ms), and the mean and
 * standard deviation of the onset, peak and offset errors (detected minus annotated, ms) of the
 * matched waves. Only the annotated span of each lead counts: a detection whose peak lies outside
 * it is ignored (LUDB leaves the first and last beats unannotated).
 */
import { NotFoundError } from "../errors.js";
import { readLudbWaves, readRecord } from "../io/index.js";
import { delineate, type DelineateOptions } from "../signal/delineate/index.js";
import type { Wave, WaveType } from "../types.js";

export const WAVE_TYPES: readonly WaveType[] = ["P", "QRS", "T"];

export interface ErrorStats {
  n: number;
  mean: number;
  sd: number;
}

export interface WaveScore {
  tp: number;
  fp: number;
  fn: number;
  sensitivity: number;
  ppv: number;
  f1: number;
  onset: ErrorStats;
  peak: ErrorStats;
  offset: ErrorStats;
}

export type DelineationScore = Record<WaveType, WaveScore>;

class Moments {
  n = 0;
  sum = 0;
  sq = 0;
  add(x: number) {
    this.n++;
    this.sum += x;
    this.sq += x * x;
  }
  stats(): ErrorStats {
    const mean = this.n ? this.sum / this.n : NaN;
    const v = this.n > 1 ? (this.sq - this.n * mean * mean) / (this.n - 1) : NaN;
    return { n: this.n, mean, sd: Math.sqrt(Math.max(0, v)) };
  }
}

/** Greedy one-to-one matching of peaks, closest pairs first; returns [detected, annotated] pairs. */
export function matchPeaks(det: number[], ann: number[], tol: number): [number, number][] {
  const pairs: [number, number, number][] = [];
  for (let i = 0; i < det.length; i++) {
    for (let j = 0; j < ann.length; j++) {
      const d = Math.abs(det[i] - ann[j]);
      if (d <= tol) pairs.push([d, i, j]);
    }
  }
  pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  const usedD = new Set<number>();
  const usedA = new Set<number>();
  const out: [number, number][] = [];
  for (const [, i, j] of pairs) {
    if (usedD.has(i) || usedA.has(j)) continue;
    usedD.add(i);
    usedA.add(j);
    out.push([i, j]);
  }
  return out;
}

/** Accumulates matches over leads and records; `result()` gives the scores. */
export class DelineationScorer {
  private counts = new Map<WaveType, { tp: number; fp: number; fn: number; e: Moments[] }>();
  constructor(readonly toleranceMs = 150) {
    for (const t of WAVE_TYPES) {
      this.counts.set(t, { tp: 0, fp: 0, fn: 0, e: [new Moments(), new Moments(), new Moments()] });
    }
  }

  /** One lead of one record: its detected and annotated waves, annotated span (inclusive), rate. */
  add(detected: Wave[], annotated: Wave[], span: [number, number], fs: number): void {
    const tol = (this.toleranceMs * fs) / 1000;
    const ms = 1000 / fs;
    for (const type of WAVE_TYPES) {
      const c = this.counts.get(type)!;
      const d = detected.filter((w) => w.type === type && w.peak >= span[0] && w.peak <= span[1]);
      const a = annotated.filter((w) => w.type === type);
      const m = matchPeaks(
        d.map((w) => w.peak),
        a.map((w) => w.peak),
        tol,
      );
      c.tp += m.length;
      c.fp += d.length - m.length;
      c.fn += a.length - m.length;
      for (const [i, j] of m) {
        c.e[0].add((d[i].onset - a[j].onset) * ms);
        c.e[1].add((d[i].peak - a[j].peak) * ms);
        c.e[2].add((d[i].offset - a[j].offset) * ms);
      }
    }
  }

  result(): DelineationScore {
    const out = {} as DelineationScore;
    for (const type of WAVE_TYPES) {
      const { tp, fp, fn, e } = this.counts.get(type)!;
      const sensitivity = tp + fn ? tp / (tp + fn) : NaN;
      const ppv = tp + fp ? tp / (tp + fp) : NaN;
      const f1 = 2 * tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : NaN;
      out[type] = {
        tp,
        fp,
        fn,
        sensitivity,
        ppv,
        f1,
        onset: e[0].stats(),
        peak: e[1].stats(),
        offset: e[2].stats(),
      };
    }
    return out;
  }
}

/** Scores one batch of leads at once (see DelineationScorer). */
export function scoreDelineation(
  items: { detected: Wave[]; annotated: Wave[]; span: [number, number]; fs: number }[],
  toleranceMs = 150,
): DelineationScore {
  const s = new DelineationScorer(toleranceMs);
  for (const it of items) s.add(it.detected, it.annotated, it.span, it.fs);
  return s.result();
}

export interface RecordValidation {
  record: string;
  fs: number;
  leads: number;
  reason?: string;
  scores: DelineationScore;
}

export interface Validation {
  records: number;
  leads: number;
  /** delineation time only (reading excluded), ms per record */
  msPerRecord: number;
  scores: DelineationScore;
  perRecord: RecordValidation[];
}

/**
 * Delineates WFDB records with per-lead wave annotation files (LUDB layout: `NAME.i`, `NAME.ii`, ...
 * `NAME.v6`) and scores them. Leads without an annotation file are skipped; a record with none
 * is an error naming it.
 */
export function validateDelineation(
  paths: string[],
  opts: { toleranceMs?: number; delineate?: DelineateOptions } = {},
): Validation {
  const total = new DelineationScorer(opts.toleranceMs ?? 150);
  const perRecord: RecordValidation[] = [];
  let leads = 0;
  let ms = 0;
  for (const path of paths) {
    const record = readRecord(path);
    const t0 = performance.now();
    const result = delineate(record, opts.delineate);
    ms += performance.now() - t0;
    const one = new DelineationScorer(opts.toleranceMs ?? 150);
    let annotated = 0;
    for (const lead of record.leads) {
      let truth: { waves: Wave[]; span: [number, number] };
      try {
        truth = readLudbWaves(path, lead);
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        throw err;
      }
      const det = result.waves.filter((w) => w.lead === lead);
      one.add(det, truth.waves, truth.span, record.fs);
      total.add(det, truth.waves, truth.span, record.fs);
      annotated++;
    }
    if (!annotated) {
      throw new NotFoundError(
        `${path}: no per-lead wave annotation file (${record.leads.map((l) => `.${l.toLowerCase()}`).join(", ")})`,
      );
    }
    leads += annotated;
    perRecord.push({
      record: record.name,
      fs: record.fs,
      leads: annotated,
      ...(result.reason ? { reason: result.reason } : {}),
      scores: one.result(),
    });
  }
  return {
    records: paths.length,
    leads,
    msPerRecord: paths.length ? ms / paths.length : 0,
    scores: total.result(),
    perRecord,
  };
}
