/** Deletion importance: per cluster, the mean change of the CNN's outputs when it is blanked. */
import { outputChange } from "../analyses.js";
import type { EcgAnalysis, EvaluatedEcg } from "./ecg.js";

export class DeletionImportance implements EcgAnalysis<number[]> {
  /** Per sampled ECG, in order, the K changes: a shard's state, summed in order at the end. */
  private rows: number[][] = [];

  async add(ecg: EvaluatedEcg): Promise<void> {
    if (!ecg.inSample) return;
    const { base, blanked } = await ecg.probe();
    const k = ecg.explanation.proportions.length;
    const c = base.length;
    const row: number[] = [];
    for (let q = 0; q < k; q++) row.push(outputChange(base, blanked.subarray(q * c, (q + 1) * c)));
    this.rows.push(row);
  }

  state(): number[][] {
    return this.rows;
  }

  /** Appends a later shard's state. */
  merge(rows: number[][]): void {
    this.rows.push(...rows);
  }

  /** Per cluster; empty when no ECG was in the sample. */
  result(): number[] {
    if (!this.rows.length) return [];
    const sum = new Float64Array(this.rows[0].length);
    for (const row of this.rows) row.forEach((v, q) => (sum[q] += v));
    return Array.from(sum, (v) => v / this.rows.length);
  }
}
