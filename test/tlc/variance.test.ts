import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../../src/signal/random.js";
import { kmeans } from "../../src/tlc/kmeans.js";
import {
  distanceMatrix,
  fitHeldOutVariance,
  goldenMaximum,
  heldOutVariance,
  matchCentroids,
} from "../../src/tlc/variance.js";

/** n points of an equal-weight isotropic mixture (variance s) around k means in `dims` dims. */
function mixture(n: number, k: number, dims: number, s: number, spread: number, seed: number) {
  const rng = new Random(seed);
  const means = new Float32Array(k * dims);
  for (let i = 0; i < means.length; i++) means[i] = rng.normal(0, spread);
  const points = new Float32Array(n * dims);
  const truth = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const q = rng.int(0, k - 1);
    truth[r] = q;
    for (let j = 0; j < dims; j++)
      points[r * dims + j] = means[q * dims + j] + rng.normal(0, Math.sqrt(s));
  }
  return { means, points, truth };
}

test("goldenMaximum: the top of a unimodal function, and an edge when it rises to it", () => {
  const m = goldenMaximum((x) => -((x - 2) ** 2), 0, 5, 1e-6);
  assert.ok(Math.abs(m.x - 2) < 1e-5, `${m.x}`);
  assert.equal(goldenMaximum((x) => x, 0, 5).x, 5);
  assert.equal(goldenMaximum((x) => -x, 0, 5).x, 0);
});

test("matchCentroids: recovers a permutation of the same centroids, moved a little", () => {
  const { means } = mixture(0, 7, 4, 1, 5, 3);
  const perm = [3, 0, 6, 1, 5, 2, 4];
  const other = new Float32Array(means.length);
  // other's cluster j is the reference's perm[j], with a small shift.
  perm.forEach((q, j) => {
    for (let d = 0; d < 4; d++) other[j * 4 + d] = means[q * 4 + d] + 0.01 * (d + 1);
  });
  assert.deepEqual(Array.from(matchCentroids(means, other, 7, 4)), perm);
});

test("heldOutVariance without labels: the mixture's own variance (maximum likelihood)", () => {
  const s = 0.5;
  const { means, points } = mixture(20000, 4, 6, s, 4, 11);
  const r = heldOutVariance({ points, rows: 20000, dims: 6, centroids: means, k: 4 });
  assert.ok(Math.abs(r.sigma2 / s - 1) < 0.03, `sigma2 ${r.sigma2}`);
  assert.equal(r.atBound, false);
  assert.equal(r.disagreement, undefined);
});

test("heldOutVariance with labels: recovers the temperature the labels were drawn with", () => {
  // Labels drawn from the posterior at a known variance t: the calibrated sigma^2 is t, whatever
  // the spread of the vectors themselves.
  const t = 2;
  const { means, points } = mixture(30000, 3, 5, 1, 2, 5);
  const d2 = distanceMatrix(points, 30000, 5, means, 3);
  const rng = new Random(9);
  const labels = new Int32Array(30000);
  for (let r = 0; r < 30000; r++) {
    const w = [0, 1, 2].map((q) => Math.exp(-d2[r * 3 + q] / (2 * t)));
    let u = rng.next() * (w[0] + w[1] + w[2]);
    let q = 0;
    while (q < 2 && u >= w[q]) u -= w[q++];
    labels[r] = q;
  }
  const r = heldOutVariance({ points, rows: 30000, dims: 5, centroids: means, k: 3, labels });
  assert.ok(Math.abs(r.sigma2 / t - 1) < 0.06, `sigma2 ${r.sigma2}`);
  assert.ok(r.disagreement! > 0.05 && r.disagreement! < 0.6, `${r.disagreement}`);
  // Labels that never leave the nearest centroid ask for hard posteriors: the lower edge.
  const nearest = Int32Array.from({ length: 30000 }, (_, i) => {
    let b = 0;
    for (let q = 1; q < 3; q++) if (d2[i * 3 + q] < d2[i * 3 + b]) b = q;
    return b;
  });
  const hard = heldOutVariance({
    points,
    rows: 30000,
    dims: 5,
    centroids: means,
    k: 3,
    labels: nearest,
  });
  assert.equal(hard.atBound, true);
  assert.equal(hard.disagreement, 0);
  assert.ok(hard.sigma2 < r.sigma2 / 100);
});

test("heldOutVariance: refuses inputs that do not fit together", () => {
  const points = new Float32Array(12);
  const c = new Float32Array(6);
  assert.throws(
    () => heldOutVariance({ points, rows: 0, dims: 3, centroids: c, k: 2 }),
    RangeError,
  );
  assert.throws(
    () => heldOutVariance({ points, rows: 5, dims: 3, centroids: c, k: 2 }),
    RangeError,
  );
  assert.throws(
    () => heldOutVariance({ points, rows: 4, dims: 3, centroids: c, k: 2, labels: [0, 1] }),
    RangeError,
  );
});

test("fitHeldOutVariance: refit and held-out halves of a mixture, deterministic", async () => {
  const s = 0.8;
  const { points } = mixture(6000, 3, 4, s, 1.2, 21);
  const km = { k: 3, seed: 4, nInit: 3, threads: 2 };
  const { centroids } = await kmeans(points, 4, km);
  const held = await fitHeldOutVariance("held-out", points, 6000, 4, centroids, km);
  assert.ok(Math.abs(held.sigma2 / s - 1) < 0.15, `held-out ${held.sigma2}`);
  const refit = await fitHeldOutVariance("refit", points, 6000, 4, centroids, km);
  assert.ok(refit.sigma2 > 0 && Number.isFinite(refit.sigma2));
  assert.ok(refit.disagreement! < 0.2, `${refit.disagreement}`);
  assert.equal(refit.rows, 3000);
  const again = await fitHeldOutVariance("refit", points, 6000, 4, centroids, km);
  assert.equal(again.sigma2, refit.sigma2);
});
