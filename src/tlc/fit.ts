/**
 * Fitting TLC on a dataset: stream the training ECGs through the model, build the composite
 * vectors, cluster them. Two ways, both with bounded memory when asked:
 *  - in memory (default): all composite vectors, or a uniform reservoir sample of `maxPoints` of
 *    them (peak memory about maxPoints x dims x 4 bytes, plus a per-block copy of its columns);
 *  - streaming (`streaming: true`): mini-batch k-means, three passes through the model (statistics,
 *    centroids, inertia) with one buffer of `miniBatchPoints` vectors in memory.
 */
import { ParameterError } from "../errors.js";
import { Random } from "../signal/random.js";
import { momentStride, ResidualMoments, sharedVariance } from "./assign.js";
import {
  blockWeights,
  centreColumns,
  ColumnStats,
  composite,
  compositeLayout,
  keptSteps,
  rawComposite,
  scaleColumns,
  scaleRecordColumns,
  type BlockWeights,
  type CompositeLayout,
  type CompositeSpec,
} from "./features.js";
import { kmeans, kmeansAssign, MiniBatchKMeans, type KMeansOptions } from "./kmeans.js";
import { fitHeldOutVariance, type HeldOutVariance } from "./variance.js";
import { DEFAULT_BATCH, streamTaps } from "./stream.js";
import type { RecordSource } from "../io/datasets/types.js";
import type { ModelFace } from "../model/face.js";

export interface TlcProgress {
  /** "sampled": done vectors kept of total seen (after the features pass). */
  stage:
    | "features"
    | "statistics"
    | "minibatch"
    | "inertia"
    | "kmeans"
    | "blocks"
    | "sampled"
    | "states";
  done: number;
  total: number;
}

export interface TlcOptions {
  /** Taps to cluster (default B1, B2; METHOD.md's last three units are B2, B3, B4). */
  taps?: string[];
  /** Clusters (default 6). */
  k?: number;
  seed?: number;
  /** k-means restarts (default 3). */
  nInit?: number;
  /** Block weights (default 1/sqrt(C_b)). */
  weights?: BlockWeights;
  /** Per-record temporal centring of the composite vectors (default true). */
  centre?: boolean;
  /**
   * Per-record scaling (default true, i.e. exponent 1): each channel is centred over the record's
   * own steps and divided by std_record^a x std_train^(1 - a), so a record with flat T waves still
   * tells its T wave from its baseline. true = 1 (per-record standardisation), false = 0 (training
   * statistics only, then `centre` and `standardise` apply); between them a trades wave alignment
   * (a = 1) against class information in the proportions (docs/EVIDENCE.md).
   */
  recordScale?: boolean | number;
  /** Per-channel standardisation with training statistics (default true). */
  standardise?: boolean;
  /**
   * Fit on a uniform sample of at most this many composite vectors (reservoir sampling; default
   * DEFAULT_MAX_POINTS, so that memory does not grow with the number of ECGs; Infinity: all).
   */
  maxPoints?: number;
  /** Mini-batch k-means over a stream of vectors (for point sets larger than memory). */
  streaming?: boolean;
  /** Vectors per mini-batch in streaming mode (default 20,000). */
  miniBatchPoints?: number;
  /** Also fit each tap alone for comparison (default true). */
  blocks?: boolean;
  /** k-means threads (default all cores). */
  threads?: number;
  /** ECGs per forward call (default 32). */
  batch?: number;
  /**
   * sigma^2 of the soft assignment. By formula: "per-dim" (METHOD.md: inertia / (points x dims)),
   * "per-point" (inertia / points, i.e. dims times larger), "effective" (an isotropic Gaussian
   * matched to the residuals' first two moments, see ResidualMoments: per-dim corrected for
   * correlated channels). On held-out vectors (in-memory fits only; src/tlc/variance.ts): "held-out"
   * (the maximum-likelihood sigma^2 of the mixture on vectors a refit on the other half of the
   * sample never saw; it lands on per-dim) and "refit" (the temperature under which the posterior
   * best predicts the cluster a refit on another half of the sample gives each held-out vector:
   * entropy then says how likely a step's cluster is to change). With hundreds of dims every
   * choice but per-point leaves posteriors nearly hard; per-point spreads them over all clusters.
   */
  variance?: Variance;
  /** k-means coarse-to-fine sample (see KMeansOptions.sample). */
  sample?: number | "auto";
  onProgress?: (p: TlcProgress) => void;
}

