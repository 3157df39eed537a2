/**
 * sigma^2 of the soft assignment chosen on held-out vectors instead of by formula. The posterior
 * p(k | x) ∝ exp(-||x - mu_k||^2 / (2 sigma^2)) is an equal-weight isotropic mixture on the
 * k-means centroids; sigma^2 sets how soft it is. Two held-out criteria, each a 1-D maximisation
 * over log sigma^2 (golden section):
 *  - "mixture": the log-likelihood of the held-out vectors under the mixture. It tends to the
 *    per-dimension variance (its maximum-likelihood value), so the posteriors stay nearly hard in
 *    hundreds of correlated dimensions.
 *  - "labels": the log-likelihood of the clusters an independent refit (k-means on other vectors,
 *    its clusters matched to these) gives the held-out vectors: a temperature calibrated so that
 *    p(k | x) is the probability that x lands in cluster k when the clustering is fitted again on
 *    another sample. Entropy then says how likely a step's cluster is to change.
 */
import { Random } from "../signal/random.js";
import { squaredDistances } from "./assign.js";
import { kmeans, type KMeansOptions } from "./kmeans.js";

export interface HeldOutVariance {
  sigma2: number;
  /** Mean held-out log-likelihood per vector at sigma2 (nats; "labels": of the refit's labels). */
  logLikelihood: number;
  /** Held-out vectors used. */
  rows: number;
  /** Share of held-out vectors whose refit label differs from their nearest centroid ("labels"). */
  disagreement?: number;
  /** True when the maximum sits on the search interval's edge (e.g. no disagreement at all). */
  atBound: boolean;
}

export interface HeldOutInput {
  /** Held-out vectors, rows x dims (not used to fit `centroids`). */
  points: Float32Array;
  rows: number;
  dims: number;
  /** k x dims. */
  centroids: ArrayLike<number>;
  k: number;
  /**
   * Per held-out row, its cluster (in `centroids`' numbering) under an independent refit: given,
   * sigma^2 maximises the likelihood of these labels; absent, of the vectors themselves.
   */
  labels?: ArrayLike<number>;
}

/** rows x k squared distances of the held-out vectors to the centroids, in double. */
export function distanceMatrix(
  points: Float32Array,
  rows: number,
  dims: number,
  centroids: ArrayLike<number>,
  k: number,
): Float64Array {
  const d2 = new Float64Array(rows * k);
  const repeats = squaredDistances(
    points,
    rows,
    dims,
    0,
    dims,
    Float64Array.from(centroids),
    k,
    d2,
  );
  for (let r = 1; r < rows; r++) if (repeats[r]) d2.copyWithin(r * k, (r - 1) * k, r * k);
  return d2;
}

/** log sum_q exp(-d2_q / (2 s)) for one row, shifted by its smallest distance. */
function logSumExp(
  d2: Float64Array,
  b: number,
  k: number,
  s: number,
): { lse: number; min: number } {
  let min = Infinity;
  for (let q = 0; q < k; q++) if (d2[b + q] < min) min = d2[b + q];
  let z = 0;
  for (let q = 0; q < k; q++) z += Math.exp(-(d2[b + q] - min) / (2 * s));
  return { lse: Math.log(z) - min / (2 * s), min };
}

/**
 * Mean log-likelihood per row of the equal-weight isotropic mixture with variance s in `dims`
 * dimensions: log (1/K) sum_q N(x; mu_q, s I).
 */
export function mixtureLogLikelihood(d2: Float64Array, k: number, dims: number, s: number): number {
  const rows = d2.length / k;
  let sum = 0;
  for (let r = 0; r < rows; r++) sum += logSumExp(d2, r * k, k, s).lse;
  return sum / rows - Math.log(k) - (dims / 2) * Math.log(2 * Math.PI * s);
}

/** Mean log posterior of the given labels: log p(label | x) under variance s. */
export function labelLogLikelihood(
  d2: Float64Array,
  k: number,
  labels: ArrayLike<number>,
  s: number,
): number {
  const rows = d2.length / k;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const b = r * k;
    sum += -d2[b + labels[r]] / (2 * s) - logSumExp(d2, b, k, s).lse;
  }
  return sum / rows;
}

