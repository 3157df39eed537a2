/**
 * k-means at its edges: concurrent calls, points that are not finite, fewer distinct points than
 * clusters, samples smaller than K, and the native binding's argument checks.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { kmeans, kmeansAssign } from "../../src/tlc/kmeans.js";
import { clusteredPoints, uniformPoints } from "./kmeans-fingerprints.js";

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