export type Variance = "per-dim" | "per-point" | "effective" | "held-out" | "refit";
export const VARIANCES: readonly Variance[] = [
  "per-dim",
  "per-point",
  "effective",
  "held-out",
  "refit",
];
/** The conventions chosen on held-out vectors (src/tlc/variance.ts): in-memory fits only. */
const HELD_OUT: readonly Variance[] = ["held-out", "refit"];

/**
 * Defaults chosen on evidence (docs/EVIDENCE.md, bench/alignment.ts): the first two residual units
 * with per-record channel standardisation and K = 6 put P, QRS and T peaks of LUDB each in one
 * cluster (landmark NMI 0.52) where METHOD.md's B2-B4 with K = 8 reached 0.47, at 1.1 points of
 * surrogate fidelity.
 */
export const DEFAULT_TAPS = ["B1", "B2"];
export const DEFAULT_K = 6;
/**
 * Vectors an in-memory fit clusters at most (about 400 MB at 192 dims): more than PTB-XL's folds
 * 1-9 hold (406,250), a small fraction of CODE-15%'s 354 million.
 */
export const DEFAULT_MAX_POINTS = 500_000;

export interface ClusterFit {
  /** Composite columns [start, end) this clustering uses. */
  columns: [number, number];
  centroids: Float32Array;
  k: number;
  sigma2: number;
  inertia: number;
  iterations: number;
  /** What chose sigma2 when it was chosen on held-out vectors (kept in memory, not saved). */
  heldOut?: HeldOutVariance;
}

export interface FitState {
  layout: CompositeLayout;
  spec: CompositeSpec;
  main: ClusterFit;
  blocks: Record<string, ClusterFit>;
  points: number;
  records: number;
  seconds: number;
}

/** B1,B2 where the model has them; otherwise (an imported model) the taps it was imported with. */
export function defaultTaps(model: { config: { taps: string[] } }): string[] {
  return DEFAULT_TAPS.every((t) => model.config.taps.includes(t))
    ? DEFAULT_TAPS
    : model.config.taps;
}

/**
 * Options with defaults filled in, as saved in the explainer JSON; the taps default to the model's
 * (defaultTaps) when it is given.
 */
export function resolveOptions(opts: TlcOptions, model?: { config: { taps: string[] } }) {
  return {
    taps: opts.taps ?? (model ? defaultTaps(model) : DEFAULT_TAPS),
    k: opts.k ?? DEFAULT_K,
    seed: opts.seed ?? 0,
    nInit: opts.nInit ?? 3,
    weights: opts.weights ?? ("inverse-sqrt" as BlockWeights),
    centre: opts.centre ?? true,
    recordScale: recordScaleExponent(opts.recordScale),
    standardise: opts.standardise ?? true,
    maxPoints: opts.maxPoints === Infinity ? null : (opts.maxPoints ?? DEFAULT_MAX_POINTS),
    streaming: opts.streaming ?? false,
    miniBatchPoints: opts.miniBatchPoints ?? 20_000,
    blocks: opts.blocks ?? true,
    variance: opts.variance ?? ("per-dim" as Variance),
  };
}
export type ResolvedOptions = ReturnType<typeof resolveOptions>;

/** The exponent of `recordScale` (true = 1, false = 0), checked. */
export function recordScaleExponent(v: boolean | number | undefined): number {
  if (v === undefined || v === true) return 1;
  if (v === false) return 0;
  if (!(v >= 0 && v <= 1))
    throw new ParameterError("recordScale", `expected a number in [0, 1], got ${v}`);
  return v;
}

