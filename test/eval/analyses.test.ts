import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addGaussianNoise,
  blankCluster,
  deletionSignals,
  gradcamRelation,
  rankByAttribution,
  labelCorrelation,
  labelErrorCandidates,
  outputChange,
  permutationImportance,
  segmentationStability,
} from "../../src/eval/analyses.js";
import { PrototypeAccumulator } from "../../src/eval/analyses/prototypes.js";
import { UncertaintyAccumulator, leastStable } from "../../src/eval/analyses/uncertainty.js";
import { segmentsOf } from "../../src/explain/explanation.js";
import { MultiLabelForest } from "../../src/eval/forest.js";
import { makeTabular } from "./fixtures.js";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("label correlation: K x classes Pearson", () => {
  // 4 ECGs, K = 2, 2 classes: cluster 0 follows class 0, cluster 1 is its complement.
  const props = [0.1, 0.9, 0.4, 0.6, 0.6, 0.4, 0.9, 0.1];
  const probs = [0.2, 0.5, 0.5, 0.7, 0.7, 0.4, 1.0, 0.6];
  const r = labelCorrelation(props, 2, probs, 2);
  close(r[0][0], 1, 1e-9);
  close(r[1][0], -1, 1e-9);
  // numpy.corrcoef([0.1, 0.4, 0.6, 0.9], [0.5, 0.7, 0.4, 0.6])[0, 1]
  close(r[0][1], 0.07669649888473708, 1e-12);
});

test("uncertainty by class, wave and class x wave (record means first)", () => {
  const u = new UncertaintyAccumulator(["NORM", "MI"]);
  u.add({
    meanEntropy: 0.2,
    labels: [1, 0],
    entropy: [0.1, 0.3, 0.5, 0.5],
    waveLabels: [0, 0, 1, 3],
  });
  u.add({ meanEntropy: 0.6, labels: [1, 1], entropy: [0.9, 0.7], waveLabels: [1, 2] });
  u.add({ meanEntropy: 0.4, labels: [0, 1] });
  const r = u.result();
  close(r.byClass.NORM, 0.4);
  close(r.byClass.MI, 0.5);
  close(r.overall, 0.4);
  close(r.byWave.P, 0.2);
  close(r.byWave.QRS, 0.7); // (0.5 + 0.9) / 2
  close(r.byWave.T, 0.7);
  close(r.byWave.TP, 0.5);
  close(r.byClassWave.MI.QRS, 0.9);
  assert.ok(Number.isNaN(r.byClassWave.MI.P));
});

test("leastStable ranks class x wave cells by their ratio to the wave over all ECGs", () => {
  const u = {
    byClass: { NORM: 0.01, CD: 0.02 },
    byWave: { P: 0.02, QRS: 0.01, T: 0.04, TP: 0.02 },
    byClassWave: {
      NORM: { P: 0.02, QRS: 0.005, T: 0.04, TP: NaN },
      CD: { P: 0.02, QRS: 0.03, T: 0.06, TP: 0.02 },
    },
    overall: 0.015,
  };
  const top = leastStable(u, 2);
  assert.deepEqual(
    top.map((c) => [c.cls, c.wave]),
    [
      ["CD", "QRS"],
      ["CD", "T"],
    ],
  );
  close(top[0].ratio, 3);
  close(top[1].ratio, 1.5);
  // NaN cells (no samples of that wave in that class) are left out.
  assert.equal(leastStable(u, 10).length, 7);
});

test("permutation importance ranks the informative feature first", () => {
  const t = makeTabular(300, 4, 5);
  // Label = x1 > 0.5 only.
  const y = Uint8Array.from({ length: 300 }, (_, i) => (t.X[i * 4 + 1] > 0.5 ? 1 : 0));
  const f = new MultiLabelForest({ nEstimators: 20, seed: 1 }).fit(t.X, 4, y, 1);
  const r = permutationImportance(f, t.X, 4, y, { repeats: 3, seed: 2 });
  assert.equal(r.baseline, 1);
  assert.ok(r.mean[1] > 0.3, `x1 importance ${r.mean[1]}`);
  for (const j of [0, 2, 3]) assert.ok(r.mean[j] < 0.05, `x${j} importance ${r.mean[j]}`);
});

test("deletion blanks one cluster's samples to the lead's median", () => {
  const sig = Float32Array.from([1, 2, 3, 4, 5, 10, 20, 30, 40, 50]);
  const out = blankCluster(sig, 2, [0, 1, 1, 0, 2], 1);
  assert.deepEqual([...out], [1, 3, 3, 4, 5, 10, 30, 30, 40, 50]);
  close(outputChange([0.5, 0.5], [0.25, 1]), 0.375);
});

test("noise is seeded and has the asked sigma; stability of segmentations", () => {
  const z = new Float32Array(20000);
  const a = addGaussianNoise(z, 0.5, 1);
  assert.deepEqual(a, addGaussianNoise(z, 0.5, 1));
  const sd = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  assert.ok(Math.abs(sd - 0.5) < 0.01, `sd ${sd}`);
  const s = segmentationStability([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 2, 2], 3);
  close(s.agreement, 2 / 6);
  close(s.nmi, 1); // same partition, renamed clusters
});

