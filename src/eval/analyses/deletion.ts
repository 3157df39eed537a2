/** Deletion importance: per cluster, the mean change of the CNN's outputs when it is blanked. */
import { outputChange } from "../analyses.js";
import type { EcgAnalysis, EvaluatedEcg } from "./ecg.js";

export class DeletionImportance implements EcgAnalysis<number[]> {
  private sum: Float64Array | null = null;
  private count = 0;

  async add(ecg: EvaluatedEcg): Promise<void> {
    if (!ecg.inSample) return;
    const { base, blanked } = await ecg.probe();
    const k = ecg.explanation.proportions.length;
    const c = base.length;
    this.sum ??= new Float64Array(k);
    for (let q = 0; q < k; q++)
      this.sum[q] += outputChange(base, blanked.subarray(q * c, (q + 1) * c));
    this.count++;
  }

  /** Per cluster; empty when no ECG was in the sample. */
  result(): number[] {
    const sum = this.sum;
    return sum ? Array.from(sum, (v) => v / this.count) : [];
  }
}
