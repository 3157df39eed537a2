import { test } from "node:test";
import assert from "node:assert/strict";
import {
  disagreementByMargin,
  fidelityPlateau,
  regressionFidelity,
  surrogateFidelity,
  thresholdScores,
} from "../../src/eval/surrogate.js";
import { makeTabular } from "./fixtures.js";

test("thresholds apply per class", () => {
  assert.deepEqual([...thresholdScores([0.3, 0.3, 0.6, 0.1], [0.2, 0.5], 2)], [1, 0, 1, 0]);
});

// 90 ECGs, K = 3 proportions, 2 classes. The CNN says class 0 when a > 0.5 and class 1 when
// b > 0.5, and no ECG lies within 0.1 of either cut, so a forest reproduces it exactly.
function separable() {
  const n = 90;
  const k = 3;
  const t = makeTabular(n, 2, 3);
  const away = (x: number) => (x < 0.5 ? x * 0.8 : 0.6 + (x - 0.5) * 0.8);
  const features = new Float64Array(n * k);
  const scores = new Float64Array(n * 2);
  const truth = new Uint8Array(n * 2);
  const folds = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = away(t.X[i * 2]);
    const b = away(t.X[i * 2 + 1]);
    features.set([a, b, 1 - a], i * k);
    scores[i * 2] = a > 0.5 ? 0.9 : 0.1;
    scores[i * 2 + 1] = b > 0.5 ? 0.8 : 0.3;
    truth[i * 2] = a > 0.5 ? 1 : 0;
    truth[i * 2 + 1] = b > 0.5 ? 1 : 0;
    folds[i] = (i % 3) + 1;
  }
  // Two true labels the CNN gets wrong: ECG 0 class 0 and ECG 3 class 1.
  truth[0] = 1 - truth[0];
  truth[3 * 2 + 1] = 1 - truth[3 * 2 + 1];
  return { n, k, features, scores, truth, folds };
}

test("fidelity is 1 on a separable set; surrogate and CNN scored alike on the truth", () => {
  const d = separable();
  const folds: number[] = [];
  const r = surrogateFidelity({
    features: d.features,
    k: d.k,
    cnnScores: d.scores,
    thresholds: [0.5, 0.5],
    truth: d.truth,
    classes: 2,
    folds: d.folds,
    forest: { nEstimators: 20 },
    onFold: (f) => folds.push(f),
  });
  assert.deepEqual(folds, [1, 2, 3]);
  assert.deepEqual(r.fidelity.perFold, { "1": 1, "2": 1, "3": 1 });
  assert.equal(r.fidelity.mean, 1);
  assert.equal(r.fidelity.std, 0);
  // 2 wrong pairs out of 180.
  assert.equal(r.cnn.accuracy, 178 / 180);
  assert.equal(r.surrogate.accuracy, 178 / 180);
  // Label AUROC = balanced accuracy of the labels: class 0 has 41 true positives (40 with
  // a > 0.5 and ECG 0, which the CNN misses), 49 negatives all right: (40/41 + 1) / 2.
  const pos0 = Array.from({ length: 90 }, (_, i) => d.truth[i * 2]).filter(Boolean).length;
  assert.equal(pos0, 41);
  assert.ok(Math.abs(r.cnn.aurocPerClass[0] - (40 / 41 + 1) / 2) < 1e-12);
  assert.equal(r.n, 90);
});

test("a forest on the CNN's scores reproduces its labels and ranks like it", () => {
  const d = separable();
  const r = surrogateFidelity({
    features: d.features,
    k: d.k,
    cnnScores: d.scores,
    thresholds: [0.5, 0.5],
    truth: d.truth,
    classes: 2,
    folds: d.folds,
    forest: { nEstimators: 20 },
    target: "scores",
  });
  // Bootstrap trees that miss a region average 0.9 and 0.1 leaves there: at most a pair flips.
  assert.ok(r.fidelity.mean >= 179 / 180, `fidelity ${r.fidelity.mean}`);
  // Leaves hold the CNN's probabilities (0.9 / 0.1 and 0.8 / 0.3), so predictions are close.
  let dev = 0;
  for (let i = 0; i < d.scores.length; i++) dev += Math.abs(r.outOfFold.proba[i] - d.scores[i]);
  assert.ok(dev / d.scores.length < 0.06, `mean deviation ${dev / d.scores.length}`);
  assert.ok(Math.abs(r.surrogate.auroc - r.cnn.auroc) < 0.01);
});

test("regression fidelity: a forest recovers a function of the proportions", () => {
  const t = makeTabular(300, 6, 7);
  const folds = Int32Array.from({ length: 300 }, (_, i) => (i % 3) + 1);
  const r = regressionFidelity({
    features: t.X,
    k: 6,
    cnn: t.target,
    truth: t.target,
    folds,
    forest: { nEstimators: 30 },
  });
  assert.ok(r.r2.mean > 0.7 && r.r2.mean < 1, `r2 ${r.r2.mean}`);
  assert.equal(r.cnnTrue.r2, 1);
  assert.equal(r.cnnTrue.mae, 0);
  assert.deepEqual(Object.keys(r.mae.perFold), ["1", "2", "3"]);
});

test("fidelity plateau: smallest K within tolerance of the best", () => {
  const byK = [
    { k: 2, mean: 0.9, std: 0.01 },
    { k: 4, mean: 0.95, std: 0.01 },
    { k: 6, mean: 0.968, std: 0.004 },
    { k: 8, mean: 0.97, std: 0.005 },
    { k: 10, mean: 0.969, std: 0.005 },
  ];
  assert.equal(fidelityPlateau(byK), 6);
  assert.equal(fidelityPlateau(byK, 0.001), 8);
  assert.equal(fidelityPlateau([]), undefined);
});

test("disagreements by the CNN's distance from its threshold", () => {
  // Two classes, thresholds 0.5 and 0.3; distances 0.02, 0.08, 0.08, 0.25, 0.15, 0.25, 0.4, 0.
  const scores = [0.52, 0.38, 0.42, 0.55, 0.35, 0.05, 0.9, 0.3];
  const cnn = thresholdScores(scores, [0.5, 0.3], 2);
  const surrogate = Uint8Array.from(cnn);
  surrogate[0] ^= 1; // 0.02 from its threshold
  surrogate[7] ^= 1; // exactly on it: distance 0
  surrogate[6] ^= 1; // 0.4 away
  const bins = disagreementByMargin(scores, [0.5, 0.3], surrogate, cnn);
  assert.deepEqual(
    bins.map((b) => [b.lo, b.hi, b.pairs, b.disagreements]),
    [
      [0, 0.05, 2, 2],
      [0.05, 0.1, 2, 0],
      [0.1, 0.2, 1, 0],
      [0.2, 0.3, 2, 0],
      [0.3, Infinity, 1, 1],
    ],
  );
});
