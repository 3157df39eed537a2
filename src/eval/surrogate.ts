/**
 * Surrogate fidelity (METHOD.md "Evaluation"): a random forest on per-ECG cluster proportions,
 * trained on the other folds, predicts the CNN's thresholded labels on the held-out fold.
 *
 * Pure over arrays: features (n x K proportions), the CNN's probabilities and thresholds, the true
 * labels and each ECG's fold. AUROC is reported twice, from scores (forest vote share / CNN
 * probability) and from the thresholded labels, because the paper's CNN AUROC (81.4 % beside
 * 88.4 % accuracy) looks computed from labels.
 */
import { ForestEngine, RandomForestRegressor, type ForestOptions } from "./forest.js";
import { accuracy, auroc, column, macroAuroc, macroF1, mae, meanStd, r2 } from "./metrics.js";

/** Scores of one predictor on the true labels. */
export interface LabelScores {
  /** Share of (ECG, class) pairs right. */
  accuracy: number;
  /** Macro AUROC from scores (probabilities / vote shares). */
  auroc: number;
  /** Macro AUROC from the thresholded 0/1 labels (ties: a label AUROC is balanced accuracy). */
  aurocLabels: number;
  /** Macro F1 of the thresholded labels. */
  f1: number;
  /** Per-class AUROC from scores, in the order of `classes`. */
  aurocPerClass: number[];
}

export interface FidelityResult {
  /** Surrogate vs CNN agreement over (ECG, class) pairs of the held-out folds. */
  fidelity: { mean: number; std: number; perFold: Record<string, number> };
  /** The surrogate on the true labels (pooled out-of-fold predictions). */
  surrogate: LabelScores;
  /** The CNN on the true labels (same ECGs). */
  cnn: LabelScores;
  /** Surrogate agreement with the CNN per class (pooled). */
  fidelityPerClass: number[];
  /** ECGs in the cross-validation. */
  n: number;
}

export interface FidelityInput {
  /** n x k features (cluster proportions). */
  features: ArrayLike<number>;
  k: number;
  /** n x classes CNN probabilities. */
  cnnScores: ArrayLike<number>;
  /** Per class decision threshold of the CNN. */
  thresholds: number[];
  /** n x classes true 0/1 labels. */
  truth: ArrayLike<number>;
  classes: number;
  /** Fold of each ECG; each distinct fold is held out once. */
  folds: ArrayLike<number>;
  forest?: ForestOptions;
  /** Called after each fold (progress). */
  onFold?: (fold: number, done: number, total: number) => void;
  /**
   * What the forest learns: "labels" (the paper: the CNN's thresholded labels, vote share as
   * score, cut at 0.5) or "scores" (a regression forest on the CNN's probabilities, cut at the
   * CNN's own thresholds): the second carries the CNN's ranking, so its score-based AUROC can
   * come close to the CNN's.
   */
  target?: "labels" | "scores";
}

/** Out-of-fold surrogate predictions: probabilities of each class (n x classes). */
export interface OutOfFold {
  proba: Float64Array;
  labels: Uint8Array;
  cnnLabels: Uint8Array;
}

export function thresholdScores(
  scores: ArrayLike<number>,
  thresholds: number[],
  classes: number,
): Uint8Array {
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i] >= thresholds[i % classes] ? 1 : 0;
  return out;
}

/** Rows `idx` of a row-major table `width` wide. */
export function rows<T extends ArrayLike<number>>(
  a: T,
  width: number,
  idx: number[],
): Float64Array {
  const out = new Float64Array(idx.length * width);
  idx.forEach((r, i) => {
    for (let j = 0; j < width; j++) out[i * width + j] = a[r * width + j];
  });
  return out;
}

