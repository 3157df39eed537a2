/**
 * Landmark alignment: do TLC's clusters fall on the waves of the beat?
 *
 * Inputs are plain arrays so that the analysis tests without a network: one cluster per sample
 * (Explanation.clusters), one wave label per sample (0=P 1=QRS 2=T 3=TP/other, as
 * src/signal/waves.ts waveLabels gives them) and the annotated waves themselves for the peaks.
 * NMI follows scikit-learn's normalized_mutual_info_score (arithmetic mean of the entropies,
 * natural logarithms).
 */
import { WAVE_LABELS, type Landmark, type Wave, type WaveType } from "../types.js";

/** Wave types whose peaks are landmarks, in the order of the landmark tables. */
export const LANDMARK_WAVES: readonly WaveType[] = ["P", "QRS", "T"];

/** A rows x columns table of counts. */
export type Table = number[][];

/**
 * Cluster x label contingency table. Samples outside [from, to) or with a label outside
 * [0, nLabels) are not counted (e.g. the unannotated margins of a LUDB record).
 */
export function contingency(
  clusters: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  nLabels: number = WAVE_LABELS.length,
  from = 0,
  to = Math.min(clusters.length, labels.length),
): Table {
  const table: Table = Array.from({ length: k }, () => new Array<number>(nLabels).fill(0));
  for (let i = Math.max(0, from); i < to; i++) {
    const c = clusters[i];
    const w = labels[i];
    if (c >= 0 && c < k && w >= 0 && w < nLabels) table[c][w]++;
  }
  return table;
}

/**
 * The wave each cluster stands for, from a cluster x wave table ([P, QRS, T, TP] sample counts):
 * the wave it is most enriched in, i.e. the largest ratio of the wave's share of the cluster's
 * samples to its share of all samples. Not the wave holding most of the cluster's samples: the
 * baseline (TP) holds over half of all samples, so a P-wave cluster would be named TP by that.
 * A cluster without samples gets undefined.
 */
export function clusterWaveNames(
  table: Table,
  waves: readonly string[] = WAVE_LABELS,
): (string | undefined)[] {
  const cols = waves.map((_, j) => table.reduce((s, r) => s + (r[j] ?? 0), 0));
  const total = cols.reduce((s, v) => s + v, 0);
  return table.map((row) => {
    const n = row.reduce((s, v) => s + v, 0);
    let best = -1;
    let bestLift = 0;
    for (let j = 0; j < waves.length; j++) {
      if (!(row[j] > 0)) continue;
      const lift = row[j] / n / (cols[j] / total);
      if (best < 0 || lift > bestLift) [best, bestLift] = [j, lift];
    }
    return best < 0 ? undefined : waves[best];
  });
}

/** Element-wise sum of tables of the same shape (pooling records). */
export function addTables(a: Table, b: Table): Table {
  return a.map((row, i) => row.map((v, j) => v + (b[i]?.[j] ?? 0)));
}

function entropyOf(counts: number[], total: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / total) * Math.log(c / total);
  return h;
}

/** Mutual information (nats) of a contingency table. */
export function mutualInfo(table: Table): number {
  const rows = table.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = table[0]?.map((_, j) => table.reduce((s, r) => s + r[j], 0)) ?? [];
  const n = rows.reduce((s, v) => s + v, 0);
  if (n === 0) return 0;
  let mi = 0;
  for (let i = 0; i < table.length; i++)
    for (let j = 0; j < cols.length; j++) {
      const v = table[i][j];
      if (v > 0) mi += (v / n) * Math.log((v * n) / (rows[i] * cols[j]));
    }
  return Math.max(0, mi);
}

/** Normalised mutual information, sklearn's default (arithmetic mean of the two entropies).
 * As sklearn: 1 when both partitions are a single class, 0 when only one is. */
export function nmi(table: Table): number {
  const rows = table.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = table[0]?.map((_, j) => table.reduce((s, r) => s + r[j], 0)) ?? [];
  const n = rows.reduce((s, v) => s + v, 0);
  if (n === 0) return NaN;
  const nr = rows.filter((v) => v > 0).length;
  const nc = cols.filter((v) => v > 0).length;
  if (nr === 1 && nc === 1) return 1;
  if (nr === 1 || nc === 1) return 0;
  const denom = (entropyOf(rows, n) + entropyOf(cols, n)) / 2;
  return denom > 0 ? mutualInfo(table) / denom : 0;
}

/** Purity: share of samples in their cluster's most frequent label. */
export function purity(table: Table): number {
  let n = 0;
  let hit = 0;
  for (const row of table) {
    n += row.reduce((s, v) => s + v, 0);
    hit += Math.max(0, ...row);
  }
  return n === 0 ? NaN : hit / n;
}

/** Per label (column), the best cluster's Jaccard index |C and W| / |C or W|. */
export function bestJaccard(table: Table): number[] {
  const cols = table[0]?.map((_, j) => table.reduce((s, r) => s + r[j], 0)) ?? [];
  return cols.map((w, j) => {
    let best = 0;
    for (const row of table) {
      const c = row.reduce((s, v) => s + v, 0);
      const inter = row[j];
      const union = c + w - inter;
      if (union > 0) best = Math.max(best, inter / union);
    }
    return best;
  });
}

