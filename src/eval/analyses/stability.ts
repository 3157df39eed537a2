/** Stability: agreement and NMI of each ECG's segmentation with that of a noisy copy. */
import type { BoundExplainer } from "../../explain/explanation.js";
import type { EcgRecord } from "../../types.js";
import { addGaussianNoise, segmentationStability } from "../analyses.js";
import type { EcgAnalysis, EvaluatedEcg } from "./ecg.js";

export interface StabilityResult {
  /** Noise std as a fraction of each lead's std. */
  noise: number;
  agreement: number;
  nmi: number;
  records: number;
}

function leadStd(rec: EcgRecord): number[] {
  const out: number[] = [];
  for (let l = 0; l < rec.leads.length; l++) {
    const x = rec.signal.subarray(l * rec.samples, (l + 1) * rec.samples);
    let m = 0;
    for (const v of x) m += v;
    m /= x.length || 1;
    let s = 0;
    for (const v of x) s += (v - m) ** 2;
    out.push(Math.sqrt(s / (x.length || 1)));
  }
  return out;
}

export class StabilityAnalysis implements EcgAnalysis<StabilityResult> {
  /** Per sampled ECG, in order: [agreement, NMI] (a shard's state, summed in order at the end). */
  private rows: [number, number][] = [];

  constructor(
    private readonly explainer: Pick<BoundExplainer, "explain">,
    private readonly noise = 0.1,
  ) {}

  async add({ inSample, index, record: rec, explanation: ex }: EvaluatedEcg): Promise<void> {
    if (!inSample) return;
    // The same ECG with Gaussian noise of `noise` x each lead's std, seeded by its position.
    const noisy = Float32Array.from(rec.signal);
    leadStd(rec).forEach((s, l) => {
      const nz = addGaussianNoise(
        new Float32Array(rec.samples),
        this.noise * s,
        1000 + index * 31 + l,
      );
      for (let t = 0; t < rec.samples; t++) noisy[l * rec.samples + t] += nz[t];
    });
    const [again] = await this.explainer.explain([{ ...rec, signal: noisy }]);
    const s = segmentationStability(ex.clusters, again.clusters, ex.proportions.length);
    this.rows.push([s.agreement, s.nmi]);
  }

  state(): [number, number][] {
    return this.rows;
  }

  /** Appends a later shard's state. */
  merge(rows: [number, number][]): void {
    this.rows.push(...rows);
  }

  result(): StabilityResult {
    let agreement = 0;
    let nmi = 0;
    for (const [a, m] of this.rows) {
      agreement += a;
      nmi += m;
    }
    const records = this.rows.length;
    return { noise: this.noise, agreement: agreement / records, nmi: nmi / records, records };
  }
}