/** Scores of predictions against the truth. */
export function labelScores(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  truth: ArrayLike<number>,
  classes: number,
): LabelScores {
  const perClass: number[] = [];
  for (let c = 0; c < classes; c++)
    perClass.push(auroc(column(scores, classes, c), column(truth, classes, c)));
  const finite = perClass.filter(Number.isFinite);
  return {
    accuracy: accuracy(labels, truth),
    auroc: finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : NaN,
    aurocLabels: macroAuroc(labels, truth, classes),
    f1: macroF1(labels, truth, classes),
    aurocPerClass: perClass,
  };
}

/** Cross-validated forest predictions of the CNN's labels, held out fold by fold. */
export function surrogateOutOfFold(input: FidelityInput): OutOfFold & {
  perFold: Record<string, number>;
} {
  const { features, k, classes } = input;
  const n = input.folds.length;
  if (features.length !== n * k)
    throw new RangeError(`surrogate: ${features.length} features for ${n} ECGs x ${k}`);
  const cnnLabels = thresholdScores(input.cnnScores, input.thresholds, classes);
  // Labels: a label is set when more than half the trees' leaves say so (sklearn's predict);
  // scores: when the predicted probability reaches the CNN's threshold (as the CNN's labels).
  const bySoft = input.target === "scores";
  const cut = bySoft ? input.thresholds : new Array<number>(classes).fill(0.5);
  const proba = new Float64Array(n * classes);
  const foldIds = [...new Set(Array.from(input.folds))].sort((a, b) => a - b);
  const perFold: Record<string, number> = {};
  foldIds.forEach((fold, done) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (input.folds[i] === fold ? test : train).push(i);
    if (train.length === 0)
      throw new RangeError(`surrogate: only one fold (${fold}); need at least two`);
    const forest = new ForestEngine({ seed: fold, ...input.forest }, "sqrt").fit(
      rows(features, k, train),
      k,
      rows(bySoft ? input.cnnScores : cnnLabels, classes, train),
      classes,
    );
    const p = forest.predictRaw(rows(features, k, test));
    let agree = 0;
    test.forEach((r, i) => {
      for (let c = 0; c < classes; c++) {
        const v = p[i * classes + c];
        proba[r * classes + c] = v;
        if ((v > cut[c] || (bySoft && v === cut[c]) ? 1 : 0) === cnnLabels[r * classes + c])
          agree++;
      }
    });
    perFold[String(fold)] = agree / (test.length * classes);
    input.onFold?.(fold, done + 1, foldIds.length);
  });
  const labels = Uint8Array.from(proba, (v, i) =>
    v > cut[i % classes] || (bySoft && v === cut[i % classes]) ? 1 : 0,
  );
  return { proba, labels, cnnLabels, perFold };
}

/** Fidelity mean +- std over folds, and surrogate vs CNN on the true labels. */
export function surrogateFidelity(input: FidelityInput): FidelityResult & { outOfFold: OutOfFold } {
  const oof = surrogateOutOfFold(input);
  const { classes } = input;
  const ms = meanStd(Object.values(oof.perFold));
  const fidelityPerClass: number[] = [];
  for (let c = 0; c < classes; c++)
    fidelityPerClass.push(
      accuracy(column(oof.labels, classes, c), column(oof.cnnLabels, classes, c)),
    );
  return {
    fidelity: { mean: ms.mean, std: ms.std, perFold: oof.perFold },
    surrogate: labelScores(oof.proba, oof.labels, input.truth, classes),
    cnn: labelScores(input.cnnScores, oof.cnnLabels, input.truth, classes),
    fidelityPerClass,
    n: input.folds.length,
    outOfFold: { proba: oof.proba, labels: oof.labels, cnnLabels: oof.cnnLabels },
  };
}

/** Surrogate-CNN disagreements among (ECG, class) pairs whose CNN probability lies in
 * [lo, hi) from the CNN's threshold. */
export interface MarginBin {
  lo: number;
  hi: number;
  pairs: number;
  disagreements: number;
}

/**
 * Where surrogate and CNN disagree, by how far the CNN's probability is from its threshold:
 * disagreements piling up near the threshold mean the CNN's own call was borderline there,
 * not that the clusters missed what it saw.
 */
