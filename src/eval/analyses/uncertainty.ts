/** Uncertainty (mean assignment entropy) by class, by wave and by class x wave. */
import { delineate } from "../../signal/delineate/index.js";
import { waveLabels } from "../../signal/waves.js";
import { UncertaintyAccumulator, type UncertaintyResult } from "../analyses.js";
import type { EcgAnalysis, EvaluatedEcg } from "./ecg.js";

export class UncertaintyAnalysis implements EcgAnalysis<UncertaintyResult> {
  private readonly acc: UncertaintyAccumulator;

  /** `waves`: delineate each ECG for the by-wave means (an age model has one group, "all"). */
  constructor(
    private readonly classes: string[],
    private readonly task: string,
    private readonly waves = true,
  ) {
    this.acc = new UncertaintyAccumulator(task === "age" ? ["all"] : classes);
  }

  add({ entry, record, explanation }: EvaluatedEcg): void {
    const labels =
      this.task === "age" ? [1] : this.classes.map((name) => (entry.labels.includes(name) ? 1 : 0));
    let wl: Uint8Array | undefined;
    if (this.waves) {
      const d = delineate(record);
      if (d.waves.length) wl = waveLabels(d.waves, record.samples);
    }
    this.acc.add({
      meanEntropy: explanation.meanEntropy,
      labels,
      entropy: explanation.entropy,
      waveLabels: wl,
    });
  }

  result(): UncertaintyResult {
    return this.acc.result();
  }
}
