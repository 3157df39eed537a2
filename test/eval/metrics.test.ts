import { test } from "node:test";
import assert from "node:assert/strict";
import {
  accuracy,
  auroc,
  f1,
  macroAuroc,
  macroF1,
  macroPrecision,
  macroRecall,
  mae,
  meanStd,
  pearson,
  precision,
  r2,
  recall,
  subsetAccuracy,
} from "../../src/eval/metrics.js";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

// Expected values from scikit-learn 1.2.1 (python3 -c "from sklearn.metrics import ...").
test("auroc handles ties like sklearn roc_auc_score", () => {
  const s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.1];
  const y = [0, 0, 1, 1, 1, 0, 1, 0];
  close(auroc(s, y), 0.8125);
  close(auroc([0.5, 0.5, 0.5], [0, 1, 1]), 0.5);
  close(auroc([1, 2, 3, 4], [0, 0, 1, 1]), 1);
  close(auroc([4, 3, 2, 1], [0, 0, 1, 1]), 0);
  assert.ok(Number.isNaN(auroc([1, 2], [1, 1])));
});

test("binary precision, recall, f1, accuracy match sklearn", () => {
  const y = [0, 0, 1, 1, 1, 0, 1, 0];
  const p = [1, 0, 1, 1, 0, 0, 1, 1];
  close(precision(p, y), 0.6);
  close(recall(p, y), 0.75);
  close(f1(p, y), 0.6666666666666666);
  close(accuracy(p, y), 0.625);
  assert.equal(precision([0, 0], [1, 0]), 0);
  assert.equal(f1([0, 0], [0, 0]), 0);
});

test("macro metrics over classes match sklearn average='macro'", () => {
  const Y = [1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0];
  const S = [0.9, 0.2, 0.6, 0.3, 0.8, 0.6, 0.6, 0.4, 0.2, 0.2, 0.4, 0.9, 0.6, 0.1, 0.3];
  const P = S.map((v) => (v > 0.5 ? 1 : 0));
  close(macroAuroc(S, Y, 3), 0.9722222222222223);
  close(macroF1(P, Y, 3), 0.8888888888888888);
  close(macroPrecision(P, Y, 3), 1.0);
  close(macroRecall(P, Y, 3), 0.8333333333333334);
  close(subsetAccuracy(P, Y, 3), 4 / 5); // row 3 differs in class 2
});

test("mae and r2 match sklearn; r2 of constant truth", () => {
  close(r2([2.5, 0.0, 2, 8], [3, -0.5, 2, 7]), 0.9486081370449679);
  close(mae([2.5, 0.0, 2, 8], [3, -0.5, 2, 7]), 0.5);
  assert.equal(r2([1, 1], [1, 1]), 1);
  assert.equal(r2([1, 2], [1, 1]), 0);
});

test("pearson and meanStd", () => {
  close(pearson([1, 2, 3, 4], [2, 4, 6, 8]), 1);
  close(pearson([1, 2, 3, 4], [8, 6, 4, 2]), -1);
  close(pearson([1, 2, 3], [1, 3, 2]), 0.5);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  const { mean, std } = meanStd([1, 2, 3, 4]);
  close(mean, 2.5);
  close(std, Math.sqrt(1.25));
});

test("length mismatch throws", () => {
  assert.throws(() => auroc([1, 2], [1]), RangeError);
  assert.throws(() => mae([1, 2], [1]), RangeError);
});