export function disagreementByMargin(
  cnnScores: ArrayLike<number>,
  thresholds: number[],
  surrogateLabels: ArrayLike<number>,
  cnnLabels: ArrayLike<number>,
  edges: number[] = [0.05, 0.1, 0.2, 0.3],
): MarginBin[] {
  const c = thresholds.length;
  const bounds = [0, ...edges, Infinity];
  const bins: MarginBin[] = bounds
    .slice(0, -1)
    .map((lo, b) => ({ lo, hi: bounds[b + 1], pairs: 0, disagreements: 0 }));
  for (let i = 0; i < cnnScores.length; i++) {
    const m = Math.abs(cnnScores[i] - thresholds[i % c]);
    if (!Number.isFinite(m)) continue;
    const bin = bins.find((x) => m < x.hi)!;
    bin.pairs++;
    if (surrogateLabels[i] !== cnnLabels[i]) bin.disagreements++;
  }
  return bins;
}

/** Age task: a forest regressor on the proportions predicts the CNN's age, fold by fold. */
export interface RegressionFidelity {
  /** R^2 and MAE of the surrogate against the CNN's predicted age (mean +- std over folds). */
  r2: { mean: number; std: number; perFold: Record<string, number> };
  mae: { mean: number; std: number; perFold: Record<string, number> };
  /**
   * Against the true age, pooled out of fold: surrogate and CNN side by side, over the `n` ECGs
   * whose true age is known (PTB-XL leaves some blank).
   */
  surrogateTrue: { r2: number; mae: number; n: number };
  cnnTrue: { r2: number; mae: number; n: number };
}

export function regressionFidelity(input: {
  features: ArrayLike<number>;
  k: number;
  cnn: ArrayLike<number>;
  truth: ArrayLike<number>;
  folds: ArrayLike<number>;
  forest?: ForestOptions;
}): RegressionFidelity {
  const n = input.folds.length;
  const foldIds = [...new Set(Array.from(input.folds))].sort((a, b) => a - b);
  const pred = new Float64Array(n);
  const r2s: Record<string, number> = {};
  const maes: Record<string, number> = {};
  for (const fold of foldIds) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (input.folds[i] === fold ? test : train).push(i);
    const f = new RandomForestRegressor({ seed: fold, ...input.forest }).fit(
      rows(input.features, input.k, train),
      input.k,
      rows(input.cnn, 1, train),
    );
    const p = f.predict(rows(input.features, input.k, test));
    test.forEach((r, i) => (pred[r] = p[i]));
    const target = rows(input.cnn, 1, test);
    r2s[String(fold)] = r2(p, target);
    maes[String(fold)] = mae(p, target);
  }
  const a = meanStd(Object.values(r2s));
  const b = meanStd(Object.values(maes));
  const known = Array.from({ length: n }, (_, i) => i).filter((i) =>
    Number.isFinite(input.truth[i]),
  );
  const truth = rows(input.truth, 1, known);
  const against = (p: ArrayLike<number>) => {
    const q = rows(p, 1, known);
    return { r2: r2(q, truth), mae: mae(q, truth), n: known.length };
  };
  return {
    r2: { ...a, perFold: r2s },
    mae: { ...b, perFold: maes },
    surrogateTrue: against(pred),
    cnnTrue: against(input.cnn),
  };
}

/**
 * The K where fidelity stops improving: the smallest K whose mean fidelity is within `tolerance`
 * of the best K's (default: the best K's std over folds, at least 0.25 points).
 */
export function fidelityPlateau(
  byK: { k: number; mean: number; std: number }[],
  tolerance?: number,
): number | undefined {
  if (byK.length === 0) return undefined;
  const sorted = [...byK].sort((a, b) => a.k - b.k);
  const best = sorted.reduce((b, r) => (r.mean > b.mean ? r : b), sorted[0]);
  const tol = tolerance ?? Math.max(best.std, 0.0025);
  return sorted.find((r) => r.mean >= best.mean - tol)?.k;
}
