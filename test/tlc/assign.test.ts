import assert from "node:assert/strict";
import { test } from "node:test";
import { sharedVariance, softAssign } from "../../src/tlc/assign.js";
import { hardProportions, segmentsOf, softProportions } from "../../src/tlc/segments.js";

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