/** sigma^2 of a fit under a formula convention ("effective" needs the moments). */
function variance(
  o: ResolvedOptions,
  inertia: number,
  points: number,
  dims: number,
  moments?: ResidualMoments,
): number {
  if (o.variance === "effective") return moments!.finish().sigma2;
  return sharedVariance(inertia, points, o.variance === "per-point" ? 1 : dims);
}

/** sigma^2 of an in-memory fit of `points` under the chosen convention. */
async function inMemoryVariance(
  o: ResolvedOptions,
  points: Float32Array,
  rows: number,
  dims: number,
  fit: { labels: Int32Array; centroids: Float32Array; inertia: number },
  km: KMeansOptions & { k: number; seed: number },
): Promise<{ sigma2: number; heldOut?: HeldOutVariance }> {
  if (o.variance === "held-out" || o.variance === "refit") {
    const heldOut = await fitHeldOutVariance(o.variance, points, rows, dims, fit.centroids, km);
    return { sigma2: heldOut.sigma2, heldOut };
  }
  return { sigma2: variance(o, fit.inertia, rows, dims, fitMoments(o, points, rows, dims, fit)) };
}

/** Residual moments of an in-memory fit (only when the variance convention needs them). */
function fitMoments(
  o: ResolvedOptions,
  points: Float32Array,
  rows: number,
  dims: number,
  fit: { labels: Int32Array; centroids: Float32Array },
): ResidualMoments | undefined {
  if (o.variance !== "effective") return undefined;
  const m = new ResidualMoments(dims, momentStride(rows, dims));
  m.add(points, fit.labels, fit.centroids);
  return m;
}

function blockColumns(layout: CompositeLayout, b: number): [number, number] {
  return [layout.offsets[b], layout.offsets[b] + layout.channels[b]];
}

/** Copies columns [a, b) of rows x dims into a rows x (b - a) array. */
export function sliceColumns(
  x: Float32Array,
  rows: number,
  dims: number,
  cols: [number, number],
): Float32Array {
  const w = cols[1] - cols[0];
  const out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * dims + cols[0], r * dims + cols[1]), r * w);
  return out;
}

/** Fits TLC (see the module comment for the two modes). */
export async function fitState<E>(
  model: ModelFace,
  dataset: RecordSource<E>,
  entries: E[],
  opts: TlcOptions,
): Promise<FitState> {
  return (await fitStates(model, dataset, entries, opts, [opts.k ?? DEFAULT_K]))[0];
}

/**
 * Fits TLC once per K in `ks`, with every other option shared. In memory, the composite vectors
 * are collected once (one pass through the model) and clustered for each K; streaming makes its
 * three passes per K.
 */
export async function fitStates<E>(
  model: ModelFace,
  dataset: RecordSource<E>,
  entries: E[],
  opts: TlcOptions,
  ks: number[],
): Promise<FitState[]> {
  const o = resolveOptions(opts, model);
  const t0 = performance.now();
  for (const t of o.taps) {
    if (!model.config.taps.includes(t)) {
      throw new ParameterError(
        "taps",
        `the model has no tap '${t}' (it has ${model.config.taps.join(", ")})`,
      );
    }
  }
  if (entries.length === 0) throw new RangeError("TLC fit: no training records");
  const states: FitState[] = [];
  if (o.streaming && HELD_OUT.includes(o.variance))
    throw new ParameterError(
      "variance",
      `'${o.variance}' needs the vectors in memory; a streaming fit takes per-dim, per-point or effective`,
    );
  if (o.streaming) {
    for (const k of ks) {
      const t = performance.now();
      const state = await fitStreaming(model, dataset, entries, { ...o, k }, opts);
      states.push({ ...state, seconds: (performance.now() - t) / 1000 });
    }
    return states;
  }
  const collected = await collectInMemory(model, dataset, entries, o, opts);
  const shared = (performance.now() - t0) / 1000;
  // Several K: progress counts the K done ("kmeans 3/19") instead of each fit's own stages.
  const each: TlcOptions =
    ks.length === 1
      ? opts
      : {
          ...opts,
          onProgress: (p) => p.stage !== "kmeans" && p.stage !== "blocks" && opts.onProgress?.(p),
        };
  for (const [i, k] of ks.entries()) {
    const t = performance.now();
    const state = await clusterInMemory(collected, { ...o, k }, each);
    states.push({ ...state, seconds: shared + (performance.now() - t) / 1000 });
    if (ks.length > 1) opts.onProgress?.({ stage: "kmeans", done: i + 1, total: ks.length });
  }
  return states;
}

