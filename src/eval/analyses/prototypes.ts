/** Cluster prototypes: the median waveform under each cluster on one lead. */
import { segmentsOf } from "../../explain/explanation.js";
import { mulberry32 } from "../forest.js";
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

/**
 * Cluster prototypes: the median waveform under each cluster. Every segment of the cluster is
 * resampled (linear interpolation) to `length` points on one lead, so segments of different
 * durations align on their start and end; the prototype is the point-wise median over segments,
 * with the median duration in samples. Segments are gathered with {@link PrototypeAccumulator}.
 */
export class PrototypeAccumulator {
  private segs: Float32Array[][];
  private durations: number[][];
  private seen: number[];
  private rand = mulberry32(12345);
  constructor(
    readonly k: number,
    readonly length = 64,
    readonly maxSegments = 2000,
  ) {
    this.segs = Array.from({ length: k }, () => []);
    this.durations = Array.from({ length: k }, () => []);
    this.seen = new Array<number>(k).fill(0);
  }
  /** Adds the segments of one record's lead (`lead`: that lead's samples). */
  add(lead: ArrayLike<number>, clusters: ArrayLike<number>): void {
    for (const r of segmentsOf(clusters)) {
      const len = r.end - r.start;
      if (len < 2 || r.cluster < 0 || r.cluster >= this.k) continue;
      // Reservoir sampling: past maxSegments, each new segment replaces a random kept one with
      // probability max / seen, so the kept set is a uniform sample of all ECGs, not the first.
      const seen = ++this.seen[r.cluster];
      let slot = this.segs[r.cluster].length;
      if (slot >= this.maxSegments) {
        slot = Math.floor(this.rand() * seen);
        if (slot >= this.maxSegments) continue;
      }
      const out = new Float32Array(this.length);
      for (let j = 0; j < this.length; j++) {
        const x = r.start + ((len - 1) * j) / (this.length - 1);
        const i0 = Math.floor(x);
        const i1 = Math.min(i0 + 1, r.end - 1);
        out[j] = lead[i0] + (x - i0) * (lead[i1] - lead[i0]);
      }
      this.segs[r.cluster][slot] = out;
      this.durations[r.cluster][slot] = len;
    }
  }
  result(): { waveform: number[]; duration: number; segments: number }[] {
    const median = (v: number[]) => {
      const s = [...v].sort((a, b) => a - b);
      return s.length
        ? s.length % 2
          ? s[s.length >> 1]
          : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
        : NaN;
    };
    return this.segs.map((list, c) => ({
      waveform: Array.from({ length: this.length }, (_, j) => median(list.map((s) => s[j]))),
      duration: median(this.durations[c]),
      segments: this.seen[c],
    }));
  }
}
