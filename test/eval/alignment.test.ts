import { test } from "node:test";
import assert from "node:assert/strict";
import {
  clusterWaveNames,
  alignment,
  bestJaccard,
  boundaryDistance,
  contingency,
  landmarkContingency,
  nmi,
  purity,
} from "../../src/eval/alignment.js";
import type { Wave } from "../../src/types.js";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

const clusters = [0, 0, 1, 1, 2, 2, 2, 0, 1, 3];
const waves = [0, 0, 1, 1, 1, 2, 2, 3, 3, 3];

test("contingency, NMI (sklearn normalized_mutual_info_score), purity, Jaccard", () => {
  const t = contingency(clusters, waves, 4);
  assert.deepEqual(t, [
    [2, 0, 0, 1],
    [0, 2, 0, 1],
    [0, 1, 2, 0],
    [0, 0, 0, 1],
  ]);
  // sklearn 1.2.1: normalized_mutual_info_score(waves, clusters) = 0.5920135846617087
  close(nmi(t), 0.5920135846617087);
  close(purity(t), 0.7);
  const j = bestJaccard(t);
  [2 / 3, 0.5, 2 / 3, 1 / 3].forEach((v, i) => close(j[i], v));
  // Identical partitions up to renaming: NMI 1; independent ones: 0.
  close(nmi(contingency([1, 1, 0, 0], [0, 0, 1, 1], 2, 2)), 1);
  close(nmi(contingency([0, 1, 0, 1], [0, 0, 1, 1], 2, 2)), 0);
  // A span limits what is counted.
  assert.deepEqual(contingency(clusters, waves, 4, 4, 2, 4), [
    [0, 0, 0, 0],
    [0, 2, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
});

const w = (type: Wave["type"], peak: number): Wave => ({
  lead: "ii",
  type,
  onset: peak - 1,
  peak,
  offset: peak + 1,
});

test("landmarks: cluster at each P, R, T peak, NMI and per-wave purity", () => {
  const cl = [0, 0, 1, 1, 2, 2, 2, 0, 1, 3, 1, 2];
  const peaks = [w("P", 1), w("QRS", 3), w("T", 5), w("P", 7), w("QRS", 10), w("T", 11), w("T", 8)];
  const t = landmarkContingency(cl, peaks, 4);
  assert.deepEqual(t, [
    [2, 0, 0],
    [0, 2, 1],
    [0, 0, 2],
    [0, 0, 0],
  ]);
  const r = alignment([{ clusters: cl, waveLabels: new Array(12).fill(3), waves: peaks }], 4);
  close(r.landmarks.purity.P, 1);
  close(r.landmarks.purity.QRS, 1);
  close(r.landmarks.purity.T, 2 / 3);
  assert.deepEqual(r.landmarks.cluster, { P: 0, QRS: 1, T: 2 });
  // sklearn: normalized_mutual_info_score([0,1,2,0,1,2,2],[0,1,2,0,1,2,1]) = 0.7471790950662618
  close(r.landmarks.nmi, 0.7471790950662618, 1e-12);
  // Peaks outside the annotated span are not counted.
  const s = alignment([{ clusters: cl, waveLabels: cl, waves: peaks, span: [0, 6] }], 4);
  assert.deepEqual(s.landmarks.contingency, [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [0, 0, 0],
  ]);
});

test("boundary distance against chance", () => {
  // One wave over [10, 19]: edges at 10 and 20. Cluster boundaries exactly there: distance 0.
  const cl = new Array(40).fill(0).map((_, i) => (i >= 10 && i < 20 ? 1 : 0));
  const r = boundaryDistance(cl, [{ lead: "ii", type: "QRS", onset: 10, peak: 15, offset: 19 }]);
  assert.equal(r.boundaries, 2);
  assert.equal(r.mean, 0);
  // Chance: mean over positions 0..39 of the distance to {10, 20}.
  let s = 0;
  for (let i = 0; i < 40; i++) s += Math.min(Math.abs(i - 10), Math.abs(i - 20));
  close(r.chance, s / 40);
});

test("clusterWaveNames: the wave each cluster is most enriched in, not the one holding most of it", () => {
  // The default network's clusters on the 150 LUDB records (samples: P, QRS, T, TP). Cluster 2
  // holds more baseline than P (67,365 vs 43,528) but 31 % P against 11 % overall: it is the P
  // cluster; by the majority four of six clusters would be "TP".
  const table = [
    [220, 34445, 290, 8002],
    [14065, 336, 25135, 173898],
    [43528, 8133, 19211, 67365],
    [115, 748, 23702, 26413],
    [861, 3512, 42453, 7711],
    [86, 19949, 834, 27518],
  ];
  assert.deepEqual(clusterWaveNames(table), ["QRS", "TP", "P", "T", "T", "QRS"]);
  // a cluster without samples has no name; ties go to the first wave
  assert.deepEqual(
    clusterWaveNames([
      [0, 0, 0, 0],
      [1, 0, 1, 0],
      [1, 2, 1, 4],
    ]),
    [undefined, "P", "QRS"],
  );
});