/** The composite vectors of an in-memory fit: all of them, or a uniform sample of maxPoints. */
interface Collected {
  layout: CompositeLayout;
  spec: CompositeSpec;
  /** stored x layout.dims, scaled as the explainer will scale them. */
  points: Float32Array;
  stored: number;
  records: number;
}

/**
 * A uniform sample of the composite vectors of some ECGs before the column scaling (which needs
 * the statistics of all of them): what one shard of a sharded fit contributes.
 */
export interface VectorSample {
  layout: CompositeLayout;
  /** Column statistics of every vector seen (raw composite). */
  stats: ColumnStats;
  /** stored x layout.dims, centred/scaled per record as the options say. */
  points: Float32Array;
  stored: number;
  /** Vectors seen (the sample is uniform over them). */
  seen: number;
  records: number;
}

/** One pass through the model: a reservoir sample of at most o.maxPoints vectors. */
export async function sampleVectors<E>(
  model: ModelFace,
  dataset: RecordSource<E>,
  entries: E[],
  o: ResolvedOptions,
  opts: TlcOptions,
): Promise<VectorSample> {
  const rng = new Random(o.seed);
  let layout: CompositeLayout | null = null;
  let stats: ColumnStats | null = null;
  let store = new Float32Array(0);
  let capacity = 0;
  let stored = 0;
  let seen = 0;
  let done = 0;
  for await (const batch of streamTaps(
    model,
    dataset,
    entries,
    o.taps,
    opts.batch ?? DEFAULT_BATCH,
  )) {
    if (!layout) {
      layout = compositeLayout(o.taps, batch.taps);
      stats = new ColumnStats(layout.dims);
      capacity = Math.min(o.maxPoints ?? Infinity, entries.length * layout.fineSteps);
      store = new Float32Array(capacity * layout.dims);
    }
    const D = layout.dims;
    for (let i = 0; i < batch.prepared.length; i++) {
      const range = keptSteps(layout.fineSteps, batch.prepared[i]);
      const rows = range.end - range.first;
      const x = rawComposite(layout, batch.taps, i, range.first, range.end);
      stats!.add(x, rows);
      // Centring before scaling is the same as after: both are per-column affine maps.
      if (o.centre || o.recordScale) centreColumns(x, rows, D);
      if (o.recordScale) scaleRecordColumns(x, rows, D, o.recordScale);
      for (let r = 0; r < rows; r++, seen++) {
        // Reservoir sampling (Algorithm R): every vector seen so far is kept with equal probability.
        const slot = seen < capacity ? seen : Math.floor(rng.next() * (seen + 1));
        if (slot < capacity) store.set(x.subarray(r * D, (r + 1) * D), slot * D);
      }
      stored = Math.min(seen, capacity);
    }
    done += batch.prepared.length;
    opts.onProgress?.({ stage: "features", done, total: entries.length });
  }
  opts.onProgress?.({ stage: "sampled", done: stored, total: seen });
  return {
    layout: layout!,
    stats: stats!,
    points: store.subarray(0, stored * layout!.dims),
    stored,
    seen,
    records: entries.length,
  };
}

/** The sample scaled as the explainer will scale its inputs (in place). */
function finishSample(v: VectorSample, o: ResolvedOptions): Collected {
  const spec = finishSpec(v.layout, v.stats, o);
  scaleColumns(v.points, v.stored, v.layout, spec, !o.centre && !o.recordScale);
  return { layout: v.layout, spec, points: v.points, stored: v.stored, records: v.records };
}

