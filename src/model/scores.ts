/**
 * Scores of a model's outputs against targets: per-class and macro AUROC, accuracy and F1 at the
 * model's thresholds (classification), MAE and R^2 (age); and the per-class thresholds tuned on
 * validation. The arithmetic is src/eval/metrics.ts's.
 */
import { accuracy, auroc, column, f1, mae, r2 } from "../eval/metrics.js";

export interface ClassScores {
  auroc: number;
  accuracy: number;
  f1: number;
  threshold: number;
  positives: number;
}

export interface ClassificationScores {
  task: "superclass";
  n: number;
  macro: { auroc: number; accuracy: number; f1: number };
  classes: Record<string, ClassScores>;
}

export interface RegressionScores {
  task: "age";
  n: number;
  mae: number;
  r2: number;
}

const mean = (v: number[]): number => {
  const ok = v.filter(Number.isFinite);
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
};

function thresholded(p: ArrayLike<number>, t: number): Uint8Array {
  const out = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i] >= t ? 1 : 0;
  return out;
}

/** The probability threshold maximising F1 on (p, y); 0.5 when the class has no positive. */
export function bestF1Threshold(p: ArrayLike<number>, y: ArrayLike<number>): number {
  const order = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i];
  if (pos === 0 || pos === y.length) return 0.5;
  let tp = 0;
  let best = -1;
  let threshold = 0.5;
  // Sweep thresholds down through the sorted scores; ties are taken together.
  for (let k = 0; k < order.length; k++) {
    tp += y[order[k]];
    if (k + 1 < order.length && p[order[k + 1]] === p[order[k]]) continue;
    const score = (2 * tp) / (k + 1 + pos);
    if (score > best) {
      best = score;
      // Halfway to the next lower score, so that the threshold generalises a little.
      const next = k + 1 < order.length ? p[order[k + 1]] : 0;
      threshold = (p[order[k]] + next) / 2;
    }
  }
  return threshold;
}

/** Per-class thresholds maximising F1 on validation probabilities (n x classes). */
export function tuneThresholds(
  probs: ArrayLike<number>,
  targets: ArrayLike<number>,
  classes: number,
): number[] {
  return Array.from({ length: classes }, (_, c) =>
    bestF1Threshold(column(probs, classes, c), column(targets, classes, c)),
  );
}

export function scoreClassification(
  probs: ArrayLike<number>,
  targets: ArrayLike<number>,
  classNames: string[],
  thresholds: number[],
): ClassificationScores {
  const k = classNames.length;
  const classes: Record<string, ClassScores> = {};
  classNames.forEach((name, c) => {
    const p = column(probs, k, c);
    const y = column(targets, k, c);
    const pred = thresholded(p, thresholds[c] ?? 0.5);
    classes[name] = {
      auroc: auroc(p, y),
      accuracy: accuracy(pred, y),
      f1: f1(pred, y),
      threshold: thresholds[c] ?? 0.5,
      positives: y.reduce((a, b) => a + b, 0),
    };
  });
  const v = Object.values(classes);
  return {
    task: "superclass",
    n: probs.length / k,
    macro: {
      auroc: mean(v.map((s) => s.auroc)),
      accuracy: mean(v.map((s) => s.accuracy)),
      f1: mean(v.map((s) => s.f1)),
    },
    classes,
  };
}

export function scoreRegression(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
): RegressionScores {
  return { task: "age", n: truth.length, mae: mae(predicted, truth), r2: r2(predicted, truth) };
}