/** Per label (column), the share held by its most frequent cluster (NaN for an empty column). */
export function columnPurity(table: Table): number[] {
  const cols = table[0]?.map((_, j) => table.reduce((s, r) => s + r[j], 0)) ?? [];
  return cols.map((w, j) => (w === 0 ? NaN : Math.max(...table.map((r) => r[j])) / w));
}

/** Cluster x landmark table at the wave peaks (P, R = QRS peak, T): columns P, QRS, T.
 * Peaks outside [from, to) or outside the clusters are skipped. */
export function landmarkContingency(
  clusters: ArrayLike<number>,
  waves: Landmark[],
  k: number,
  from = 0,
  to = clusters.length,
): Table {
  const table: Table = Array.from({ length: k }, () => [0, 0, 0]);
  for (const w of waves) {
    const j = LANDMARK_WAVES.indexOf(w.type);
    const p = Math.round(w.peak);
    if (j < 0 || p < from || p >= to || p < 0 || p >= clusters.length) continue;
    const c = clusters[p];
    if (c >= 0 && c < k) table[c][j]++;
  }
  return table;
}

/** The alignment result of the `align` command (also part of `evaluate`'s output). */
export interface AlignmentResult {
  /** Records pooled. */
  records: number;
  /** Clusters x [P, QRS, T, TP] sample counts. */
  contingency: Table;
  nmi: number;
  purity: number;
  /** Best cluster's Jaccard index per wave label. */
  jaccard: Record<"P" | "QRS" | "T" | "TP", number>;
  landmarks: {
    /** Clusters x [P, QRS, T] peak counts. */
    contingency: Table;
    nmi: number;
    /** Share of each wave's peaks held by its most frequent cluster. */
    purity: Record<WaveType, number>;
    /** That most frequent cluster per wave. */
    cluster: Record<WaveType, number>;
  };
}

/** One record's inputs to the alignment. */
export interface AlignmentInput {
  clusters: ArrayLike<number>;
  /** One wave label per sample (0..3). */
  waveLabels: ArrayLike<number>;
  /** Annotated or delineated waves (for the peaks). */
  waves: Wave[];
  /** Annotated span [from, to): samples outside are ignored (LUDB leaves margins unannotated). */
  span?: [number, number];
}

/** Pools records into the sample-level and landmark-level alignment tables and scores. */
export function alignment(inputs: AlignmentInput[], k: number): AlignmentResult {
  let table: Table = contingency([], [], k);
  let peaks: Table = landmarkContingency([], [], k);
  for (const r of inputs) {
    const [from, to] = r.span ?? [0, r.clusters.length];
    table = addTables(table, contingency(r.clusters, r.waveLabels, k, 4, from, to));
    peaks = addTables(peaks, landmarkContingency(r.clusters, r.waves, k, from, to));
  }
  return summarizeAlignment(table, peaks, inputs.length);
}

/** Scores of pooled tables. */
export function summarizeAlignment(table: Table, peaks: Table, records: number): AlignmentResult {
  const jac = bestJaccard(table);
  const colP = columnPurity(peaks);
  const best = peaks[0]?.map((_, j) => {
    let arg = 0;
    for (let c = 1; c < peaks.length; c++) if (peaks[c][j] > peaks[arg][j]) arg = c;
    return arg;
  }) ?? [0, 0, 0];
  return {
    records,
    contingency: table,
    nmi: nmi(table),
    purity: purity(table),
    jaccard: { P: jac[0], QRS: jac[1], T: jac[2], TP: jac[3] },
    landmarks: {
      contingency: peaks,
      nmi: nmi(peaks),
      purity: { P: colP[0], QRS: colP[1], T: colP[2] },
      cluster: { P: best[0], QRS: best[1], T: best[2] },
    },
  };
}

/**
 * How close cluster boundaries lie to wave boundaries, against chance: mean distance (samples)
 * from each segment boundary to the nearest wave onset/offset, and the same for boundaries placed
 * uniformly at random in the span (expected value, computed exactly by scanning every position).
 */
export function boundaryDistance(
  clusters: ArrayLike<number>,
  waves: Wave[],
  span: [number, number] = [0, clusters.length],
): { mean: number; chance: number; boundaries: number } {
  const edges = waves.flatMap((w) => [w.onset, w.offset + 1]).sort((a, b) => a - b);
  if (edges.length === 0) return { mean: NaN, chance: NaN, boundaries: 0 };
  const [from, to] = span;
  // Distance from every position to the nearest edge, one linear sweep.
  const dist = new Float64Array(Math.max(0, to - from));
  let e = 0;
  for (let i = from; i < to; i++) {
    while (e + 1 < edges.length && Math.abs(edges[e + 1] - i) <= Math.abs(edges[e] - i)) e++;
    dist[i - from] = Math.abs(edges[e] - i);
  }
  let sum = 0;
  let count = 0;
  for (let i = from + 1; i < to; i++) {
    if (clusters[i] !== clusters[i - 1]) {
      sum += dist[i - from];
      count++;
    }
  }
  const chance = dist.length ? dist.reduce((s, v) => s + v, 0) / dist.length : NaN;
  return { mean: count ? sum / count : NaN, chance, boundaries: count };
}
