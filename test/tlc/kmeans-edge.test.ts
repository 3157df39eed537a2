/**
 * k-means at its edges: concurrent calls, points that are not finite, fewer distinct points than
 * clusters, samples smaller than K, and the native binding's argument checks.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { loadNative } from "../../src/native.js";
import { kmeans, kmeansAssign } from "../../src/tlc/kmeans.js";
import { clusteredPoints, nearestCentroids, uniformPoints } from "./kmeans-fingerprints.js";

const D = 12;
const X = clusteredPoints(3000, D, 6, 5);

/** Threads of this process (Linux). */
function osThreads(): number {
  return readdirSync("/proc/self/task").length;
}

test(
  "kmeans: concurrent fits each keep their own thread count",
  { skip: process.platform !== "linux" && "counts the threads in /proc/self/task" },
  async () => {
    await kmeansAssign(X.subarray(0, D), D, X.subarray(0, D), 1); // starts libuv's pool
    const idle = osThreads();
    const long = uniformPoints(50_000, 64, 9);
    let done = false;
    const slow = kmeans(long, 64, { k: 8, nInit: 1, maxIter: 60, seed: 0, threads: 1 }).finally(
      () => (done = true),
    );
    // A short fit on 4 threads, started and finished while the slow one-thread fit runs.
    await kmeans(X, D, { k: 4, nInit: 1, seed: 0, threads: 4 });
    assert.equal(done, false, "the one-thread fit ended first: make it longer");
    let peak = 0;
    while (!done) {
      peak = Math.max(peak, osThreads() - idle);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await slow;
    // threads: 1 runs on its libuv worker alone; the 4-thread fit's setting made it start 3 more.
    assert.ok(peak <= 1, `the threads: 1 fit ran with ${peak} extra threads`);
  },
);

test("kmeans: refuses points or centroids that are not finite, naming the row and dimension", async () => {
  const withValue = (x: Float32Array, i: number, v: number) => {
    const y = x.slice();
    y[i] = v;
    return y;
  };
  const c = X.slice(0, 4 * D);
  await assert.rejects(
    kmeans(withValue(X, 5 * D + 3, NaN), D, { k: 4 }),
    /^Error: kmeans: point 5 has NaN at dimension 3$/,
  );
  await assert.rejects(
    kmeans(withValue(X, 7 * D, -Infinity), D, { k: 4, sample: 1000 }),
    /kmeans: point 7 has an infinite value at dimension 0/,
  );
  // Finite, but its square overflows float32: every distance to it would be infinite.
  await assert.rejects(
    kmeans(withValue(X, 2 * D + 1, 1e30), D, { k: 4 }),
    /kmeans: point 2 is too large for float32 squared distances \(1e\+30 at dimension 1\)/,
  );
  await assert.rejects(
    kmeans(X, D, { k: 4, init: withValue(c, D + 2, NaN) }),
    /kmeans: init centroid 1 has NaN at dimension 2/,
  );
  await assert.rejects(
    kmeansAssign(withValue(X, 9 * D + 4, NaN), D, c),
    /kmeans: point 9 has NaN at dimension 4/,
  );
  await assert.rejects(
    kmeansAssign(X, D, withValue(c, 3 * D + 11, Infinity)),
    /kmeans: centroid 3 has an infinite value at dimension 11/,
  );
});

test("kmeans: fewer distinct points than clusters, or an init repeating a row, never gives NaN", async () => {
  // 60 points, 4 distinct rows; 10 identical points.
  const d = 3;
  const repeated = Float32Array.from(
    { length: 60 * d },
    (_, t) => (Math.floor(t / d) % 4) * 10 + (t % d),
  );
  const identical = new Float32Array(10 * d).fill(1.5);
  // The 4 distinct rows and row 0 again: no point is nearest to the fifth centre.
  const init = Float32Array.from({ length: 5 * d }, (_, t) => repeated[t % (4 * d)]);
  const fits: [Float32Array, number, Float32Array?][] = [
    [repeated, 6],
    [identical, 3],
    [repeated, 5, init],
  ];
  for (const [x, k, start] of fits) {
    const r = await kmeans(x, d, { k, seed: 1, threads: 1, ...(start ? { init: start } : {}) });
    assert.ok(r.centroids.every(Number.isFinite), `k = ${k}: ${r.centroids}`);
    assert.equal(r.inertia, 0);
    for (let i = 0; i < x.length / d; i++) {
      const q = r.labels[i];
      assert.deepEqual(r.centroids.subarray(q * d, q * d + d), x.subarray(i * d, i * d + d));
    }
  }
});

test("kmeans: refuses a sample smaller than K, or not a whole number of points", async () => {
  await assert.rejects(
    kmeans(X, D, { k: 8, sample: 5 }),
    /kmeans: a sample of 5 points cannot make 8 clusters/,
  );
  await assert.rejects(kmeans(X, D, { k: 8, sample: -1 }), /sample must be a whole number/);
  await assert.rejects(kmeans(X, D, { k: 8, sample: 99.5 }), /sample must be a whole number/);
  // A sample of at least all the points is no sample: the full restarts run.
  const few = X.subarray(0, 40 * D);
  assert.deepEqual(
    await kmeans(few, D, { k: 8, sample: 40, seed: 2 }),
    await kmeans(few, D, { k: 8, sample: 0, seed: 2 }),
  );
});

test("kmeans native binding: refuses mistyped arrays and sizes whose n x d overflows", async () => {
  interface Binding {
    kmeansFit(points: unknown, n: number, d: number, opts: object): Promise<unknown>;
    kmeansAssign(
      points: unknown,
      n: number,
      d: number,
      c: unknown,
      k: number,
      threads: number,
    ): Promise<unknown>;
  }
  const native = loadNative<Binding>();
  const x = new Float32Array(16);
  // 4 x 2^62 wraps to 0 in int64: it passed the length check, and the kernel read 2^62 floats of
  // each row (a segmentation fault).
  for (const [n, d] of [
    [4, 2 ** 62],
    [2 ** 61, 8],
  ]) {
    await assert.rejects(
      async () => native.kmeansFit(x, n, d, { k: 2 }),
      /points array shorter than n x d/,
    );
  }
  await assert.rejects(
    async () => native.kmeansAssign(x, 2, 8, new Float32Array(16), 2 ** 61, 1),
    /centroids must hold k x d values/,
  );
  await assert.rejects(
    async () => native.kmeansAssign(x, 2, 8, new Float64Array(16), 2, 1),
    /kmeans: centroids must be a Float32Array/,
  );
  await assert.rejects(
    async () => native.kmeansFit(new Int32Array(16), 2, 8, { k: 2 }),
    /kmeans: points must be a Float32Array/,
  );
  await assert.rejects(
    async () => native.kmeansFit(X, X.length / D, D, { k: 8, sample: 5 }),
    /k must be in \[1, sample\]/,
  );
});

test("kmeans: points far from the origin get their nearest centroid and the true inertia", async () => {
  // Unit-spread clusters 1,000 away from the origin: ||x||^2 - 2 x.mu + ||mu||^2 in float32
  // cancels to noise there (7 % of labels were wrong and the inertia reported 4 % low).
  const d = 16;
  const x = clusteredPoints(8000, d, 8, 6).map((v) => v + 1000);
  const r = await kmeans(x, d, { k: 6, seed: 0, threads: 2 });
  const exact = nearestCentroids(x, d, r.centroids);
  const wrong = exact.labels.filter((q, i) => q !== r.labels[i]).length;
  assert.ok(wrong <= 2, `${wrong} of 8000 labels are not the nearest centroid`);
  assert.ok(Math.abs(r.inertia / exact.inertia - 1) < 1e-4, `${r.inertia} vs ${exact.inertia}`);
  const a = await kmeansAssign(x, d, r.centroids, 2);
  assert.ok(Math.abs(a.inertia / exact.inertia - 1) < 1e-4, `${a.inertia} vs ${exact.inertia}`);
  assert.ok(exact.labels.filter((q, i) => q !== a.labels[i]).length <= 2);
});
