/**
 * Soft assignment and uncertainty (METHOD.md step 4): the posterior of an isotropic Gaussian
 * mixture on the k-means centroids with equal weights and one shared variance
 * sigma^2 = inertia / (points x dims), and its entropy normalised by log K.
 */

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
 * Posteriors p_k ∝ exp(-||x - mu_k||^2 / (2 sigma^2)) and H = -sum p log p / log K per row,
 * with exact squared distances in double (rows of one ECG are few; this is not the hot path).
 */
export function softAssign(
  x: Float32Array,
  rows: number,
  dims: number,
  centroids: ArrayLike<number>,
  k: number,
  sigma2: number,
): SoftAssignment {
  const labels = new Int32Array(rows);
  const probs = new Float64Array(rows * k);
  const entropy = new Float64Array(rows);
  const d2 = new Float64Array(k);
  const logK = Math.log(k);
  for (let r = 0; r < rows; r++) {
    const o = r * dims;
    let best = 0;
    for (let q = 0; q < k; q++) {
      let s = 0;
      const c = q * dims;
      for (let j = 0; j < dims; j++) {
        const v = x[o + j] - centroids[c + j];
        s += v * v;
      }
      d2[q] = s;
      if (s < d2[best]) best = q;
    }
    labels[r] = best;
    // Softmax of -d2 / (2 sigma^2), shifted by the nearest distance so that exp never underflows to all zeros.
    let z = 0;
    for (let q = 0; q < k; q++) {
      const p = Math.exp(-(d2[q] - d2[best]) / (2 * sigma2));
      probs[r * k + q] = p;
      z += p;
    }
    let h = 0;
    for (let q = 0; q < k; q++) {
      const p = probs[r * k + q] / z;
      probs[r * k + q] = p;
      if (p > 0) h -= p * Math.log(p);
    }
    entropy[r] = k > 1 ? Math.min(1, Math.max(0, h / logK)) : 0;
  }
  return { labels, probs, entropy };
}