async function collectInMemory<E>(
  model: ModelFace,
  dataset: RecordSource<E>,
  entries: E[],
  o: ResolvedOptions,
  opts: TlcOptions,
): Promise<Collected> {
  return finishSample(await sampleVectors(model, dataset, entries, o, opts), o);
}

/** Clusters a vector sample (e.g. merged from shards) as an in-memory fit would. */
export async function fitSample(v: VectorSample, opts: TlcOptions): Promise<FitState> {
  const t = performance.now();
  const o = resolveOptions(opts);
  const state = await clusterInMemory(finishSample(v, o), o, opts);
  return { ...state, seconds: (performance.now() - t) / 1000 };
}

/** k-means on collected vectors: the composite, then (o.blocks) each tap's columns alone. */
async function clusterInMemory(
  c: Collected,
  o: ResolvedOptions,
  opts: TlcOptions,
): Promise<FitState> {
  const { layout: L, points, stored } = c;
  opts.onProgress?.({ stage: "kmeans", done: 0, total: 1 });
  const km = { k: o.k, nInit: o.nInit, seed: o.seed, threads: opts.threads, sample: opts.sample };
  const r = await kmeans(points, L.dims, km);
  const main: ClusterFit = {
    columns: [0, L.dims],
    centroids: r.centroids,
    k: o.k,
    ...(await inMemoryVariance(o, points, stored, L.dims, r, km)),
    inertia: r.inertia,
    iterations: r.iterations,
  };
  opts.onProgress?.({ stage: "kmeans", done: 1, total: 1 });
  const blocks: Record<string, ClusterFit> = {};
  if (o.blocks && L.taps.length > 1) {
    for (let b = 0; b < L.taps.length; b++) {
      const cols = blockColumns(L, b);
      const sub = sliceColumns(points, stored, L.dims, cols);
      const rb = await kmeans(sub, cols[1] - cols[0], km);
      blocks[L.taps[b]] = {
        columns: cols,
        centroids: rb.centroids,
        k: o.k,
        ...(await inMemoryVariance(o, sub, stored, cols[1] - cols[0], rb, km)),
        inertia: rb.inertia,
        iterations: rb.iterations,
      };
      opts.onProgress?.({ stage: "blocks", done: b + 1, total: L.taps.length });
    }
  }
  return {
    layout: L,
    spec: c.spec,
    main,
    blocks,
    points: stored,
    records: c.records,
    seconds: 0,
  };
}

function finishSpec(
  layout: CompositeLayout,
  stats: ColumnStats,
  o: ResolvedOptions,
): CompositeSpec {
  const weights = blockWeights(layout, o.weights);
  if (o.recordScale) {
    const a = o.recordScale;
    const std = a === 1 ? new Float64Array(layout.dims).fill(1) : stats.finish().std;
    return {
      weights,
      mean: new Float64Array(layout.dims),
      std: std.map((s) => s ** (1 - a)),
      centre: true,
      recordScale: a,
    };
  }
  if (!o.standardise) {
    return {
      weights,
      mean: new Float64Array(layout.dims),
      std: new Float64Array(layout.dims).fill(1),
      centre: o.centre,
    };
  }
  const { mean, std } = stats.finish();
  return { weights, mean, std, centre: o.centre };
}

