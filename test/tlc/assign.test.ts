import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../../src/signal/random.js";
import { momentStride, ResidualMoments, sharedVariance, softAssign } from "../../src/tlc/assign.js";
import { hardProportions, softProportions } from "../../src/tlc/segments.js";
import { segmentsOf } from "../../src/explain/explanation.js";

test("softAssign: posteriors and normalised entropy match a direct computation", () => {
  // Two 2-D centroids, three points: on centroid 0, halfway, near centroid 1.
  const c = [0, 0, 2, 0];
  const x = new Float32Array([0, 0, 1, 0, 1.5, 0.5]);
  const sigma2 = 0.5;
  const s = softAssign(x, 3, 2, c, 2, sigma2);
  for (let r = 0; r < 3; r++) {
    const d0 = x[2 * r] ** 2 + x[2 * r + 1] ** 2;
    const d1 = (x[2 * r] - 2) ** 2 + x[2 * r + 1] ** 2;
    const e0 = Math.exp(-d0 / (2 * sigma2));
    const e1 = Math.exp(-d1 / (2 * sigma2));
    const p0 = e0 / (e0 + e1);
    const p1 = e1 / (e0 + e1);
    assert.ok(Math.abs(s.probs[2 * r] - p0) < 1e-12);
    assert.ok(Math.abs(s.probs[2 * r + 1] - p1) < 1e-12);
    const h = -(p0 * Math.log(p0) + p1 * Math.log(p1)) / Math.log(2);
    assert.ok(Math.abs(s.entropy[r] - h) < 1e-12);
  }
  assert.deepEqual(Array.from(s.labels), [0, 0, 1]); // the halfway point ties: lowest index wins
  assert.equal(s.entropy[1], 1); // equidistant: maximal uncertainty
});

test("softAssign: far points do not underflow to NaN, entropy stays in [0, 1]", () => {
  const c = [0, 1000];
  const x = new Float32Array([-5000, 400, 600, 1e6]);
  const s = softAssign(x, 4, 1, c, 2, 1e-6);
  for (let r = 0; r < 4; r++) {
    assert.ok(Number.isFinite(s.entropy[r]) && s.entropy[r] >= 0 && s.entropy[r] <= 1);
    assert.ok(Math.abs(s.probs[2 * r] + s.probs[2 * r + 1] - 1) < 1e-12);
  }
  assert.deepEqual(Array.from(s.labels), [0, 0, 1, 1]);
});

test("sharedVariance: inertia / (points x dims)", () => {
  assert.equal(sharedVariance(120, 10, 4), 3);
  assert.ok(sharedVariance(0, 10, 4) > 0);
});

test("segments, hard and soft proportions", () => {
  const clusters = [2, 2, 0, 0, 0, 1];
  const entropy = [0.1, 0.3, 0, 0.5, 1, 0.2];
  assert.deepEqual(segmentsOf(clusters, entropy), [
    { start: 0, end: 2, cluster: 2, entropy: 0.2 },
    { start: 2, end: 5, cluster: 0, entropy: 0.5 },
    { start: 5, end: 6, cluster: 1, entropy: 0.2 },
  ]);
  assert.deepEqual(hardProportions(clusters, 4), [0.5, 1 / 6, 1 / 3, 0]);
  assert.deepEqual(softProportions([0.5, 0.5, 1, 0], 2, 2), [0.75, 0.25]);
});

test("ResidualMoments: isotropic residuals give D_eff = D and the per-dim variance; copies of one channel give D_eff = 1", () => {
  const rng = new Random(5);
  const D = 6;
  const n = 20000;
  const centroids = new Float32Array([0, 0, 0, 0, 0, 0, 10, 10, 10, 10, 10, 10]);
  const iso = new Float32Array(n * D);
  const same = new Float32Array(n * D);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    const shared = rng.normal(0, 2);
    for (let j = 0; j < D; j++) {
      iso[i * D + j] = centroids[labels[i] * D + j] + rng.normal(0, 2);
      same[i * D + j] = centroids[labels[i] * D + j] + shared;
    }
  }
  const a = new ResidualMoments(D);
  a.add(iso, labels, centroids);
  const fa = a.finish();
  assert.equal(a.count, n);
  assert.ok(Math.abs(fa.effectiveDims - D) < 0.1, `D_eff ${fa.effectiveDims}`);
  assert.ok(Math.abs(fa.sigma2 - 4) < 0.15, `sigma2 ${fa.sigma2}`);
  // One shared value in every channel: ||r||^2 = D x shared^2, a 1-dimensional Gaussian of variance D x 4.
  const b = new ResidualMoments(D, 3);
  b.add(same, labels, centroids);
  const fb = b.finish();
  assert.equal(b.count, Math.ceil(n / 3));
  assert.ok(Math.abs(fb.effectiveDims - 1) < 1e-9, `D_eff ${fb.effectiveDims}`);
  assert.ok(Math.abs(fb.sigma2 - D * 4) < 1, `sigma2 ${fb.sigma2}`);
  assert.equal(new ResidualMoments(D).finish().effectiveDims, 0);
  assert.equal(momentStride(1000, 10), 1);
  assert.equal(momentStride(721000, 324, 2e9), Math.ceil(721000 / Math.floor(4e9 / 324 ** 2)));
});
