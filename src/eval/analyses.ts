/**
 * The analyses beside surrogate fidelity (METHOD.md "Evaluation" and "Beyond the paper"), as pure
 * functions over arrays: label correlation, uncertainty by class and wave, permutation and
 * deletion importance, stability under noise, cluster prototypes, label-error candidates and
 * Grad-CAM beside TLC. The evaluate command feeds them from the model and the explainer.
 */
import { nmi, contingency } from "./alignment.js";
import { accuracy, pearson } from "./metrics.js";
import { mulberry32 } from "./forest.js";

/** K x classes Pearson correlation of cluster proportions with class probabilities. */
export function labelCorrelation(
  proportions: ArrayLike<number>,
  k: number,
  probs: ArrayLike<number>,
  classes: number,
): number[][] {
  const n = proportions.length / k;
  const out: number[][] = [];
  for (let c = 0; c < k; c++) {
    const x = Float64Array.from({ length: n }, (_, i) => proportions[i * k + c]);
    const row: number[] = [];
    for (let j = 0; j < classes; j++) {
      const y = Float64Array.from({ length: n }, (_, i) => probs[i * classes + j]);
      row.push(pearson(x, y));
    }
    out.push(row);
  }
  return out;
}

/** Running sums for means by group. */
export class GroupMeans {
  readonly sum: Float64Array;
  readonly count: Float64Array;
  constructor(readonly groups: number) {
    this.sum = new Float64Array(groups);
    this.count = new Float64Array(groups);
  }
  add(group: number, value: number, weight = 1): void {
    if (group < 0 || group >= this.groups || !Number.isFinite(value)) return;
    this.sum[group] += value * weight;
    this.count[group] += weight;
  }
  means(): number[] {
    return Array.from(this.sum, (s, i) => (this.count[i] > 0 ? s / this.count[i] : NaN));
  }
}

/**
 * Uncertainty by class and by wave. `perRecord` gives for each ECG its mean entropy, its labels
 * (0/1 per class) and optionally per-sample entropy and wave labels (0..3). The result has the mean
 * entropy per class, per wave, and per class x wave (which waves are stable for which classes).
 */
export interface UncertaintyResult {
  byClass: Record<string, number>;
  byWave: Record<string, number>;
  byClassWave: Record<string, Record<string, number>>;
  /** Mean entropy of all ECGs. */
  overall: number;
}

export class UncertaintyAccumulator {
  private cls: GroupMeans;
  private wave = new GroupMeans(4);
  private cw: GroupMeans[];
  private all = new GroupMeans(1);
  constructor(
    readonly classes: string[],
    readonly waves: readonly string[] = ["P", "QRS", "T", "TP"],
  ) {
    this.cls = new GroupMeans(classes.length);
    this.cw = classes.map(() => new GroupMeans(waves.length));
  }
  add(rec: {
    meanEntropy: number;
    labels: ArrayLike<number>;
    entropy?: ArrayLike<number>;
    waveLabels?: ArrayLike<number>;
  }): void {
    this.all.add(0, rec.meanEntropy);
    for (let c = 0; c < this.classes.length; c++)
      if (rec.labels[c]) this.cls.add(c, rec.meanEntropy);
    if (!rec.entropy || !rec.waveLabels) return;
    // Per-record wave means first, so that long records do not outweigh short ones.
    const local = new GroupMeans(this.waves.length);
    const n = Math.min(rec.entropy.length, rec.waveLabels.length);
    for (let i = 0; i < n; i++) local.add(rec.waveLabels[i], rec.entropy[i]);
    local.means().forEach((m, w) => {
      if (!Number.isFinite(m)) return;
      this.wave.add(w, m);
      for (let c = 0; c < this.classes.length; c++) if (rec.labels[c]) this.cw[c].add(w, m);
    });
  }
  result(): UncertaintyResult {
    const named = (names: readonly string[], v: number[]) =>
      Object.fromEntries(names.map((n, i) => [n, v[i]]));
    return {
      byClass: named(this.classes, this.cls.means()),
      byWave: named(this.waves, this.wave.means()),
      byClassWave: Object.fromEntries(
        this.classes.map((c, i) => [c, named(this.waves, this.cw[i].means())]),
      ),
      overall: this.all.means()[0],
    };
  }
}

/** A class x wave cell of the uncertainty, relative to that wave's entropy over all ECGs. */
export interface UnstableWave {
  cls: string;
  wave: string;
  entropy: number;
  /** entropy / the wave's mean entropy over all ECGs: > 1 is less stable than usual. */
  ratio: number;
}