async function fitStreaming<E>(
  model: ModelFace,
  dataset: RecordSource<E>,
  entries: E[],
  o: ResolvedOptions,
  opts: TlcOptions,
): Promise<FitState> {
  const batchSize = opts.batch ?? DEFAULT_BATCH;
  // Pass 1: column statistics.
  let layout: CompositeLayout | null = null;
  let stats: ColumnStats | null = null;
  let done = 0;
  for await (const batch of streamTaps(model, dataset, entries, o.taps, batchSize)) {
    if (!layout) {
      layout = compositeLayout(o.taps, batch.taps);
      stats = new ColumnStats(layout.dims);
    }
    for (let i = 0; i < batch.prepared.length; i++) {
      const range = keptSteps(layout.fineSteps, batch.prepared[i]);
      stats!.add(
        rawComposite(layout, batch.taps, i, range.first, range.end),
        range.end - range.first,
      );
    }
    done += batch.prepared.length;
    opts.onProgress?.({ stage: "statistics", done, total: entries.length });
  }
  const L = layout!;
  const spec = finishSpec(L, stats!, o);
  const D = L.dims;
  const parts: { name: string | null; cols: [number, number] }[] = [{ name: null, cols: [0, D] }];
  if (o.blocks && L.taps.length > 1)
    L.taps.forEach((t, b) => parts.push({ name: t, cols: blockColumns(L, b) }));
  const learners = parts.map(
    (p) =>
      new MiniBatchKMeans(p.cols[1] - p.cols[0], { k: o.k, seed: o.seed, threads: opts.threads }),
  );
  const inertia = parts.map(() => 0);
  const expected = entries.length * L.fineSteps;
  const moments = parts.map((p) => {
    const w = p.cols[1] - p.cols[0];
    return o.variance === "effective"
      ? new ResidualMoments(w, momentStride(expected, w))
      : undefined;
  });
  let total = 0;

  // Passes 2 and 3 share the buffering: vectors accumulate until a mini-batch is full.
  const pass = async (
    stage: "minibatch" | "inertia",
    use: (x: Float32Array, rows: number) => Promise<void>,
  ) => {
    const cap = o.miniBatchPoints;
    let buf = new Float32Array(cap * D);
    let rows = 0;
    let n = 0;
    for await (const batch of streamTaps(model, dataset, entries, o.taps, batchSize)) {
      for (let i = 0; i < batch.prepared.length; i++) {
        const range = keptSteps(L.fineSteps, batch.prepared[i]);
        const r = range.end - range.first;
        const x = composite(L, spec, batch.taps, i, range);
        if (rows + r > cap && rows >= o.k) {
          await use(buf, rows);
          rows = 0;
        }
        if ((rows + r) * D > buf.length) {
          const grown = new Float32Array((rows + r) * D);
          grown.set(buf.subarray(0, rows * D));
          buf = grown;
        }
        buf.set(x, rows * D);
        rows += r;
      }
      n += batch.prepared.length;
      opts.onProgress?.({ stage, done: n, total: entries.length });
    }
    if (rows > 0) await use(buf, rows);
  };
  await pass("minibatch", async (x, rows) => {
    for (let p = 0; p < parts.length; p++) {
      const sub = p === 0 ? x.subarray(0, rows * D) : sliceColumns(x, rows, D, parts[p].cols);
      await learners[p].partialFit(sub);
    }
  });
  await pass("inertia", async (x, rows) => {
    total += rows;
    for (let p = 0; p < parts.length; p++) {
      const w = parts[p].cols[1] - parts[p].cols[0];
      const sub = p === 0 ? x.subarray(0, rows * D) : sliceColumns(x, rows, D, parts[p].cols);
      const a = await kmeansAssign(sub, w, learners[p].centroids!, opts.threads ?? 0);
      inertia[p] += a.inertia;
      moments[p]?.add(sub, a.labels, learners[p].centroids!);
    }
  });
  const fits = parts.map((p, i) => {
    const w = p.cols[1] - p.cols[0];
    return {
      columns: p.cols,
      centroids: learners[i].centroids!,
      k: o.k,
      sigma2: variance(o, inertia[i], total, w, moments[i]),
      inertia: inertia[i],
      iterations: 0,
    } satisfies ClusterFit;
  });
  const blocks: Record<string, ClusterFit> = {};
  parts.forEach((p, i) => {
    if (p.name) blocks[p.name] = fits[i];
  });
  return {
    layout: L,
    spec,
    main: fits[0],
    blocks,
    points: total,
    records: entries.length,
    seconds: 0,
  };
}