test("runs and prototypes: median waveform per cluster, resampled segments", () => {
  assert.deepEqual(segmentsOf([0, 0, 1, 1, 1, 0]), [
    { start: 0, end: 2, cluster: 0, entropy: 0 },
    { start: 2, end: 5, cluster: 1, entropy: 0 },
    { start: 5, end: 6, cluster: 0, entropy: 0 },
  ]);
  const p = new PrototypeAccumulator(2, 3);
  // Cluster 1 covers a ramp 0..4 (5 samples) then 10..12 (3 samples): resampled to 3 points
  // [0, 2, 4] and [10, 11, 12]; a third copy [0, 2, 4] makes the median [0, 2, 4].
  p.add([0, 1, 2, 3, 4, 9, 10, 11, 12], [1, 1, 1, 1, 1, 0, 1, 1, 1]);
  p.add([0, 1, 2, 3, 4], [1, 1, 1, 1, 1]);
  const r = p.result();
  assert.deepEqual(r[1].waveform, [0, 2, 4]);
  assert.equal(r[1].duration, 5);
  assert.equal(r[1].segments, 3);
  assert.equal(r[0].segments, 0); // one-sample runs are skipped
  // Past maxSegments a uniform sample is kept (the 3 segments of smallest hash of ECG id and
  // segment index): 10 constant segments of levels 0..9, 3 kept; the count still says 10 and
  // the median is one of the levels.
  const q = new PrototypeAccumulator(1, 4, 3);
  for (let v = 0; v < 10; v++) q.add([v, v, v, v], [0, 0, 0, 0], `e${v}`);
  const [only] = q.result();
  assert.equal(only.segments, 10);
  assert.ok(
    Number.isInteger(only.waveform[0]) && only.waveform.every((x) => x === only.waveform[0]),
  );
});

test("prototypes: the bottom-k sample does not depend on ECG order, and shards merge into it", () => {
  // 40 ECGs of two segments each (cluster 0 then 1), levels by ECG; 5 kept per cluster.
  const ecg = (v: number) => ({ lead: [v, v, v, -v, -v, -v], clusters: [0, 0, 0, 1, 1, 1] });
  const one = new PrototypeAccumulator(2, 4, 5);
  for (let v = 0; v < 40; v++) one.add(ecg(v).lead, ecg(v).clusters, `e${v}`);
  const reversed = new PrototypeAccumulator(2, 4, 5);
  for (let v = 39; v >= 0; v--) reversed.add(ecg(v).lead, ecg(v).clusters, `e${v}`);
  assert.deepEqual(reversed.result(), one.result());
  const shards = [0, 13, 27, 40].slice(0, 3).map((from, s, cuts) => {
    const a = new PrototypeAccumulator(2, 4, 5);
    for (let v = from; v < (cuts[s + 1] ?? 40); v++) a.add(ecg(v).lead, ecg(v).clusters, `e${v}`);
    return JSON.parse(JSON.stringify(a.state()));
  });
  const merged = new PrototypeAccumulator(2, 4, 5);
  for (const s of shards) merged.merge(s);
  assert.deepEqual(merged.result(), one.result());
  const state = one.state();
  assert.deepEqual(state.seen, [40, 40]);
  assert.deepEqual(
    state.kept.map((l) => l.length),
    [5, 5],
  );
  // The kept segments are the smallest hashes of all 40: a sample, not the first 5 ECGs.
  const levels = state.kept[0].map((s) => s.waveform[0]).sort((a, b) => a - b);
  assert.notDeepEqual(levels, [0, 1, 2, 3, 4]);
  assert.throws(() => merged.merge({ ...state, maxSegments: 6 }), /different shapes/);
});

test("label-error candidates: both surrogate and CNN confidently against the label", () => {
  const r = labelErrorCandidates(
    ["a", "b", "c"],
    ["NORM", "MI"],
    [0.9, 0.1, 0.2, 0.95, 0.1, 0.5],
    [0.95, 0.2, 0.1, 0.6, 0.3, 0.4],
    [0, 0, 0, 1, 1, 0],
  );
  assert.deepEqual(
    r.map((x) => [x.id, x.class]),
    [
      ["a", "NORM"],
      ["c", "NORM"],
    ],
  );
  close(r[0].score, 0.925);
});

test("Grad-CAM beside entropy and cluster importance", () => {
  const r = gradcamRelation([0, 1, 2, 3], [0, 0.5, 1, 1.5], [0, 0, 1, 1], [0.1, 0.9]);
  close(r.entropy, 1);
  close(r.importance, 0.8944271909999159);
});

test("deletion curves: ranking with seeded random ties, the top fraction blanked on every lead", () => {
  // distinct attributions: plain decreasing order
  assert.deepEqual([...rankByAttribution([0.1, 0.9, 0.5, 0.3], 1)], [1, 2, 3, 0]);
  // ties are cut in a seeded random order: the same seed gives the same order, every index once
  const flat = new Float64Array(50);
  const a = rankByAttribution(flat, 7);
  assert.deepEqual(a, rankByAttribution(flat, 7));
  assert.notDeepEqual(a, rankByAttribution(flat, 8));
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(
    [...a],
    Array.from({ length: 50 }, (_, i) => i),
    "not left to right",
  );
  // equal scores keep the random order among themselves, behind higher scores
  const two = rankByAttribution([0, 2, 0, 2, 0], 3);
  assert.deepEqual(new Set([...two].slice(0, 2)), new Set([1, 3]));
  // 2 leads x 5 samples; lead medians 3 and 30
  const sig = Float32Array.from([1, 2, 3, 4, 5, 10, 20, 30, 40, 50]);
  const order = Uint32Array.from([4, 0, 2, 1, 3]);
  const [none, first, three] = deletionSignals(sig, 2, order, [0, 0.2, 0.5]);
  assert.deepEqual([...none], [...sig]);
  assert.deepEqual([...first], [1, 2, 3, 4, 3, 10, 20, 30, 40, 30]);
  // ceil(0.5 x 5) = 3 samples: 4, 0 and 2
  assert.deepEqual([...three], [3, 2, 3, 4, 3, 30, 20, 30, 40, 30]);
});
