/**
 * Composite per-step features (METHOD.md, "TLC, step by step", step 2): the chosen taps of one
 * ECG, each channel standardised with training statistics, block b weighted by 1/sqrt(C_b), coarser
 * blocks repeated onto the finest grid (nearest upsampling: receptive fields are nested), steps
 * wholly in zero padding dropped, optionally each record's mean over time subtracted.
 */
import { ModelMismatchError } from "../errors.js";
import type { PreparedSignal } from "../signal/preprocess.js";
import { explainKernels } from "./native-kernels.js";

/** Shape of the taps as the model gives them. */
export interface TapShape {
  channels: number;
  steps: number;
}

/** Where each tap lands in the composite vector. */
export interface CompositeLayout {
  taps: string[];
  channels: number[];
  steps: number[];
  /** Steps of the finest selected tap: the grid of the composite vectors. */
  fineSteps: number;
  /** Column where each tap starts; dims = sum(channels). */
  offsets: number[];
  dims: number;
}

/** How the taps are combined. */
export interface CompositeSpec {
  /** Weight per tap (default 1/sqrt(C_b)). */
  weights: number[];
  /** Per column: training mean and std (std 1 and mean 0 when standardisation is off). */
  mean: Float64Array;
  std: Float64Array;
  /** Subtract each record's mean over its kept steps. */
  centre: boolean;
  /**
   * Per-record scaling exponent a in (0, 1] (absent: off): each channel, centred over the record,
   * is divided by std_record^a here and by std_train^(1 - a) through `std`.
   */
  recordScale?: number;
}

export type BlockWeights = "inverse-sqrt" | "equal" | Record<string, number>;

export function compositeLayout(taps: string[], shapes: Record<string, TapShape>): CompositeLayout {
  if (taps.length === 0) throw new RangeError("TLC needs at least one tap");
  const channels: number[] = [];
  const steps: number[] = [];
  const offsets: number[] = [];
  let dims = 0;
  for (const t of taps) {
    const s = shapes[t];
    if (!s) throw new ModelMismatchError(`the model gave no tap '${t}'`);
    channels.push(s.channels);
    steps.push(s.steps);
    offsets.push(dims);
    dims += s.channels;
  }
  return { taps: [...taps], channels, steps, fineSteps: Math.max(...steps), offsets, dims };
}

/** Resolves the block weights of the options for a layout. */
export function blockWeights(
  layout: CompositeLayout,
  weights: BlockWeights = "inverse-sqrt",
): number[] {
  return layout.taps.map((t, b) => {
    if (weights === "inverse-sqrt") return 1 / Math.sqrt(layout.channels[b]);
    if (weights === "equal") return 1;
    const w = weights[t];
    if (w === undefined || !Number.isFinite(w) || w <= 0) {
      throw new RangeError(`block weights: missing or non-positive weight for tap '${t}'`);
    }
    return w;
  });
}

/**
 * Fine steps [first, end) that overlap real data. Step t of T over L prepared samples covers
 * [t L/T, (t+1) L/T); it is dropped when that interval lies wholly in [0, validStart) or
 * [validEnd, L). Integer arithmetic keeps the boundaries exact.
 */
export function keptSteps(
  fineSteps: number,
  prepared: { length: number; validStart: number; validEnd: number },
): { first: number; end: number } {
  const T = fineSteps;
  const L = prepared.length;
  let first = 0;
  while (first < T && (first + 1) * L <= prepared.validStart * T) first++;
  let end = T;
  while (end > first && (end - 1) * L >= prepared.validEnd * T) end--;
  return { first, end };
}

/**
 * Raw (unstandardised, unweighted) upsampled composite vectors of batch item `item`, fine steps
 * [first, end): (end - first) x dims, row-major (into `scratch` when given).
 */
