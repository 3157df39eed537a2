/**
 * Soft assignment and uncertainty (METHOD.md step 4): the posterior of an isotropic Gaussian
 * mixture on the k-means centroids with equal weights and one shared variance
 * sigma^2 = inertia / (points x dims), and its entropy normalised by log K.
 */
import { explainKernels } from "./native-kernels.js";
import { softmaxRows } from "./softmax.js";

export interface SoftAssignment {
  /** Arg-max (= nearest centroid) per row. */
  labels: Int32Array;
  /** rows x k posteriors, each row summing to 1. */
  probs: Float64Array;
  /** Normalised entropy per row, in [0, 1]. */
  entropy: Float64Array;
}

/** sigma^2 of the shared-variance mixture from a k-means fit. */
export function sharedVariance(inertia: number, points: number, dims: number): number {
  const s = inertia / (points * dims);
  // A perfect fit (all points on centroids) would divide by zero: fall back to a tiny variance.
  return s > 0 && Number.isFinite(s) ? s : Number.MIN_VALUE;
}

/**
 * Posteriors p_k ∝ exp(-||x - mu_k||^2 / (2 sigma^2)) and H = -sum p log p / log K per row
 * (`softmaxRows`), with exact squared distances in double. `x` holds rows of `dims` values; with
 * `columns` [c0, c1) only those columns are assigned (centroids of c1 - c0 values), without a copy.
 */
export function softAssign(
  x: Float32Array,
  rows: number,
  dims: number,
  centroids: ArrayLike<number>,
  k: number,
  sigma2: number,
  columns?: readonly [number, number],
): SoftAssignment {
  const labels = new Int32Array(rows);
  const probs = new Float64Array(rows * k);
  const entropy = new Float64Array(rows);
  // All squared distances first, into `probs` (the same sums in the same order as row by row).
  const c0 = columns ? columns[0] : 0;
  const w = columns ? columns[1] - columns[0] : dims;
  const mu = Float64Array.from(centroids);
  const native = explainKernels();
  let repeats: Uint8Array;
  if (native) {
    repeats = new Uint8Array(rows);
    native.tlcSquaredDistances(x, rows, dims, c0, w, mu, k, probs, repeats);
  } else repeats = squaredDistances(x, rows, dims, c0, w, mu, k, probs);
  softmaxRows(probs, repeats, rows, k, sigma2, labels, entropy);
  return { labels, probs, entropy };
}

/**
 * rows x k squared distances into `d2`, exact in double: columns [c0, c0 + w) of rows of `stride`
 * values against k centroids of w values. Six (or three) centroids at a time share each load of x; every
 * sum still runs over j in order, so the result is the plain loop's bit for bit. A row equal to
 * the one before is not computed again: its flag in the returned array is 1 (its d2 is unset).
 */
export function squaredDistances(
  x: Float32Array,
  rows: number,
  stride: number,
  c0: number,
  w: number,
  centroids: Float64Array,
  k: number,
  d2: Float64Array,
): Uint8Array {
  const repeats = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * stride + c0;
    const b = r * k;
    if (r > 0) {
      // Equal values give equal distances (0 and -0 too: their squared differences are equal).
      let j = 0;
      while (j < w && x[o + j] === x[o - stride + j]) j++;
      if (j === w) {
        repeats[r] = 1;
        continue;
      }
    }
    let q = 0;
    for (; q + 6 <= k; q += 6) {
      const ca = q * w;
      let sa = 0;
      let sb = 0;
      let sc = 0;
      let sd = 0;
      let se = 0;
      let sf = 0;
      for (let j = 0; j < w; j++) {
        const v = x[o + j];
        const va = v - centroids[ca + j];
        const vb = v - centroids[ca + w + j];
        const vc = v - centroids[ca + 2 * w + j];
        const vd = v - centroids[ca + 3 * w + j];
        const ve = v - centroids[ca + 4 * w + j];
        const vf = v - centroids[ca + 5 * w + j];
        sa += va * va;
        sb += vb * vb;
        sc += vc * vc;
        sd += vd * vd;
        se += ve * ve;
        sf += vf * vf;
      }
      d2[b + q] = sa;
      d2[b + q + 1] = sb;
      d2[b + q + 2] = sc;
      d2[b + q + 3] = sd;
      d2[b + q + 4] = se;
      d2[b + q + 5] = sf;
    }
    for (; q + 3 <= k; q += 3) {
      const ca = q * w;
      const cb = ca + w;
      const cc = cb + w;
      let sa = 0;
      let sb = 0;
      let sc = 0;
      for (let j = 0; j < w; j++) {
        const v = x[o + j];
        const va = v - centroids[ca + j];
        const vb = v - centroids[cb + j];
        const vc = v - centroids[cc + j];
        sa += va * va;
        sb += vb * vb;
        sc += vc * vc;
      }
      d2[b + q] = sa;
      d2[b + q + 1] = sb;
      d2[b + q + 2] = sc;
    }
    for (; q < k; q++) {
      const c = q * w;
      let s = 0;
      for (let j = 0; j < w; j++) {
        const v = x[o + j] - centroids[c + j];
        s += v * v;
      }
      d2[b + q] = s;
    }
  }
  return repeats;
}

