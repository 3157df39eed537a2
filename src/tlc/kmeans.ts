/**
 * k-means over the native kernels (native/src/kmeans_*.cc): k-means++ seeding, restarts, Lloyd
 * iterations with scikit-learn's stopping rules, and a mini-batch mode for point sets streamed
 * from disk or a model. Points are row-major Float32Arrays (points x dims).
 */
import { loadNative } from "../native.js";

interface NativeKmeans {
  kmeansFit(
    points: Float32Array,
    n: number,
    d: number,
    opts: {
      k: number;
      nInit: number;
      maxIter: number;
      tol: number;
      seed: number;
      threads: number;
      sample: number;
      nLocalTrials?: number;
      init?: Float32Array;
    },
  ): Promise<{
    centroids: Float32Array;
    labels: Int32Array;
    inertia: number;
    iterations: number;
    totalIterations: number;
    initInertia: number[];
  }>;
  kmeansAssign(
    points: Float32Array,
    n: number,
    d: number,
    centroids: Float32Array,
    k: number,
    threads: number,
  ): Promise<{ labels: Int32Array; distances: Float32Array; inertia: number }>;
  kmeansKernel(): KMeansKernel;
}

/** The native distance kernels in use: AVX2+FMA, or the portable loops (results differ in the last bits). */
export type KMeansKernel = "avx2" | "scalar";

export interface KMeansOptions {
  /** Clusters (default 8). */
  k?: number;
  /** Restarts from different k-means++ seeds; the lowest inertia wins (default 3, like sklearn's n_init=3 runs). */
  nInit?: number;
  /** Lloyd iterations per restart at most (default 300, as sklearn). */
  maxIter?: number;
  /** Relative tolerance: stop when the total squared centre shift <= tol x mean feature variance (default 1e-4, as sklearn). */
  tol?: number;
  seed?: number;
  /** Worker threads for the passes over the points (default: all cores). */
  threads?: number;
  /**
   * Coarse-to-fine: seed and converge each restart on a uniform sample of this many points, then
   * refine the best restart on all points. Faster, but on the 416,000 x 772 benchmark points it
   * ended 1.7 % above the full restarts' inertia, so it is off by default (0; "auto" = 100,000
   * points when there are more than 200,000). The full restarts use Hamerly's bounds instead.
   */
  sample?: number | "auto";
  /** Start from these centroids (k x dims) instead of k-means++ (one run). */
  init?: Float32Array;
}

export interface KMeansResult {
  k: number;
  dims: number;
  /** k x dims, row-major. */
  centroids: Float32Array;
  /** Cluster of every point. */
  labels: Int32Array;
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
  /** Lloyd iterations of the winning run on all points. */
  iterations: number;
  /** Inertia (on all points) of each restart. */
  initInertia: number[];
}

function native(): NativeKmeans {
  return loadNative<NativeKmeans>();
}

/**
 * Which distance kernels the native engine uses in this process: "avx2" when the CPU has AVX2 and
 * FMA, else "scalar" (also when ECG_TLC_KMEANS_SCALAR=1 was set before the engine loaded).
 */
export function kmeansKernel(): KMeansKernel {
  return native().kmeansKernel();
}

function checkPoints(points: Float32Array, dims: number): number {
  if (!Number.isInteger(dims) || dims < 1)
    throw new RangeError(`kmeans: dims must be >= 1, got ${dims}`);
  if (points.length % dims !== 0) {
    throw new RangeError(
      `kmeans: ${points.length} values are not a whole number of ${dims}-vectors`,
    );
  }
  return points.length / dims;
}

export function autoSample(n: number): number {
  return n > 200_000 ? 100_000 : 0;
}

/**
 * Fits k-means on `points` (n x dims). Deterministic for a given seed and options. Rejects points
 * (and init centroids) that are not finite, naming the first such row and dimension.
 */