/**
 * The class x wave cells whose entropy stands out most against the same wave in all ECGs, most
 * unstable first. Ratios, not raw entropies, because sigma^2 sets the entropies' scale (per-dim
 * variance in hundreds of dimensions gives entropies of order 0.001) but not their ranking.
 */
export function leastStable(u: UncertaintyResult, n = 3): UnstableWave[] {
  const cells: UnstableWave[] = [];
  for (const [cls, waves] of Object.entries(u.byClassWave))
    for (const [wave, entropy] of Object.entries(waves)) {
      const ratio = entropy / u.byWave[wave];
      if (Number.isFinite(ratio)) cells.push({ cls, wave, entropy, ratio });
    }
  return cells.sort((a, b) => b.ratio - a.ratio).slice(0, n);
}

/**
 * Permutation importance of each feature for a fitted model (sklearn permutation_importance): drop
 * in `score` against `target` (default: agreement, for a multi-label forest's labels; R^2 for a
 * regressor) when the feature's column is shuffled, mean and std over `repeats` shuffles.
 */
export function permutationImportance(
  forest: { predict(X: ArrayLike<number>): ArrayLike<number> },
  X: ArrayLike<number>,
  d: number,
  target: ArrayLike<number>,
  {
    repeats = 5,
    seed = 0,
    score = accuracy,
  }: {
    repeats?: number;
    seed?: number;
    score?: (pred: ArrayLike<number>, target: ArrayLike<number>) => number;
  } = {},
): { mean: number[]; std: number[]; baseline: number } {
  const n = X.length / d;
  const base = score(forest.predict(X), target);
  const rand = mulberry32(seed);
  const mean: number[] = [];
  const std: number[] = [];
  const Xp = Float64Array.from(X);
  for (let f = 0; f < d; f++) {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const col = Float64Array.from({ length: n }, (_, i) => X[i * d + f]);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = col[i];
        col[i] = col[j];
        col[j] = t;
      }
      for (let i = 0; i < n; i++) Xp[i * d + f] = col[i];
      drops.push(base - score(forest.predict(Xp), target));
    }
    for (let i = 0; i < n; i++) Xp[i * d + f] = X[i * d + f];
    const m = drops.reduce((s, v) => s + v, 0) / repeats;
    mean.push(m);
    std.push(Math.sqrt(drops.reduce((s, v) => s + (v - m) ** 2, 0) / repeats));
  }
  return { mean, std, baseline: base };
}

/**
 * Deletion: a copy of a lead-major signal where every sample whose cluster is `cluster` is
 * replaced by the lead's median (a flat baseline, not zero, so that a z-scored or raw signal stays
 * on its own level). Feed it to the CNN and compare outputs to measure the cluster's importance.
 */
export function blankCluster(
  signal: Float32Array,
  leads: number,
  clusters: ArrayLike<number>,
  cluster: number,
): Float32Array {
  return blankSamples(signal, leads, (i) => clusters[i] === cluster);
}

/** Each lead's median (the upper one for an even count), the level blanked samples are set to. */
export function leadMedians(signal: Float32Array, leads: number): number[] {
  const samples = signal.length / leads;
  return Array.from({ length: leads }, (_, l) => {
    const sorted = signal.slice(l * samples, (l + 1) * samples).sort();
    return sorted.length ? sorted[sorted.length >> 1] : 0;
  });
}

/** The samples `blank(i)` selects set to each lead's median (a flat line), on every lead. */
export function blankSamples(
  signal: Float32Array,
  leads: number,
  blank: (sample: number) => boolean,
  medians: number[] = leadMedians(signal, leads),
): Float32Array {
  const samples = signal.length / leads;
  const out = Float32Array.from(signal);
  for (let l = 0; l < leads; l++)
    for (let i = 0; i < samples; i++) if (blank(i)) out[l * samples + i] = medians[l];
  return out;
}

/**
 * Sample indices by decreasing attribution, ties in the order of a seeded random permutation
 * (so a flat map, or a cluster's many equal samples, is cut at random rather than left to right).
 */
export function rankByAttribution(attribution: ArrayLike<number>, seed: number): Uint32Array {
  const n = attribution.length;
  const rand = mulberry32(seed);
  const tie = new Float64Array(n);
  for (let i = 0; i < n; i++) tie[i] = rand();
  return Uint32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => attribution[b] - attribution[a] || tie[a] - tie[b],
  );
}

/** Fractions of an ECG's samples blanked along a deletion curve. */
export const DELETION_FRACTIONS = [0.05, 0.1, 0.2, 0.3, 0.5] as const;

