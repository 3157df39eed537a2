/**
 * The dataset-level analyses of an evaluation, on what the pass over the ECGs collected: the
 * surrogate forests (fidelity, on soft proportions, on scores, at 0.5, by margin; or for an age
 * model a regressor), their permutation and impurity importance, and the per-ECG table.
 */
import type { ForestOptions } from "../forest.js";
import { MultiLabelForest, RandomForestRegressor } from "../forest.js";
import { accuracy, r2 } from "../metrics.js";
import { labelErrorCandidates, permutationImportance } from "../analyses.js";
import {
  disagreementByMargin,
  regressionFidelity,
  rows,
  surrogateFidelity,
  type FidelityResult,
  type LabelScores,
  type MarginBin,
  type RegressionFidelity,
} from "../surrogate.js";

/** One row per ECG: its fold, true labels, the CNN's outputs, the surrogate's out-of-fold vote
 * share (classification) and the cluster proportions; row-major per ECG. */
export interface PerEcgTable {
  ids: string[];
  folds: number[];
  /** Column names of truth, cnn and surrogate: the classes, or ["age"]. */
  targets: string[];
  truth: number[][];
  cnn: number[][];
  surrogate?: number[][];
  proportions: number[][];
  softProportions: number[][];
}

function rowsOf(a: ArrayLike<number>, width: number): number[][] {
  return Array.from({ length: a.length / width }, (_, i) =>
    Array.from({ length: width }, (_, j) => a[i * width + j]),
  );
}

/** What the one pass over the ECGs collects for the dataset-level analyses (n ECGs). */
export interface Collected {
  ids: string[];
  folds: number[];
  features: Float64Array;
  soft: Float64Array;
  scores: Float64Array;
  truth: Uint8Array;
  ages: number[];
  /** Clusters: `features` and `soft` are n x k. */
  k: number;
}

export function perEcgTable(
  col: Collected,
  targets: string[],
  truth: number[][],
  surrogate?: ArrayLike<number>,
): PerEcgTable {
  return {
    ids: col.ids,
    folds: col.folds,
    targets,
    truth,
    cnn: rowsOf(col.scores, targets.length),
    ...(surrogate ? { surrogate: rowsOf(surrogate, targets.length) } : {}),
    proportions: rowsOf(col.features, col.k),
    softProportions: rowsOf(col.soft, col.k),
  };
}

/**
 * Per proportion, on each held-out fold with a forest of the other folds: permutation importance
 * (the drop in agreement with the CNN's labels, or for a regressor in R^2 against the CNN's
 * output), mean and std over folds, and the forests' mean impurity importance. `y` is n x `width`.
 */
export function surrogateImportance(
  features: ArrayLike<number>,
  k: number,
  y: ArrayLike<number>,
  width: number,
  folds: number[],
  regression: boolean,
  forestOptions?: ForestOptions,
): ForestImportance {
  const sum = new Float64Array(k);
  const sq = new Float64Array(k);
  const impurity = new Float64Array(k);
  let count = 0;
  for (const fold of [...new Set(folds)].sort((a, b) => a - b)) {
    const train: number[] = [];
    const test: number[] = [];
    folds.forEach((f, i) => (f === fold ? test : train).push(i));
    if (!train.length || !test.length) continue;
    const forest = { seed: fold, ...forestOptions };
    const X = rows(features, k, train);
    const f = regression
      ? new RandomForestRegressor(forest).fit(X, k, rows(y, 1, train))
      : new MultiLabelForest(forest).fit(X, k, rows(y, width, train), width);
    const p = permutationImportance(f, rows(features, k, test), k, rows(y, width, test), {
      repeats: 3,
      seed: fold,
      score: regression ? r2 : accuracy,
    });
    p.mean.forEach((m, q) => {
      sum[q] += m;
      sq[q] += m * m;
    });
    f.featureImportances.forEach((v, q) => (impurity[q] += v));
    count++;
  }
  const mean = Array.from(sum, (s) => (count ? s / count : NaN));
  return {
    permutation: {
      mean,
      std: Array.from(sq, (s, q) =>
        count ? Math.sqrt(Math.max(0, s / count - mean[q] ** 2)) : NaN,
      ),
    },
    impurity: Array.from(impurity, (v) => (count ? v / count : NaN)),
  };
}

