/** Cluster prototypes: the median waveform under each cluster on one lead. */
import { segmentsOf } from "../../explain/explanation.js";
import type { EcgAnalysis, EvaluatedEcg } from "./ecg.js";

export interface PrototypesResult {
  lead: string;
  clusters: { waveform: number[]; duration: number; segments: number }[];
}

export class PrototypeAnalysis implements EcgAnalysis<PrototypesResult> {
  private acc: PrototypeAccumulator | null = null;

  constructor(private readonly lead = "II") {}

  add({ entry, record, explanation }: EvaluatedEcg): void {
    this.acc ??= new PrototypeAccumulator(explanation.proportions.length);
    const want = this.lead.toLowerCase();
    const li = record.leads.findIndex((l) => l.toLowerCase() === want);
    if (li < 0) return;
    const lead = record.signal.subarray(li * record.samples, (li + 1) * record.samples);
    this.acc.add(lead, explanation.clusters, entry.id);
  }

  /** What a shard kept (null when it saw no ECG), for {@link PrototypeAnalysis.merge}. */
  state(): PrototypeState | null {
    return this.acc?.state() ?? null;
  }

  /** Takes in another run's state (a later shard's, in shard order). */
  merge(state: PrototypeState | null): void {
    if (!state) return;
    this.acc ??= new PrototypeAccumulator(state.seen.length, state.length, state.maxSegments);
    this.acc.merge(state);
  }

  result(): PrototypesResult {
    return { lead: this.lead, clusters: this.acc?.result() ?? [] };
  }
}

/** A kept segment: its rank (hash of ECG id and segment index), resampled waveform, duration. */
interface KeptSegment {
  hash: number;
  key: string;
  waveform: number[];
  duration: number;
}

export interface PrototypeState {
  length: number;
  maxSegments: number;
  /** Per cluster, segments seen. */
  seen: number[];
  /** Per cluster, the kept segments (at most maxSegments). */
  kept: KeptSegment[][];
}

/** FNV-1a of a string, 32 bits: the rank of a segment in the bottom-k sample. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final mix, so that keys differing in their last characters spread over the range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

const byRank = (a: KeptSegment, b: KeptSegment) =>
  a.hash - b.hash || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Cluster prototypes: the median waveform under each cluster. Every segment of the cluster is
 * resampled (linear interpolation) to `length` points on one lead, so segments of different
 * durations align on their start and end; the prototype is the point-wise median over segments,
 * with the median duration in samples. Past `maxSegments` per cluster, the segments kept are
 * those with the smallest hash of (ECG id, segment index) (a bottom-k sample): a uniform sample
 * of all ECGs that does not depend on their order, so shards' samples merge into exactly the
 * single run's (the smallest k of the union).
 */
export class PrototypeAccumulator {
  private kept: KeptSegment[][];
  private seen: number[];
  /** Per cluster, the k-th smallest kept at the last pruning (null while fewer were seen). */
  private cut: (KeptSegment | null)[];
  private ecgs = 0;
  constructor(
    readonly k: number,
    readonly length = 64,
    readonly maxSegments = 2000,
  ) {
    this.kept = Array.from({ length: k }, () => []);
    this.seen = new Array<number>(k).fill(0);
    this.cut = new Array<KeptSegment | null>(k).fill(null);
  }
  /** Adds the segments of one record's lead (`lead`: that lead's samples; `id`: the ECG's,
   * unique in the dataset; default: its order of arrival). */
  add(lead: ArrayLike<number>, clusters: ArrayLike<number>, id = `#${this.ecgs}`): void {
    this.ecgs++;
    let index = 0;
    for (const r of segmentsOf(clusters)) {
      const len = r.end - r.start;
      const at = index++;
      if (len < 2 || r.cluster < 0 || r.cluster >= this.k) continue;
      this.seen[r.cluster]++;
      const key = `${id}\u0000${at}`;
      const hash = fnv1a(key);
      const list = this.kept[r.cluster];
      // Ranked above the k-th kept at the last pruning: never among the k smallest.
      const cut = this.cut[r.cluster];
      if (cut && byRank({ hash, key, waveform: [], duration: 0 }, cut) > 0) continue;
      const out = new Array<number>(this.length);
      for (let j = 0; j < this.length; j++) {
        const x = r.start + ((len - 1) * j) / (this.length - 1);
        const i0 = Math.floor(x);
        const i1 = Math.min(i0 + 1, r.end - 1);
        out[j] = Math.fround(lead[i0] + (x - i0) * (lead[i1] - lead[i0]));
      }
      list.push({ hash, key, waveform: out, duration: len });
      if (list.length >= 2 * this.maxSegments) this.prune(r.cluster);
    }
  }
  private prune(c: number): void {
    const list = this.kept[c];
    list.sort(byRank);
    if (list.length >= this.maxSegments) {
      list.length = this.maxSegments;
      this.cut[c] = list[this.maxSegments - 1];
    }
  }
  state(): PrototypeState {
    this.kept.forEach((_, c) => this.prune(c));
    return {
      length: this.length,
      maxSegments: this.maxSegments,
      seen: [...this.seen],
      kept: this.kept.map((l) => [...l]),
    };
  }
  /** Adds another accumulator's state: the counts add, the kept sets unite and are cut to k. */
  merge(s: PrototypeState): void {
    if (s.seen.length !== this.k || s.length !== this.length || s.maxSegments !== this.maxSegments)
      throw new Error("prototype states of different shapes cannot be merged");
    s.seen.forEach((n, c) => (this.seen[c] += n));
    s.kept.forEach((l, c) => {
      this.kept[c].push(...l);
      this.prune(c);
    });
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
    return this.kept.map((_, c) => {
      this.prune(c);
      const list = this.kept[c];
      return {
        waveform: Array.from({ length: this.length }, (_, j) =>
          median(list.map((s) => s.waveform[j])),
        ),
        duration: median(list.map((s) => s.duration)),
        segments: this.seen[c],
      };
    });
  }
}