export function rawComposite(
  layout: CompositeLayout,
  taps: Record<string, { channels: number; steps: number; data: Float32Array }>,
  item: number,
  first: number,
  end: number,
  scratch?: Float32Array,
  sums?: Float64Array,
): Float32Array {
  const rows = end - first;
  const D = layout.dims;
  const out = scratch ? scratch.subarray(0, rows * D) : new Float32Array(rows * D);
  const T = layout.fineSteps;
  for (let b = 0; b < layout.taps.length; b++) {
    const tap = taps[layout.taps[b]];
    const C = layout.channels[b];
    const Tb = layout.steps[b];
    if (!tap || tap.channels !== C || tap.steps !== Tb) {
      const got = tap ? `${tap.channels} x ${tap.steps}` : "nothing";
      throw new ModelMismatchError(
        `tap ${layout.taps[b]} is ${got}, the explainer was fitted on ${C} channels x ${Tb} steps`,
      );
    }
    const base = item * C * Tb;
    const off = layout.offsets[b];
    const native = explainKernels();
    if (native) {
      native.tlcRawTap(tap.data, base, C, Tb, T, first, rows, out, D, off, sums ?? null);
      continue;
    }
    // Nearest upsampling: fine step t lies inside coarse step floor(t Tb / T).
    const step = new Int32Array(rows);
    for (let r = 0; r < rows; r++) step[r] = Math.floor(((first + r) * Tb) / T);
    // A transpose (taps are channels x steps) in tiles of 16 rows, so that both the rows read
    // and the rows written stay in cache; each column still sums its rows in order.
    const data = tap.data;
    for (let r0 = 0; r0 < rows; r0 += 16) {
      const r1 = Math.min(rows, r0 + 16);
      for (let c = 0; c < C; c++) {
        const src = base + c * Tb;
        const j = off + c;
        if (sums) {
          let sum = sums[j];
          for (let r = r0; r < r1; r++) {
            const v = data[src + step[r]];
            out[r * D + j] = v;
            sum += v;
          }
          sums[j] = sum;
        } else for (let r = r0; r < r1; r++) out[r * D + j] = data[src + step[r]];
      }
    }
  }
  return out;
}

/** Subtracts each column's mean over the rows (per-record temporal centring). */
export function centreColumns(x: Float32Array, rows: number, dims: number): void {
  if (rows === 0) return;
  const mean = new Float64Array(dims);
  for (let r = 0; r < rows; r++) {
    const o = r * dims;
    for (let j = 0; j < dims; j++) mean[j] += x[o + j];
  }
  for (let j = 0; j < dims; j++) mean[j] /= rows;
  for (let r = 0; r < rows; r++) {
    const o = r * dims;
    for (let j = 0; j < dims; j++) x[o + j] -= mean[j];
  }
}

/**
 * Divides each column by its std over the rows to the power `exponent` (per-record
 * standardisation when 1, after centring). Columns whose std is below 1e-3 of the record's mean
 * column std (dead or constant channels) are zeroed rather than blown up.
 */
export function scaleRecordColumns(
  x: Float32Array,
  rows: number,
  dims: number,
  exponent = 1,
): void {
  if (rows === 0) return;
  const ss = new Float64Array(dims);
  for (let r = 0; r < rows; r++) {
    const o = r * dims;
    for (let j = 0; j < dims; j++) ss[j] += x[o + j] * x[o + j];
  }
  let mean = 0;
  for (let j = 0; j < dims; j++) mean += (ss[j] = Math.sqrt(ss[j] / rows)) / dims;
  const a = Float64Array.from(ss, (s) => (s > 1e-3 * mean ? s ** -exponent : 0));
  for (let r = 0; r < rows; r++) {
    const o = r * dims;
    for (let j = 0; j < dims; j++) x[o + j] *= a[j];
  }
}

/** Per-column (x - mean) / std x blockWeight, in place. */
export function scaleColumns(
  x: Float32Array,
  rows: number,
  layout: CompositeLayout,
  spec: Pick<CompositeSpec, "mean" | "std" | "weights">,
  subtractMean = true,
): void {
  const D = layout.dims;
  const a = new Float64Array(D);
  const m = new Float64Array(D);
  for (let b = 0; b < layout.taps.length; b++) {
    for (let c = 0; c < layout.channels[b]; c++) {
      const j = layout.offsets[b] + c;
      a[j] = spec.weights[b] / spec.std[j];
      m[j] = subtractMean ? spec.mean[j] : 0;
    }
  }
  for (let r = 0; r < rows; r++) {
    const o = r * D;
    for (let j = 0; j < D; j++) x[o + j] = (x[o + j] - m[j]) * a[j];
  }
}

