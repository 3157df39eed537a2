/**
 * k-means benchmark beside scikit-learn, same points, same run.
 *
 * Points: the composite TLC vectors in $ECG_TLC_KMEANS_POINTS (a points x dims float32 .npy, e.g.
 * from `ecg-tlc features`) when set, else generated clustered vectors of the size of the PTB-XL
 * subset's composite (416,000 x 772): 12 anisotropic groups of unequal size in a 772-dim space,
 * rectified like ReLU activations then standardised, so that K = 8 must merge groups and restarts
 * find different local minima. K = 8, n_init = 3, 2 threads.
 * Prints our median of N fits, sklearn's time (median of M) and the ratio, and both inertias.
 * Wall time and CPU time (all threads) are both printed: on a shared machine wall time depends on
 * the other jobs, CPU time much less.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pythonWith, referenceScript } from "./reference.js";
import { MissingDependencyError } from "../src/errors.js";
import { readNpy, writeNpy } from "../src/io/npy.js";
import { Random } from "../src/signal/random.js";
import { kmeans } from "../src/tlc/kmeans.js";

const N = Number(process.env.BENCH_N ?? 3);
const M = Number(process.env.BENCH_REF_N ?? 1);
const K = 8;
const N_INIT = 3;
const THREADS = 2;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function generate(n: number, d: number, seed: number): Float32Array {
  const rng = new Random(seed);
  const groups = 12;
  const weight = Array.from({ length: groups }, () => 0.3 + rng.next());
  const total = weight.reduce((a, b) => a + b, 0);
  const cum: number[] = [];
  weight.reduce((a, w, i) => (cum[i] = a + w / total), 0);
  const mu = Array.from({ length: groups }, () =>
    Float32Array.from({ length: d }, () => rng.normal(0, 1)),
  );
  const dirs = Array.from({ length: groups }, () =>
    Array.from({ length: 3 }, () => Float32Array.from({ length: d }, () => rng.normal(0, 1))),
  );
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    let g = 0;
    while (g < groups - 1 && u > cum[g]) g++;
    const a = rng.normal(0, 1.5);
    const b = rng.normal(0, 1);
    const c = rng.normal(0, 0.7);
    const [d1, d2, d3] = dirs[g];
    const m = mu[g];
    const o = i * d;
    for (let j = 0; j < d; j++) {
      // Cheap noise: sum of two uniforms (triangular), then a ReLU.
      const noise = rng.next() + rng.next() - 1;
      const v = m[j] + a * d1[j] + b * d2[j] + c * d3[j] + 1.5 * noise;
      x[o + j] = v > 0 ? v : 0;
    }
  }
  return x;
}

async function main(): Promise<void> {
  const ref = referenceScript("kmeans_sklearn.py");
  const tmp = mkdtempSync(join(tmpdir(), "bench-kmeans-"));
  try {
    let points: Float32Array;
    let dims: number;
    let path = process.env.ECG_TLC_KMEANS_POINTS;
    if (path) {
      if (!existsSync(path)) {
        console.log(`kmeans: skipped, ECG_TLC_KMEANS_POINTS=${path} does not exist`);
        return;
      }
      const a = readNpy(path);
      points = a.data as Float32Array;
      dims = a.shape[1];
      console.log(`kmeans: points from ${path} (${a.shape.join(" x ")})`);
    } else {
      const n = Number(process.env.BENCH_POINTS ?? 416_000);
      dims = 772;
      points = generate(n, dims, 1);
      path = join(tmp, "points.npy");
      writeNpy(path, points, [n, dims]);
      console.log(`kmeans: generated ${n} x ${dims} clustered points`);
    }
    const n = points.length / dims;
    const times: number[] = [];
    const cpus: number[] = [];
    const inertias: number[] = [];
    for (let r = 0; r < N; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const res = await kmeans(points, dims, { k: K, nInit: N_INIT, seed: r, threads: THREADS });
      times.push((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      cpus.push((c.user + c.system) / 1e6);
      inertias.push(res.inertia);
      console.log(
        `  run ${r}: ${times[r].toFixed(2)} s wall, ${cpus[r].toFixed(2)} s CPU, inertia ${res.inertia.toExponential(6)}, ${res.iterations} iterations on all points`,
      );
    }
    const ours = median(times);
    // Each run has its own seed: compare the median and the worst run's inertia, not the best.
    const inertia = median(inertias);
    const worst = Math.max(...inertias);
    const oursCpu = median(cpus);
    console.log(`kmeans_fit_${n}x${dims}_k${K}: ${ours.toFixed(2)} s (median of ${N})`);
    console.log(`kmeans_fit_cpu_${n}x${dims}_k${K}: ${oursCpu.toFixed(2)} s (median of ${N})`);
    const py = pythonWith("sklearn", "numpy");
    if (!py || !existsSync(ref)) {
      console.log(
        "kmeans: reference skipped (python3 with scikit-learn not found, or bench/reference/kmeans_sklearn.py missing)",
      );
      return;
    }
    const refTimes: number[] = [];
    const refCpus: number[] = [];
    let refInertia = Infinity;
    let version = "";
    for (let r = 0; r < M; r++) {
      const env = {
        ...process.env,
        OMP_NUM_THREADS: String(THREADS),
        OPENBLAS_NUM_THREADS: String(THREADS),
      };
      const out = spawnSync(py, [ref, path, String(K), String(N_INIT), String(THREADS)], {
        encoding: "utf8",
        env,
      });
      if (out.status !== 0) {
        console.log(`kmeans: reference failed: ${out.stderr.trim().split("\n").at(-1)}`);
        return;
      }
      const j = JSON.parse(out.stdout.trim().split("\n").at(-1)!) as {
        sklearn: string;
        seconds: number;
        cpuSeconds: number;
        inertia: number;
      };
      refTimes.push(j.seconds);
      refCpus.push(j.cpuSeconds);
      refInertia = Math.min(refInertia, j.inertia);
      version = j.sklearn;
    }
    const sk = median(refTimes);
    console.log(`kmeans_fit_sklearn_${version}: ${sk.toFixed(2)} s (median of ${M})`);
    const skCpu = median(refCpus);
    console.log(`kmeans_fit_cpu_sklearn_${version}: ${skCpu.toFixed(2)} s (median of ${M})`);
    console.log(
      `kmeans_speedup_vs_sklearn: ${(sk / ours).toFixed(2)} x (wall), ${(skCpu / oursCpu).toFixed(2)} x (CPU)`,
    );
    console.log(
      `kmeans_inertia_ratio_vs_sklearn: ${(inertia / refInertia).toFixed(5)} (median of ${N}; worst run ${(worst / refInertia).toFixed(5)}; ours ${inertia.toExponential(6)}, sklearn ${refInertia.toExponential(6)})`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  if (err instanceof MissingDependencyError) {
    console.log(`kmeans: skipped, ${err.message}`);
    return;
  }
  console.error(`kmeans: ${(err as Error).message}`);
  process.exitCode = 1;
});