/**
 * Deletion curve of one attribution (Petsiuk et al. 2018, RISE's deletion metric): the signals
 * with the first ceil(f n) samples of `order` blanked, for each fraction f. The caller runs them
 * through the network; a faithful attribution makes the target's output fall fastest.
 */
export function deletionSignals(
  signal: Float32Array,
  leads: number,
  order: Uint32Array,
  fractions: readonly number[] = DELETION_FRACTIONS,
): Float32Array[] {
  const rank = new Uint32Array(order.length);
  order.forEach((sample, r) => (rank[sample] = r));
  const medians = leadMedians(signal, leads);
  return fractions.map((f) => {
    const cut = Math.ceil(f * order.length);
    return blankSamples(signal, leads, (i) => rank[i] < cut, medians);
  });
}

/** Mean absolute change of outputs (n x classes each) after a deletion. */
export function outputChange(before: ArrayLike<number>, after: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < before.length; i++) s += Math.abs(before[i] - after[i]);
  return before.length ? s / before.length : NaN;
}

/** Gaussian noise added to a signal, seeded (Box-Muller), `sigma` in the signal's units. */
export function addGaussianNoise(signal: Float32Array, sigma: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = Float32Array.from(signal);
  for (let i = 0; i < out.length; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = sigma * Math.sqrt(-2 * Math.log(u));
    out[i] += r * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] += r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Agreement of two segmentations of the same record: share of equal samples and NMI. */
export function segmentationStability(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  k: number,
): { agreement: number; nmi: number } {
  const n = Math.min(a.length, b.length);
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return { agreement: n ? same / n : NaN, nmi: nmi(contingency(a, b, k, k, 0, n)) };
}

/** Runs of one cluster: [start, end) and the cluster. */
export function clusterRuns(
  clusters: ArrayLike<number>,
): { start: number; end: number; cluster: number }[] {
  const out: { start: number; end: number; cluster: number }[] = [];
  let s = 0;
  for (let i = 1; i <= clusters.length; i++) {
    if (i === clusters.length || clusters[i] !== clusters[s]) {
      out.push({ start: s, end: i, cluster: clusters[s] });
      s = i;
    }
  }
  return out;
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
    for (const r of clusterRuns(clusters)) {
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

/**
 * Possible label errors: ECGs whose cluster profile (the out-of-fold surrogate trained on the
 * CNN's labels) strongly disagrees with the recorded label, where the CNN disagrees too. Score =
 * |surrogate probability - true label|, summed with the CNN's; highest first.
 */
export function labelErrorCandidates(
  ids: string[],
  classes: string[],
  surrogateProba: ArrayLike<number>,
  cnnScores: ArrayLike<number>,
  truth: ArrayLike<number>,
  { top = 20, minDisagreement = 0.5 } = {},
): { id: string; class: string; label: number; surrogate: number; cnn: number; score: number }[] {
  const c = classes.length;
  const out: {
    id: string;
    class: string;
    label: number;
    surrogate: number;
    cnn: number;
    score: number;
  }[] = [];
  for (let i = 0; i < ids.length; i++)
    for (let j = 0; j < c; j++) {
      const y = truth[i * c + j] ? 1 : 0;
      const s = surrogateProba[i * c + j];
      const p = cnnScores[i * c + j];
      const ds = Math.abs(s - y);
      const dp = Math.abs(p - y);
      if (ds > minDisagreement && dp > minDisagreement)
        out.push({
          id: ids[i],
          class: classes[j],
          label: y,
          surrogate: s,
          cnn: p,
          score: (ds + dp) / 2,
        });
    }
  out.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  return out.slice(0, top);
}

/**
 * Grad-CAM beside TLC for one record: Pearson correlation of Grad-CAM (per sample) with the
 * entropy (per sample), and with the importance of the cluster each sample belongs to.
 */
export function gradcamRelation(
  gradcam: ArrayLike<number>,
  entropy: ArrayLike<number>,
  clusters: ArrayLike<number>,
  clusterImportance: ArrayLike<number>,
): { entropy: number; importance: number } {
  const n = Math.min(gradcam.length, entropy.length, clusters.length);
  const g = Float64Array.from({ length: n }, (_, i) => gradcam[i]);
  const e = Float64Array.from({ length: n }, (_, i) => entropy[i]);
  const imp = Float64Array.from({ length: n }, (_, i) => clusterImportance[clusters[i]] ?? NaN);
  return { entropy: pearson(g, e), importance: pearson(g, imp) };
}
