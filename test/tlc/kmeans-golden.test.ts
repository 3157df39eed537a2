/**
 * The native k-means must give the same bits as the single-file kernel did before it was split
 * into native/src/kmeans_*.cc: fingerprints (test/tlc/kmeans-fingerprints.ts) recorded from it on
 * fixed seeded inputs, for the AVX2+FMA kernels and for the portable fallback. A change that moves
 * results on purpose updates them here and says why in its commit.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { kmeansKernel, type KMeansKernel } from "../../src/tlc/kmeans.js";
import { ROOT } from "../data.js";
import { kmeansFingerprints } from "./kmeans-fingerprints.js";

const RECORDED: Record<KMeansKernel, Record<string, string>> = {
  avx2: {
    "uniform 50000x64 k8 nInit3 seed1 maxIter20 threads1": "681aaeb5a34aa890",
    "clustered 20003x45 k8 nInit3 seed1 threads1": "a88b877196906d63",
    "uniform 50000x64 k8 nInit3 seed1 maxIter20 threads2": "681aaeb5a34aa890",
    "clustered 20003x45 k8 nInit3 seed1 threads2": "a88b877196906d63",
    "clustered 110000x8 k10 nInit1 seed1 (seeding subsample)": "0c6ccd8ce8759b15",
    "clustered k8 sample5000 seed1 (coarse-to-fine)": "8c3e3acda6556730",
    "clustered k8 init rows 100-107": "a81846c2d02b308b",
    "clustered k1 (plain Lloyd)": "de800538ae0208bb",
    "assign clustered to rows 200-204": "ce36b8312bdb1118",
    "minibatch clustered batches of 5000 k8 seed1": "94ec6ae848ad6fd6",
  },
  scalar: {
    "uniform 50000x64 k8 nInit3 seed1 maxIter20 threads1": "a775d158744ba888",
    "clustered 20003x45 k8 nInit3 seed1 threads1": "8d690a1b4caf5054",
    "uniform 50000x64 k8 nInit3 seed1 maxIter20 threads2": "a775d158744ba888",
    "clustered 20003x45 k8 nInit3 seed1 threads2": "8d690a1b4caf5054",
    "clustered 110000x8 k10 nInit1 seed1 (seeding subsample)": "1fb7e86003afc474",
    "clustered k8 sample5000 seed1 (coarse-to-fine)": "f28633a8ae7868db",
    "clustered k8 init rows 100-107": "64106a667ba1f331",
    "clustered k1 (plain Lloyd)": "5b8bfe766793c93e",
    "assign clustered to rows 200-204": "95a517bbd1d3d1bf",
    "minibatch clustered batches of 5000 k8 seed1": "94ec6ae848ad6fd6",
  },
};

// The scalar kernels are chosen when the engine loads, so they run in a child process, started
// now to overlap with the in-process cases. It skips the one-thread runs (thread counts are pinned
// in process) and the uniform points (the slowest; the clustered ones reach the same code paths
// and the kernels' tails besides).
const SCALAR_CASES = "^(?!uniform)(?!.*threads1)";
const scalarRun = promisify(execFile)(
  process.execPath,
  [join(ROOT, "dist", "test", "tlc", "kmeans-fingerprints.js"), SCALAR_CASES],
  { env: { ...process.env, ECG_TLC_KMEANS_SCALAR: "1" }, timeout: 60_000 },
);
scalarRun.catch(() => {}); // awaited (and its failure reported) in the test below

function select(recorded: Record<string, string>, pattern: string): Record<string, string> {
  const re = new RegExp(pattern);
  return Object.fromEntries(Object.entries(recorded).filter(([name]) => re.test(name)));
}

test("kmeans: bit-identical centroids, labels and inertia on fixed inputs (kernel in use)", async () => {
  const kernel = kmeansKernel();
  assert.deepEqual(await kmeansFingerprints(), RECORDED[kernel], `${kernel} kernels`);
});

test("kmeans: the scalar fallback (a CPU without AVX2) gives its recorded output too", async () => {
  const { stdout } = await scalarRun;
  const got = JSON.parse(stdout) as Record<string, string>;
  assert.deepEqual(got, select(RECORDED.scalar, SCALAR_CASES));
});