/** The maximum of a unimodal f on [lo, hi] by golden-section search, to within `tol`. */
export function goldenMaximum(
  f: (x: number) => number,
  lo: number,
  hi: number,
  tol = 1e-3,
): { x: number; value: number } {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > tol) {
    if (fc >= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  // The ends are candidates too, so that a maximum on the edge is found exactly there.
  const cands = [
    { x: lo, value: f(lo) },
    { x: hi, value: f(hi) },
    fc >= fd ? { x: c, value: fc } : { x: d, value: fd },
  ];
  return cands.reduce((best, v) => (v.value > best.value ? v : best));
}

/**
 * sigma^2 that maximises a held-out log-likelihood (see the module comment): of `labels` when
 * given, else of the vectors under the mixture. Searched over log sigma^2 from 1/1000 of the
 * per-dimension variance of the held-out vectors to 1000 times their per-vector variance.
 */
export function heldOutVariance(input: HeldOutInput): HeldOutVariance {
  const { points, rows, dims, centroids, k, labels } = input;
  if (rows < 1) throw new RangeError("heldOutVariance: no held-out vectors");
  if (points.length < rows * dims)
    throw new RangeError(`heldOutVariance: ${points.length} values for ${rows} x ${dims}`);
  if (labels && labels.length !== rows)
    throw new RangeError(`heldOutVariance: ${labels.length} labels for ${rows} vectors`);
  const d2 = distanceMatrix(points, rows, dims, centroids, k);
  let inertia = 0;
  let disagree = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let q = 1; q < k; q++) if (d2[r * k + q] < d2[r * k + best]) best = q;
    inertia += d2[r * k + best];
    if (labels && labels[r] !== best) disagree++;
  }
  const perDim = inertia / (rows * dims);
  if (!(perDim > 0) || k < 2)
    return { sigma2: Number.MIN_VALUE, logLikelihood: 0, rows, atBound: true };
  const lo = Math.log(perDim / 1000);
  const hi = Math.log(perDim * dims * 1000);
  const f = labels
    ? (t: number) => labelLogLikelihood(d2, k, labels, Math.exp(t))
    : (t: number) => mixtureLogLikelihood(d2, k, dims, Math.exp(t));
  const best = goldenMaximum(f, lo, hi, 1e-3);
  return {
    sigma2: Math.exp(best.x),
    logLikelihood: best.value,
    rows,
    ...(labels ? { disagreement: disagree / rows } : {}),
    atBound: best.x === lo || best.x === hi,
  };
}

/**
 * The permutation m (refit cluster j -> m[j] of the reference) that minimises the summed squared
 * distance between matched centroids (the assignment problem; Hungarian method, O(k^3)).
 */
export function matchCentroids(
  reference: ArrayLike<number>,
  other: ArrayLike<number>,
  k: number,
  dims: number,
): Int32Array {
  // cost[i][j]: reference i against other j.
  const cost: number[][] = [];
  for (let i = 0; i < k; i++) {
    const row: number[] = [];
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let d = 0; d < dims; d++) {
        const v = reference[i * dims + d] - other[j * dims + d];
        s += v * v;
      }
      row.push(s);
    }
    cost.push(row);
  }
  // Jonker-Volgenant style potentials (e-maxx's Hungarian), 1-based.
  const u = new Float64Array(k + 1);
  const v = new Float64Array(k + 1);
  const p = new Int32Array(k + 1); // p[j]: reference row matched to column j
  const way = new Int32Array(k + 1);
  for (let i = 1; i <= k; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(k + 1).fill(Infinity);
    const used = new Uint8Array(k + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= k; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= k; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const m = new Int32Array(k);
  for (let j = 1; j <= k; j++) m[j - 1] = p[j] - 1;
  return m;
}

/** Held-out vectors a fit-time estimate uses at most (plenty for one parameter). */
export const HELD_OUT_ROWS = 100_000;

/**
 * sigma^2 by held-out likelihood at fit time, from the fit's own vector sample: a random half of
 * the rows is clustered again (k-means with the fit's options), and at most HELD_OUT_ROWS of the
 * other half, which that refit never saw, are held out. "held-out": the mixture likelihood of the
 * held-out vectors under the refit's centroids; "refit": the likelihood, under `centroids` (the
 * fit's own), of the clusters the refit gives the held-out vectors (matched to `centroids`).
 */
export async function fitHeldOutVariance(
  kind: "held-out" | "refit",
  points: Float32Array,
  rows: number,
  dims: number,
  centroids: Float32Array,
  km: KMeansOptions & { k: number; seed: number },
): Promise<HeldOutVariance> {
  const k = km.k;
  if (rows < 2 * k) throw new RangeError(`held-out variance: ${rows} vectors for K = ${k}`);
  // A seeded shuffle splits the rows: the first half refits, the rest is held out.
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const rng = new Random(km.seed + 7919);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const nFit = Math.floor(rows / 2);
  const nHeld = Math.min(rows - nFit, HELD_OUT_ROWS);
  const gather = (from: number, n: number) => {
    const out = new Float32Array(n * dims);
    for (let i = 0; i < n; i++) {
      const r = order[from + i];
      out.set(points.subarray(r * dims, (r + 1) * dims), i * dims);
    }
    return out;
  };
  const refit = await kmeans(gather(0, nFit), dims, { ...km, seed: km.seed + 1 });
  const held = gather(nFit, nHeld);
  if (kind === "held-out") {
    return heldOutVariance({ points: held, rows: nHeld, dims, centroids: refit.centroids, k });
  }
  const match = matchCentroids(centroids, refit.centroids, k, dims);
  const d2 = distanceMatrix(held, nHeld, dims, refit.centroids, k);
  const labels = new Int32Array(nHeld);
  for (let r = 0; r < nHeld; r++) {
    let best = 0;
    for (let q = 1; q < k; q++) if (d2[r * k + q] < d2[r * k + best]) best = q;
    labels[r] = match[best];
  }
  return heldOutVariance({ points: held, rows: nHeld, dims, centroids, k, labels });
}
