/**
 * Cluster proportions (METHOD.md step 6); the segments and the step-to-sample mapping are the
 * explanation helpers' (src/explain).
 */

/** Share of rows in each cluster (hard proportions, sum 1). */
export function hardProportions(labels: ArrayLike<number>, k: number): number[] {
  const out = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) out[labels[i]]++;
  return labels.length ? out.map((c) => c / labels.length) : out;
}

/** Mean posterior of each cluster over the rows (soft proportions, sum 1). */
export function softProportions(probs: ArrayLike<number>, rows: number, k: number): number[] {
  const out = new Array<number>(k).fill(0);
  for (let r = 0; r < rows; r++) for (let q = 0; q < k; q++) out[q] += probs[r * k + q];
  return rows ? out.map((s) => s / rows) : out;
}
