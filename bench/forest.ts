/**
 * Random forest: our TypeScript forest against scikit-learn on the same deterministic data
 * (multi-label fit + predict_proba, 100 trees, the surrogate's shape: ~1,500 ECGs, K features).
 * Needs python3 with scikit-learn for the reference; skips it with a message otherwise.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import {
  MultiLabelForest,
  RandomForestClassifier,
  RandomForestRegressor,
} from "../src/eval/forest.js";
import { accuracy, macroAuroc, r2 } from "../src/eval/metrics.js";
import { makeTabular } from "../test/eval/fixtures.js";
import { pythonWith, referenceScript } from "./reference.js";

const N = 3000; // half trains, half tests
const D = 8;
const SEED = 11;
const TREES = 100;
const REPEATS = 5;

const data = makeTabular(N, D, SEED);
const h = N / 2;
const Xtr = data.X.subarray(0, h * D);
const Xte = data.X.subarray(h * D);
const Ltr = data.labels.subarray(0, h * 3);
const Lte = data.labels.subarray(h * 3);

const times: number[] = [];
let proba: ArrayLike<number> = new Float64Array(0);
for (let r = 0; r < REPEATS; r++) {
  const t0 = performance.now();
  const f = new MultiLabelForest({ nEstimators: TREES, seed: r }).fit(Xtr, D, Ltr, 3);
  proba = f.predictProba(Xte);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const ours = times[Math.floor(REPEATS / 2)];
const acc = accuracy(
  Uint8Array.from(proba, (p) => (p > 0.5 ? 1 : 0)),
  Lte,
);
const auc = macroAuroc(proba, Lte, 3);
const cls = new RandomForestClassifier({ nEstimators: TREES, seed: 0 }).fit(
  Xtr,
  D,
  data.cls.subarray(0, h),
);
const clsAcc = accuracy(cls.predict(Xte), data.cls.subarray(h));
const reg = new RandomForestRegressor({ nEstimators: TREES, seed: 0 }).fit(
  Xtr,
  D,
  data.target.subarray(0, h),
);
const regR2 = r2(reg.predict(Xte), data.target.subarray(h));

console.log(
  `forest_fit_predict: ${ours.toFixed(1)} ms (median of ${REPEATS}; ${h} rows x ${D}, 3 labels, ${TREES} trees)`,
);
console.log(`forest_multilabel_accuracy: ${acc.toFixed(4)}`);
console.log(`forest_multilabel_auroc: ${auc.toFixed(4)}`);
console.log(`forest_multiclass_accuracy: ${clsAcc.toFixed(4)}`);
console.log(`forest_regression_r2: ${regR2.toFixed(4)}`);

const script = referenceScript("forest_sklearn.py");
const python = pythonWith("sklearn");
if (!existsSync(script) || python === null) {
  console.log(
    "forest reference: skipped (needs python3 with scikit-learn and bench/reference/forest_sklearn.py)",
  );
} else {
  const r = spawnSync(
    python,
    [script, String(N), String(D), String(SEED), String(TREES), String(REPEATS)],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0) {
    console.log(
      `forest reference: skipped (sklearn script failed: ${r.stderr.trim().split("\n").pop()})`,
    );
  } else {
    const ref = JSON.parse(r.stdout) as Record<string, number>;
    console.log(
      `forest_fit_predict sklearn: ${ref.multilabel_ms.toFixed(1)} ms (median of ${REPEATS}, n_jobs=1); ratio ours/sklearn ${(ours / ref.multilabel_ms).toFixed(2)}`,
    );
    console.log(`forest_multilabel_accuracy sklearn: ${ref.multilabel_accuracy.toFixed(4)}`);
    console.log(`forest_multilabel_auroc sklearn: ${ref.multilabel_auroc.toFixed(4)}`);
    console.log(`forest_multiclass_accuracy sklearn: ${ref.multiclass_accuracy.toFixed(4)}`);
    console.log(`forest_regression_r2 sklearn: ${ref.regression_r2.toFixed(4)}`);
  }
}
