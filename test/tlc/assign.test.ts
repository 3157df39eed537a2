import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../../src/signal/random.js";
import { momentStride, ResidualMoments, sharedVariance, softAssign } from "../../src/tlc/assign.js";
import { hardProportions, softProportions } from "../../src/tlc/segments.js";
import { segmentsOf } from "../../src/explain/explanation.js";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { nativeAddonPath } from "../../src/native.js";
import { explainKernels, useExplainKernels } from "../../src/tlc/native-kernels.js";
import { expNonPositive, logUnit } from "../../src/tlc/softmax.js";

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

/** The plain computation softAssign's faster loops must reproduce bit for bit. */
function plainSoftAssign(
  x: Float32Array,
  rows: number,
  dims: number,
  c: Float32Array,
  k: number,
  sigma2: number,
) {
  const labels: number[] = [];
  const probs: number[] = [];
  const entropy: number[] = [];
  for (let r = 0; r < rows; r++) {
    const d2: number[] = [];
    for (let q = 0; q < k; q++) {
      let s = 0;
      for (let j = 0; j < dims; j++) {
        const v = x[r * dims + j] - c[q * dims + j];
        s += v * v;
      }
      d2.push(s);
    }
    let best = 0;
    for (let q = 1; q < k; q++) if (d2[q] < d2[best]) best = q;
    labels.push(best);
    const e = d2.map((d) => {
      const a = -(d - d2[best]) / (2 * sigma2);
      return a < -746 ? 0 : expNonPositive(a);
    });
    const z = e.reduce((a, b) => a + b, 0);
    let h = 0;
    for (const v of e) {
      const p = v / z;
      probs.push(p);
      if (p > 0) h -= p * logUnit(p);
    }
    entropy.push(k > 1 ? Math.min(1, Math.max(0, h / Math.log(k))) : 0);
  }
  return { labels, probs, entropy };
}

test("the native explain kernels load whenever the addon is built", () => {
  assert.equal(explainKernels() !== null, existsSync(nativeAddonPath()));
  if (process.env.ECG_TLC_KMEANS_SCALAR === "1")
    assert.equal(explainKernels()?.tlcKernelsAvx2, false);
});

// The portable kernels (a CPU without AVX2) are chosen as the addon loads: this file's and the
// composite tests again in a child process that forces them.
test("the portable native kernels give the TypeScript loops' values bit for bit too", async (t) => {
  if (process.env.ECG_TLC_KMEANS_SCALAR === "1" || !explainKernels()) return t.skip();
  const dir = dirname(fileURLToPath(import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, ECG_TLC_KMEANS_SCALAR: "1" };
  delete env.NODE_TEST_CONTEXT; // a test run of its own, reporting on stdout
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--test",
      "--test-reporter=tap",
      join(dir, "assign.test.js"),
      join(dir, "features.test.js"),
      join(dir, "softmax.test.js"),
    ],
    { env, timeout: 120_000 },
  );
  assert.match(stdout, /# fail 0/);
  assert.doesNotMatch(stdout, /# pass 0\b/);
});

for (const native of [true, false])
  test(`softAssign (${native ? "native" : "TypeScript"} distances): a column window and repeated rows give the plain loop's values bit for bit`, () => {
    const was = useExplainKernels(native);
    const rng = new Random(7);
    const rows = 43;
    const dims = 11;
    const x = new Float32Array(rows * dims);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < dims; j++)
        // Columns 4.. repeat over pairs of rows, as a coarser tap's steps do on the fine grid.
        x[r * dims + j] = j >= 4 && r % 2 === 1 ? x[(r - 1) * dims + j] : rng.normal();
    x[3 * dims + 5] = -0; // -0 against the 0 of the row before: equal, and so are the distances
    x[2 * dims + 5] = 0;
    for (const k of [1, 2, 3, 4, 6, 7, 13]) {
      const c = Float32Array.from({ length: k * dims }, () => rng.normal());
      const sub = (a: Float32Array, w: number, from: number, to: number, n: number) => {
        const out = new Float32Array(n * (to - from));
        for (let r = 0; r < n; r++) out.set(a.subarray(r * w + from, r * w + to), r * (to - from));
        return out;
      };
      for (const cols of [undefined, [0, 4], [4, dims]] as const) {
        const w = cols ? cols[1] - cols[0] : dims;
        const cw = cols ? sub(c, dims, cols[0], cols[1], k) : c;
        // sigma^2 0.004: most posteriors underflow to 0 or are exactly 1.
        for (const sigma2 of [0.7, 0.004]) {
          const got = softAssign(x, rows, dims, cw, k, sigma2, cols);
          const want = plainSoftAssign(
            cols ? sub(x, dims, cols[0], cols[1], rows) : x,
            rows,
            w,
            cw,
            k,
            sigma2,
          );
          assert.deepEqual(
            Array.from(got.labels),
            want.labels,
            `k ${k} columns ${cols} sigma2 ${sigma2}`,
          );
          assert.deepEqual(
            Array.from(got.probs),
            want.probs,
            `k ${k} columns ${cols} sigma2 ${sigma2}`,
          );
          assert.deepEqual(
            Array.from(got.entropy),
            want.entropy,
            `k ${k} columns ${cols} sigma2 ${sigma2}`,
          );
        }
      }
    }
    useExplainKernels(was);
  });
