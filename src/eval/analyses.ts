/**
 * The analyses beside surrogate fidelity (METHOD.md "Evaluation" and "Beyond the paper"), as pure
 * functions over arrays: label correlation, permutation and deletion importance, stability under
 * noise, label-error candidates and Grad-CAM beside TLC. The per-ECG accumulators that feed on
 * them are in analyses/.
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
