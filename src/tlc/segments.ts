/**
 * Segmentation (METHOD.md steps 5-6): fine steps mapped back to the record's own samples (padding
 * and resampling undone), runs of one cluster as segments, hard and soft proportions.
 */
import { preparedToSource, type PreparedSignal } from "../signal/preprocess.js";

export interface Segment {
  /** First source sample. */
  start: number;
  /** One past the last source sample. */
  end: number;
  cluster: number;
  /** Mean entropy over the segment's samples. */
  entropy: number;
}

/**
 * For every source sample, the fine step that covers it. Step t of T over the L prepared samples
 * covers prepared [t L/T, (t+1) L/T), i.e. source samples [b_t, b_{t+1}) with
 * b_t = preparedToSource(p, t L/T). Samples outside every kept step (possible only at the edges
 * through rounding, or when the record was cropped) take the nearest kept step.
 */
export function stepOfSamples(
  prepared: Pick<PreparedSignal, "length" | "fs" | "sourceFs" | "sourceSamples" | "offset">,
  fineSteps: number,
  kept: { first: number; end: number },
): Int32Array {
  const n = prepared.sourceSamples;
  const out = new Int32Array(n);
  const T = fineSteps;
  const L = prepared.length;
  let t = kept.first;
  for (let s = 0; s < n; s++) {
    // Advance while sample s lies at or past the start of the next step.
    while (t + 1 < kept.end && s >= preparedToSource(prepared as PreparedSignal, ((t + 1) * L) / T))
      t++;
    out[s] = t;
  }
  return out;
}

/** Runs of one cluster over per-sample clusters, with the mean entropy of each run. */
export function segmentsOf(clusters: ArrayLike<number>, entropy: ArrayLike<number>): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  let sum = 0;
  for (let i = 0; i < clusters.length; i++) {
    sum += entropy[i];
    if (i + 1 === clusters.length || clusters[i + 1] !== clusters[i]) {
      out.push({ start, end: i + 1, cluster: clusters[i], entropy: sum / (i + 1 - start) });
      start = i + 1;
      sum = 0;
    }
  }
  return out;
}

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