/**
 * centreColumns, scaleRecordColumns and scaleColumns (without the training mean) in two passes
 * instead of five, given the column sums (rows in order, as rawComposite adds them): the same
 * operations in the same order, each intermediate rounded to float32 where the separate passes
 * store it, so the result is theirs bit for bit.
 */
function recordScaledColumns(
  x: Float32Array,
  rows: number,
  layout: CompositeLayout,
  spec: Pick<CompositeSpec, "std" | "weights">,
  exponent: number,
  columnSums: Float64Array,
): void {
  if (rows === 0) return;
  const { a, t } = centreRecord(x, rows, layout, spec, exponent, columnSums);
  const D = layout.dims;
  const native = explainKernels();
  if (native) native.tlcScaleTwice(x, rows, D, a, t);
  else
    for (let r = 0; r < rows; r++) {
      const o = r * D;
      for (let j = 0; j < D; j++) x[o + j] = Math.fround(x[o + j] * a[j]) * t[j];
    }
}

/**
 * The first pass of recordScaledColumns: x = float32(x - mean) per column (mean = sums / rows),
 * and the two factors of each column's scaling, x -> float32(float32(x a) t): a =
 * std_record^-exponent (0 for a column below 1e-3 of the mean column std: dead or constant
 * channels are zeroed rather than blown up) and t = blockWeight / std.
 */
function centreRecord(
  x: Float32Array,
  rows: number,
  layout: CompositeLayout,
  spec: Pick<CompositeSpec, "std" | "weights">,
  exponent: number,
  columnSums: Float64Array,
): { a: Float64Array; t: Float64Array } {
  const D = layout.dims;
  const fround = Math.fround;
  const mean = columnSums;
  for (let j = 0; j < D; j++) mean[j] /= rows;
  const ss = new Float64Array(D);
  const native = explainKernels();
  if (native) native.tlcCentreSquares(x, rows, D, mean, ss);
  else
    for (let r = 0; r < rows; r++) {
      const o = r * D;
      for (let j = 0; j < D; j++) {
        const v = fround(x[o + j] - mean[j]);
        x[o + j] = v;
        ss[j] += v * v;
      }
    }
  let m = 0;
  for (let j = 0; j < D; j++) m += (ss[j] = Math.sqrt(ss[j] / rows)) / D;
  const a = Float64Array.from(ss, (s) => (s > 1e-3 * m ? s ** -exponent : 0));
  const t = new Float64Array(D);
  for (let b = 0; b < layout.taps.length; b++)
    for (let c = 0; c < layout.channels[b]; c++) {
      const j = layout.offsets[b] + c;
      t[j] = spec.weights[b] / spec.std[j];
    }
  return { a, t };
}

/** Centroids a composite's rows are assigned to: k x w values of columns [c0, c0 + w). */
export interface CentroidSet {
  c0: number;
  w: number;
  k: number;
  centroids: Float64Array;
}

/**
 * Squared distances of batch item `item`'s composite vectors (`range`) to each centroid set,
 * with the rows flagged as repeating the row before (their distances unset), as `softAssign`
 * takes them, bit for bit the distances on `composite`'s vectors. The last pass of the composite
 * (the scaling) is done a tile of rows at a time inside the native distance kernel, and every
 * set reads the tile while it is in cache: `scratch` (rows x dims at least) ends up holding the
 * vectors before that pass. Null when this path does not apply (no native kernels, or an
 * explainer without record scaling): the caller builds the composite and calls softAssign.
 */
export function compositeDistances(
  layout: CompositeLayout,
  spec: CompositeSpec,
  taps: Record<string, { channels: number; steps: number; data: Float32Array }>,
  item: number,
  range: { first: number; end: number },
  sets: readonly CentroidSet[],
  scratch?: Float32Array,
): { d2: Float64Array; repeats: Uint8Array }[] | null {
  const native = explainKernels();
  const rows = range.end - range.first;
  if (!native || !spec.recordScale || rows === 0) return null;
  const sums = new Float64Array(layout.dims);
  const x = rawComposite(layout, taps, item, range.first, range.end, scratch, sums);
  const { a, t } = centreRecord(x, rows, layout, spec, spec.recordScale, sums);
  const out = sets.map((s) => ({
    ...s,
    d2: new Float64Array(rows * s.k),
    repeats: new Uint8Array(rows),
  }));
  native.tlcScaledDistances(x, rows, layout.dims, a, t, out);
  return out.map(({ d2, repeats }) => ({ d2, repeats }));
}

