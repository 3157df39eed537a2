import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MultiLabelForest,
  RandomForestClassifier,
  RandomForestRegressor,
} from "../../src/eval/forest.js";
import { accuracy, macroAuroc, r2 } from "../../src/eval/metrics.js";
import { makeTabular } from "./fixtures.js";

// sklearn 1.2.1 on the same data (bench/reference/forest_sklearn.py 600 6 7 100 1), first half
// train, second half test: multi-label accuracy 0.8722, macro AUROC 0.9465, 3-class accuracy
// 0.8167, regression R^2 0.8420. Across sklearn seeds these move by about +-0.01.
const data = makeTabular(600, 6, 7);
const h = 300;
const Xtr = data.X.subarray(0, h * 6);
const Xte = data.X.subarray(h * 6);

test("multi-label forest matches sklearn's accuracy and AUROC on a fixed set", () => {
  const f = new MultiLabelForest({ nEstimators: 100, seed: 1 }).fit(
    Xtr,
    6,
    data.labels.subarray(0, h * 3),
    3,
  );
  const truth = data.labels.subarray(h * 3);
  const acc = accuracy(f.predict(Xte), truth);
  const auc = macroAuroc(f.predictProba(Xte), truth, 3);
  assert.ok(Math.abs(acc - 0.8722) < 0.025, `accuracy ${acc}`);
  assert.ok(Math.abs(auc - 0.9465) < 0.015, `auroc ${auc}`);
  // Informative features first: label 0 uses x0, x1; 1 uses x2, x3; 2 uses x4, x0. x5 is noise.
  const imp = f.featureImportances;
  assert.ok(Math.abs(imp.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  for (let j = 0; j < 5; j++) assert.ok(imp[5] < imp[j], `noise feature importance ${imp[5]}`);
});

test("3-class forest and regressor match sklearn within tolerance", () => {
  const c = new RandomForestClassifier({ nEstimators: 100, seed: 2 }).fit(
    Xtr,
    6,
    data.cls.subarray(0, h),
  );
  const acc = accuracy(c.predict(Xte), data.cls.subarray(h));
  assert.ok(Math.abs(acc - 0.8167) < 0.03, `accuracy ${acc}`);
  const proba = c.predictProba(Xte);
  for (let i = 0; i < 10; i++) {
    const s = proba[i * 3] + proba[i * 3 + 1] + proba[i * 3 + 2];
    assert.ok(Math.abs(s - 1) < 1e-9, "class probabilities sum to 1");
  }
  const reg = new RandomForestRegressor({ nEstimators: 100, seed: 3 }).fit(
    Xtr,
    6,
    data.target.subarray(0, h),
  );
  const score = r2(reg.predict(Xte), data.target.subarray(h));
  assert.ok(Math.abs(score - 0.842) < 0.025, `r2 ${score}`);
});

test("a perfectly separable set is learned exactly; one tree without bootstrap fits training", () => {
  const X = [0.1, 0.2, 0.3, 0.35, 0.6, 0.7, 0.8, 0.9];
  const y = [0, 0, 0, 0, 1, 1, 1, 1];
  const f = new RandomForestClassifier({ nEstimators: 25, seed: 0 }).fit(X, 1, y);
  assert.deepEqual([...f.predict([0.0, 0.25, 0.75, 1.0])], [0, 0, 1, 1]);
  const one = new RandomForestRegressor({ nEstimators: 1, bootstrap: false }).fit(
    [1, 2, 3, 4],
    1,
    [5, 7, 7, 1],
  );
  assert.deepEqual([...one.predict([1, 2, 3, 4])], [5, 7, 7, 1]);
  // Split thresholds are midpoints: 2.5 and 3.5 separate 7 from 5 and 1.
  assert.deepEqual([...one.predict([1.4, 2.6, 3.4, 3.6])], [5, 7, 7, 1]);
});

test("max_depth and min_samples_leaf limit the tree", () => {
  const stump = new RandomForestRegressor({ nEstimators: 1, bootstrap: false, maxDepth: 1 }).fit(
    [1, 2, 3, 4],
    1,
    [0, 0, 10, 10],
  );
  assert.deepEqual([...stump.predict([1, 4])], [0, 10]);
  const leafy = new RandomForestRegressor({
    nEstimators: 1,
    bootstrap: false,
    minSamplesLeaf: 2,
  }).fit([1, 2, 3, 4], 1, [0, 4, 6, 10]);
  assert.deepEqual([...leafy.predict([1, 2, 3, 4])], [2, 2, 8, 8]);
});

test("same seed gives the same forest; another seed another", () => {
  const fit = (seed: number) =>
    new MultiLabelForest({ nEstimators: 10, seed })
      .fit(Xtr, 6, data.labels.subarray(0, h * 3), 3)
      .predictProba(Xte);
  assert.deepEqual(fit(5), fit(5));
  assert.notDeepEqual(fit(5), fit(6));
});
