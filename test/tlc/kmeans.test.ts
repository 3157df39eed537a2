import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeNpy } from "../../src/io/npy.js";
import { Random } from "../../src/signal/random.js";
import { kmeans, kmeansAssign, MiniBatchKMeans } from "../../src/tlc/kmeans.js";
import { pythonWith } from "../python.js";
import { nearestCentroids } from "./kmeans-fingerprints.js";

/** Anisotropic blobs, some overlapping, so that k-means has real local minima to get wrong. */
function blobs(n: number, d: number, centres: number, seed: number): Float32Array {
  const rng = new Random(seed);
  const mu = Array.from({ length: centres }, () =>
    Array.from({ length: d }, () => rng.normal(0, 3)),
  );
  const scale = Array.from({ length: d }, () => 0.5 + rng.next());
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng.next() * centres);
    for (let j = 0; j < d; j++) x[i * d + j] = mu[c][j] + rng.normal(0, scale[j]);
  }
  return x;
}

const X = blobs(3000, 24, 10, 7);
const D = 24;

test("kmeans: labels and inertia match a brute-force check, centroids are the means of their points", async () => {
  const r = await kmeans(X, D, { k: 6, seed: 1, threads: 2 });
  const bf = nearestCentroids(X, D, r.centroids);
  assert.ok(Math.abs(bf.inertia - r.inertia) / bf.inertia < 1e-5, `${r.inertia} vs ${bf.inertia}`);
  let differ = 0;
  for (let i = 0; i < bf.labels.length; i++) if (bf.labels[i] !== r.labels[i]) differ++;
  assert.ok(differ <= 2, `${differ} labels differ from the exact nearest centroid`);
  // Converged Lloyd: each centroid is (to float precision) the mean of its points.
  for (let q = 0; q < 6; q++) {
    const mean = new Float64Array(D);
    let n = 0;
    for (let i = 0; i < r.labels.length; i++) {
      if (r.labels[i] !== q) continue;
      n++;
      for (let j = 0; j < D; j++) mean[j] += X[i * D + j];
    }
    assert.ok(n > 0);
    for (let j = 0; j < D; j++) assert.ok(Math.abs(mean[j] / n - r.centroids[q * D + j]) < 1e-2);
  }
});

test("kmeans: same seed gives identical output, whatever the thread count", async () => {
  const a = await kmeans(X, D, { k: 5, seed: 3, threads: 1 });
  const b = await kmeans(X, D, { k: 5, seed: 3, threads: 2 });
  assert.deepEqual(a.centroids, b.centroids);
  assert.deepEqual(a.labels, b.labels);
  assert.equal(a.inertia, b.inertia);
  const c = await kmeans(X, D, { k: 5, seed: 4, threads: 2 });
  assert.notDeepEqual(a.initInertia, c.initInertia);
});

test("kmeans: inertia no worse than 1 % above scikit-learn's KMeans(n_init=3) on the same points", async (t) => {
  const py = pythonWith("sklearn", "numpy");
  if (!py) {
    t.skip("python3-sklearn is not installed (apt-get install python3-sklearn)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "tlc-km-"));
  try {
    const path = join(dir, "x.npy");
    writeNpy(path, X, [X.length / D, D]);
    const script = `import numpy as np; from sklearn.cluster import KMeans
x = np.load("${path}")
print(KMeans(n_clusters=8, n_init=3, random_state=0).fit(x).inertia_)`;
    const out = spawnSync(py, ["-c", script], { encoding: "utf8" });
    assert.equal(out.status, 0, out.stderr);
    const sk = Number(out.stdout.trim());
    const ours = await kmeans(X, D, { k: 8, nInit: 3, seed: 0 });
    assert.ok(ours.inertia <= sk * 1.01, `ours ${ours.inertia} vs sklearn ${sk}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("kmeans: coarse-to-fine sample reaches the inertia of the full restarts within 1 %", async () => {
  const big = blobs(20000, 16, 12, 11);
  const full = await kmeans(big, 16, { k: 8, seed: 2, sample: 0 });
  const coarse = await kmeans(big, 16, { k: 8, seed: 2, sample: 4000 });
  assert.ok(coarse.inertia <= full.inertia * 1.01, `${coarse.inertia} vs ${full.inertia}`);
  assert.equal(coarse.labels.length, 20000);
});

test("kmeansAssign: nearest centroid and inertia of given centroids", async () => {
  const c = X.slice(0, 4 * D);
  const r = await kmeansAssign(X, D, c);
  const bf = nearestCentroids(X, D, c);
  assert.ok(Math.abs(r.inertia - bf.inertia) / bf.inertia < 1e-5);
  assert.ok(r.distances[0] < 1e-3); // point 0 is centroid 0 (up to float32 cancellation)
  assert.equal(r.labels[2], 2);
});

test("MiniBatchKMeans: streamed batches reach an inertia close to full k-means", async () => {
  const full = await kmeans(X, D, { k: 6, seed: 0 });
  const mb = new MiniBatchKMeans(D, { k: 6, seed: 0 });
  for (let epoch = 0; epoch < 3; epoch++) {
    for (let o = 0; o < 3000; o += 500) await mb.partialFit(X.subarray(o * D, (o + 500) * D));
  }
  const { inertia } = await kmeansAssign(X, D, mb.centroids!);
  assert.ok(inertia <= full.inertia * 1.1, `mini-batch ${inertia} vs full ${full.inertia}`);
});

test("kmeans: refuses fewer points than clusters", async () => {
  await assert.rejects(
    kmeans(X.subarray(0, 3 * D), D, { k: 4 }),
    /3 points cannot make 4 clusters/,
  );
});