/** Permutation (held-out folds) and impurity importance of each cluster proportion. */
export interface ForestImportance {
  permutation: { mean: number[]; std: number[] };
  impurity: number[];
}

/** What the surrogates of a classifier say. */
export interface ClassificationSurrogates {
  fidelity: FidelityResult["fidelity"];
  fidelityPerClass: number[];
  surrogate: LabelScores;
  cnn: LabelScores;
  /** Same forest on soft proportions (mean posterior): a check of the hard/soft choice. */
  soft: { fidelity: FidelityResult["fidelity"]; surrogate: LabelScores };
  /** A regression forest on the CNN's probabilities (cut at the CNN's thresholds) instead of
   * its labels: closes the score-based AUROC gap. */
  scoreSurrogate: { fidelity: FidelityResult["fidelity"]; surrogate: LabelScores };
  /** The same forest against the CNN's labels cut at 0.5 instead of its own (F1-tuned)
   * thresholds: how much of the disagreement sits at the tuned thresholds. */
  atHalf: { cnnThresholds: number[]; fidelity: FidelityResult["fidelity"] };
  /** The surrogate's disagreements with the CNN by the CNN's distance from its threshold. */
  byMargin: MarginBin[];
}

/** The surrogates of a classifier (thresholds: one per class), with importance and label errors. */
export function classificationSurrogates(
  col: Collected,
  classes: string[],
  thresholds: number[],
  opts: {
    forest?: ForestOptions;
    perEcg?: boolean;
    onFold?: (fold: number, done: number, total: number) => void;
  } = {},
): {
  fields: ClassificationSurrogates;
  perEcg?: PerEcgTable;
  importance: ForestImportance;
  labelErrors: ReturnType<typeof labelErrorCandidates>;
} {
  const { k, features, soft, scores, truth, ids, folds } = col;
  const c = classes.length;
  // The four surrogates differ only in their features, target and thresholds.
  const base = { k, cnnScores: scores, thresholds, truth, classes: c, folds, forest: opts.forest };
  const fid = surrogateFidelity({ ...base, features, onFold: opts.onFold });
  const fs = surrogateFidelity({ ...base, features: soft });
  const fp = surrogateFidelity({ ...base, features, target: "scores" });
  const fh = surrogateFidelity({ ...base, features, thresholds: thresholds.map(() => 0.5) });
  const oof = fid.outOfFold;
  return {
    fields: {
      fidelity: fid.fidelity,
      fidelityPerClass: fid.fidelityPerClass,
      surrogate: fid.surrogate,
      cnn: fid.cnn,
      soft: { fidelity: fs.fidelity, surrogate: fs.surrogate },
      scoreSurrogate: { fidelity: fp.fidelity, surrogate: fp.surrogate },
      atHalf: { cnnThresholds: thresholds, fidelity: fh.fidelity },
      byMargin: disagreementByMargin(scores, thresholds, oof.labels, oof.cnnLabels),
    },
    ...(opts.perEcg ? { perEcg: perEcgTable(col, classes, rowsOf(truth, c), oof.proba) } : {}),
    importance: surrogateImportance(features, k, oof.cnnLabels, c, folds, false, opts.forest),
    labelErrors: labelErrorCandidates(ids, classes, oof.proba, scores, truth),
  };
}

/** The regressor of an age model, with importance (no label errors: ages have no labels). */
export function ageSurrogate(
  col: Collected,
  opts: { forest?: ForestOptions; perEcg?: boolean } = {},
): {
  fields: { regression: RegressionFidelity };
  perEcg?: PerEcgTable;
  importance: ForestImportance;
} {
  const { k, features, scores, folds } = col;
  const regression = regressionFidelity({
    features,
    k,
    cnn: scores,
    truth: col.ages,
    folds,
    forest: opts.forest,
  });
  return {
    fields: { regression },
    ...(opts.perEcg
      ? {
          perEcg: perEcgTable(
            col,
            ["age"],
            col.ages.map((a) => [a]),
          ),
        }
      : {}),
    importance: surrogateImportance(features, k, scores, 1, folds, true, opts.forest),
  };
}