/**
 * The finished composite vectors of one record: standardised, weighted, centred if asked. With
 * `scratch` (at least rows x dims values) they are written into it rather than a new array.
 */
export function composite(
  layout: CompositeLayout,
  spec: CompositeSpec,
  taps: Record<string, { channels: number; steps: number; data: Float32Array }>,
  item: number,
  range: { first: number; end: number },
  scratch?: Float32Array,
): Float32Array {
  const rows = range.end - range.first;
  if (spec.recordScale) {
    // The record's own std takes the place of the training std, wholly or in part (spec.std).
    const sums = new Float64Array(layout.dims);
    const x = rawComposite(layout, taps, item, range.first, range.end, scratch, sums);
    recordScaledColumns(x, rows, layout, spec, spec.recordScale, sums);
    return x;
  }
  const x = rawComposite(layout, taps, item, range.first, range.end, scratch);
  scaleColumns(x, rows, layout, spec);
  if (spec.centre) centreColumns(x, rows, layout.dims);
  return x;
}

/**
 * Running per-column mean and std (population) of raw composite rows, accumulated in double with
 * a shift (the first row) so that large offsets do not cancel. Channels that never vary get std 1,
 * as scikit-learn's StandardScaler does.
 */
export class ColumnStats {
  private n = 0;
  private readonly shift: Float64Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;

  constructor(readonly dims: number) {
    this.shift = new Float64Array(dims);
    this.s1 = new Float64Array(dims);
    this.s2 = new Float64Array(dims);
  }

  add(x: Float32Array, rows: number): void {
    const D = this.dims;
    if (this.n === 0 && rows > 0) for (let j = 0; j < D; j++) this.shift[j] = x[j];
    for (let r = 0; r < rows; r++) {
      const o = r * D;
      for (let j = 0; j < D; j++) {
        const v = x[o + j] - this.shift[j];
        this.s1[j] += v;
        this.s2[j] += v * v;
      }
    }
    this.n += rows;
  }

  get count(): number {
    return this.n;
  }

  /** Adds another accumulator's vectors (a shard's), as if they had been added here. */
  merge(other: ColumnStats): void {
    if (other.dims !== this.dims)
      throw new RangeError(`column statistics of ${other.dims} dims, expected ${this.dims}`);
    if (other.n === 0) return;
    if (this.n === 0) this.shift.set(other.shift);
    for (let j = 0; j < this.dims; j++) {
      // other's sums around its shift, moved to this shift
      const d = other.shift[j] - this.shift[j];
      this.s2[j] += other.s2[j] + 2 * d * other.s1[j] + other.n * d * d;
      this.s1[j] += other.s1[j] + other.n * d;
    }
    this.n += other.n;
  }

  toJSON(): { n: number; shift: number[]; s1: number[]; s2: number[] } {
    return { n: this.n, shift: [...this.shift], s1: [...this.s1], s2: [...this.s2] };
  }

  static fromJSON(j: { n: number; shift: number[]; s1: number[]; s2: number[] }): ColumnStats {
    const c = new ColumnStats(j.shift.length);
    c.n = j.n;
    c.shift.set(j.shift);
    c.s1.set(j.s1);
    c.s2.set(j.s2);
    return c;
  }

  finish(): { mean: Float64Array; std: Float64Array } {
    const D = this.dims;
    const mean = new Float64Array(D);
    const std = new Float64Array(D).fill(1);
    if (this.n === 0) return { mean, std };
    for (let j = 0; j < D; j++) {
      const m = this.s1[j] / this.n;
      mean[j] = this.shift[j] + m;
      const v = Math.max(0, this.s2[j] / this.n - m * m);
      std[j] = v > 1e-24 ? Math.sqrt(v) : 1;
    }
    return { mean, std };
  }
}

/** The composite vectors of one ECG and where they lie. */
export interface RecordFeatures {
  prepared: PreparedSignal;
  /** Kept fine steps [first, end). */
  range: { first: number; end: number };
  /** (end - first) x dims. */
  x: Float32Array;
  outputs: Float32Array;
}