export async function kmeans(
  points: Float32Array,
  dims: number,
  opts: KMeansOptions = {},
): Promise<KMeansResult> {
  const n = checkPoints(points, dims);
  const k = opts.k ?? 8;
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`kmeans: k must be a positive integer, got ${k}`);
  if (n < k) throw new RangeError(`kmeans: ${n} points cannot make ${k} clusters`);
  const sample = opts.sample === "auto" ? autoSample(n) : (opts.sample ?? 0);
  if (!Number.isInteger(sample) || sample < 0)
    throw new RangeError(`kmeans: sample must be a whole number of points, got ${sample}`);
  if (sample > 0 && sample < n && sample < k)
    throw new RangeError(`kmeans: a sample of ${sample} points cannot make ${k} clusters`);
  const r = await native().kmeansFit(points, n, dims, {
    k,
    nInit: opts.nInit ?? 3,
    maxIter: opts.maxIter ?? 300,
    tol: opts.tol ?? 1e-4,
    seed: opts.seed ?? 0,
    threads: opts.threads ?? 0,
    sample: sample >= n ? 0 : sample,
    ...(opts.init ? { init: opts.init } : {}),
  });
  return {
    k,
    dims,
    centroids: r.centroids,
    labels: r.labels,
    inertia: r.inertia,
    iterations: r.iterations,
    initInertia: r.initInertia,
  };
}

/**
 * Nearest centroid of every point, its squared distance, and the total (the inertia). Rejects
 * points or centroids that are not finite.
 */
export async function kmeansAssign(
  points: Float32Array,
  dims: number,
  centroids: Float32Array,
  threads = 0,
): Promise<{ labels: Int32Array; distances: Float32Array; inertia: number }> {
  const n = checkPoints(points, dims);
  const k = checkPoints(centroids, dims);
  if (n === 0) return { labels: new Int32Array(0), distances: new Float32Array(0), inertia: 0 };
  return native().kmeansAssign(points, n, dims, centroids, k, threads);
}

/**
 * Mini-batch k-means (Sculley 2010, as sklearn's MiniBatchKMeans): each batch moves every centre
 * towards the mean of its points with a per-centre learning rate 1/count. Memory holds one batch
 * and the centres, whatever the number of points streamed. Seeded by k-means++ on the first batch.
 */
export class MiniBatchKMeans {
  centroids: Float32Array | null = null;
  readonly counts: Float64Array;
  private readonly k: number;
  private batches = 0;

  constructor(
    readonly dims: number,
    private readonly opts: { k?: number; seed?: number; threads?: number } = {},
  ) {
    this.k = opts.k ?? 8;
    this.counts = new Float64Array(this.k);
  }

  /** Updates the centres with one batch (n x dims). The first batch must hold at least k points. */
  async partialFit(points: Float32Array): Promise<void> {
    const n = checkPoints(points, this.dims);
    if (n === 0) return;
    const d = this.dims;
    if (!this.centroids) {
      const init = await kmeans(points, d, {
        k: this.k,
        nInit: 3,
        seed: this.opts.seed ?? 0,
        threads: this.opts.threads,
        sample: 0,
      });
      this.centroids = init.centroids;
    }
    const c = this.centroids;
    const { labels } = await kmeansAssign(points, d, c, this.opts.threads ?? 0);
    const sums = new Float64Array(this.k * d);
    const batchCounts = new Float64Array(this.k);
    for (let i = 0; i < n; i++) {
      const q = labels[i];
      batchCounts[q]++;
      const o = i * d;
      const s = q * d;
      for (let j = 0; j < d; j++) sums[s + j] += points[o + j];
    }
    for (let q = 0; q < this.k; q++) {
      if (batchCounts[q] === 0) continue;
      this.counts[q] += batchCounts[q];
      // c <- c + (batch mean - c) * batchCount / totalCount: the running mean of all points seen.
      const rate = batchCounts[q] / this.counts[q];
      for (let j = 0; j < d; j++) {
        const mean = sums[q * d + j] / batchCounts[q];
        c[q * d + j] += (mean - c[q * d + j]) * rate;
      }
    }
    this.batches++;
  }
}
