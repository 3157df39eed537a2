/** Cluster prototypes: the median waveform under each cluster on one lead. */
import { PrototypeAccumulator } from "../analyses.js";
import type { EcgAnalysis, EvaluatedEcg } from "./ecg.js";

export interface PrototypesResult {
  lead: string;
  clusters: { waveform: number[]; duration: number; segments: number }[];
}

export class PrototypeAnalysis implements EcgAnalysis<PrototypesResult> {
  private acc: PrototypeAccumulator | null = null;

  constructor(private readonly lead = "II") {}

  add({ record, explanation }: EvaluatedEcg): void {
    this.acc ??= new PrototypeAccumulator(explanation.proportions.length);
    const want = this.lead.toLowerCase();
    const li = record.leads.findIndex((l) => l.toLowerCase() === want);
    if (li < 0) return;
    const lead = record.signal.subarray(li * record.samples, (li + 1) * record.samples);
    this.acc.add(lead, explanation.clusters);
  }

  result(): PrototypesResult {
    return { lead: this.lead, clusters: this.acc?.result() ?? [] };
  }
}