/**
 * sigma^2 of an isotropic Gaussian matched to the within-cluster residuals by their first two
 * moments (Satterthwaite): with Sigma the pooled covariance of x - mu(x), ||x - mu||^2 has mean
 * tr(Sigma) and variance 2 tr(Sigma^2); an isotropic Gaussian in D_eff = tr(Sigma)^2 / tr(Sigma^2)
 * dimensions with variance s^2 = tr(Sigma^2) / tr(Sigma) has the same two. Composite features are
 * strongly correlated (D_eff is far below the number of channels), which is why the per-dimension
 * variance inertia / (points x dims) makes the posteriors almost hard.
 *
 * Accumulates R^T R over a subsample of rows (every `stride`-th row offered), upper triangle in
 * double.
 */
export class ResidualMoments {
  private readonly gram: Float64Array;
  private rows = 0;
  private offered = 0;

  constructor(
    readonly dims: number,
    readonly stride = 1,
  ) {
    this.gram = new Float64Array(dims * dims);
  }

  /** Rows of `points` (rows x dims) with their cluster labels and the k x dims centroids. */
  add(points: Float32Array, labels: ArrayLike<number>, centroids: Float32Array): void {
    const D = this.dims;
    const rows = labels.length;
    const r = new Float64Array(D);
    const g = this.gram;
    for (let i = 0; i < rows; i++, this.offered++) {
      if (this.offered % this.stride !== 0) continue;
      const o = i * D;
      const c = labels[i] * D;
      for (let j = 0; j < D; j++) r[j] = points[o + j] - centroids[c + j];
      for (let a = 0; a < D; a++) {
        const ra = r[a];
        if (ra === 0) continue;
        const row = a * D;
        for (let b = a; b < D; b++) g[row + b] += ra * r[b];
      }
      this.rows++;
    }
  }

  /** Rows accumulated so far. */
  get count(): number {
    return this.rows;
  }

  /** s^2 = tr(Sigma^2) / tr(Sigma) and D_eff = tr(Sigma)^2 / tr(Sigma^2). */
  finish(): { sigma2: number; effectiveDims: number } {
    const D = this.dims;
    const g = this.gram;
    let trace = 0;
    let frob = 0;
    for (let a = 0; a < D; a++) {
      trace += g[a * D + a];
      frob += g[a * D + a] * g[a * D + a];
      for (let b = a + 1; b < D; b++) frob += 2 * g[a * D + b] * g[a * D + b];
    }
    if (this.rows === 0 || !(trace > 0)) return { sigma2: Number.MIN_VALUE, effectiveDims: 0 };
    return { sigma2: frob / (this.rows * trace), effectiveDims: (trace * trace) / frob };
  }
}

/** Stride that keeps about `budget` multiply-adds (rows x dims^2 / 2) for `rows` rows. */
export function momentStride(rows: number, dims: number, budget = 2e9): number {
  const maxRows = Math.max(1000, Math.floor((2 * budget) / (dims * dims)));
  return Math.max(1, Math.ceil(rows / maxRows));
}
