/**
 * Fixed seeded k-means runs and a short SHA-256 of their exact output (centroid bytes, labels,
 * inertia, iterations), one per path of the native kernels: full restarts with Hamerly's bounds,
 * k-means++ on a subsample, coarse-to-fine, a given init, plain Lloyd (K = 1), assignment and
 * the mini-batch mode. kmeans-golden.test.ts compares them with values recorded before
 * native/src/kmeans.cc was split; run as a script, this prints them as JSON (the test runs it in a
 * child process with ECG_TLC_KMEANS_SCALAR=1 to pin the scalar fallback too).
 */
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { Random } from "../../src/signal/random.js";
import { kmeans, kmeansAssign, MiniBatchKMeans } from "../../src/tlc/kmeans.js";

/** Uniform points in [0, 1)^d. */
export function uniformPoints(n: number, d: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n * d }, () => rng.next());
}

/** Anisotropic groups of unequal size, rectified like ReLU activations: real local minima. */
export function clusteredPoints(n: number, d: number, groups: number, seed: number): Float32Array {
  const rng = new Random(seed);
  const mu = Array.from({ length: groups }, () => Array.from({ length: d }, () => rng.normal()));
  const dir = Array.from({ length: groups }, () => Array.from({ length: d }, () => rng.normal()));
  const weight = Array.from({ length: groups }, () => 0.3 + rng.next());
  const total = weight.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let u = rng.next() * total;
    let g = 0;
    while (g < groups - 1 && u >= weight[g]) u -= weight[g++];
    const a = rng.normal(0, 1.5);
    for (let j = 0; j < d; j++) {
      const v = mu[g][j] + a * dir[g][j] + rng.normal(0, 0.8);
      x[i * d + j] = v > 0 ? v : 0;
    }
  }
  return x;
}

function bytes(a: Float32Array | Int32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** First 16 hex digits of the SHA-256 of the arrays' bytes and the numbers (as float64). */
export function fingerprint(arrays: (Float32Array | Int32Array)[], numbers: number[]): string {
  const h = createHash("sha256");
  for (const a of arrays) h.update(bytes(a));
  h.update(bytes(Float64Array.from(numbers)));
  return h.digest("hex").slice(0, 16);
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

type FitOptions = NonNullable<Parameters<typeof kmeans>[2]>;

function fitCase(x: () => Float32Array, d: number, opts: FitOptions) {
  return async () => {
    const r = await kmeans(x(), d, opts);
    return fingerprint([r.centroids, r.labels], [r.inertia, r.iterations, ...r.initInertia]);
  };
}

/**
 * The cases, by name. Dimensions 45 and 20,003 points (a last chunk of 35 rows) reach the
 * kernels' tails; K = 5 and 10 their padding of the centroids to 8 lanes.
 */
function cases(): Record<string, () => Promise<string>> {
  const uniform = once(() => uniformPoints(50_000, 64, 1));
  const clustered = once(() => clusteredPoints(20_003, 45, 12, 2));
  // More than 2 x 50,000 points: k-means++ runs on a uniform subsample.
  const many = once(() => clusteredPoints(110_000, 8, 10, 3));
  const out: Record<string, () => Promise<string>> = {};
  for (const threads of [1, 2]) {
    // Uniform points converge slowly (about 190 iterations): 20 keep the test short.
    out[`uniform 50000x64 k8 nInit3 seed1 maxIter20 threads${threads}`] = fitCase(uniform, 64, {
      k: 8,
      nInit: 3,
      seed: 1,
      maxIter: 20,
      threads,
    });
    out[`clustered 20003x45 k8 nInit3 seed1 threads${threads}`] = fitCase(clustered, 45, {
      k: 8,
      nInit: 3,
      seed: 1,
      threads,
    });
  }
  out["clustered 110000x8 k10 nInit1 seed1 (seeding subsample)"] = fitCase(many, 8, {
    k: 10,
    nInit: 1,
    seed: 1,
    threads: 2,
  });
  out["clustered k8 sample5000 seed1 (coarse-to-fine)"] = fitCase(clustered, 45, {
    k: 8,
    nInit: 3,
    seed: 1,
    sample: 5000,
    threads: 2,
  });
  out["clustered k8 init rows 100-107"] = fitCase(clustered, 45, {
    k: 8,
    init: clustered().slice(100 * 45, 108 * 45),
    threads: 2,
  });
  out["clustered k1 (plain Lloyd)"] = fitCase(clustered, 45, { k: 1, seed: 1, threads: 2 });
  out["assign clustered to rows 200-204"] = async () => {
    const x = clustered();
    const a = await kmeansAssign(x, 45, x.slice(200 * 45, 205 * 45), 2);
    return fingerprint([a.labels, a.distances], [a.inertia]);
  };
  out["minibatch clustered batches of 5000 k8 seed1"] = async () => {
    const x = clustered();
    const mb = new MiniBatchKMeans(45, { k: 8, seed: 1, threads: 2 });
    // 20,003 points: four batches of 5,000 and one of 3.
    for (let o = 0; o < 20_003; o += 5000) await mb.partialFit(x.subarray(o * 45, (o + 5000) * 45));
    return fingerprint([mb.centroids!], Array.from(mb.counts));
  };
  return out;
}

/** The fingerprint of every case whose name matches `only` (default all), by name. */
export async function kmeansFingerprints(only?: RegExp): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, run] of Object.entries(cases()))
    if (!only || only.test(name)) out[name] = await run();
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Argument: a regular expression selecting cases by name (default all).
  const only = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
  console.log(JSON.stringify(await kmeansFingerprints(only)));
}

/** Exact (double) nearest centroid of every point, and the inertia. */
export function nearestCentroids(x: Float32Array, d: number, c: Float32Array) {
  const n = x.length / d;
  const k = c.length / d;
  const labels = new Int32Array(n);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let q = 0; q < k; q++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - c[q * d + j]) ** 2;
      if (s < best) [best, labels[i]] = [s, q];
    }
    inertia += best;
  }
  return { labels, inertia };
}
