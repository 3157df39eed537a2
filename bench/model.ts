/**
 * Network engine benchmark beside PyTorch (bench/reference/model_torch.py), same network (ptbxl100
 * preset), batch, thread count and run: forward with every tap kept, and one Adam training step.
 * Prints ECGs/s and GFLOP/s (median of N calls; wall time, and CPU time of all threads, which a
 * shared machine disturbs less), the ratio to PyTorch, and the share of this machine's peak
 * (cores x 32 single-precision FLOP/cycle for AVX2 FMA x clock).
 *
 * usage: node dist/bench/model.js   (BENCH_N reps, default 5; BENCH_BATCH, default 32;
 * ECG_TLC_THREADS, default 2). Skips (exit 0) when the engine or the reference is missing.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { referenceScript } from "./reference.js";
import { createNetwork, forwardFlops, getNumThreads, setNumThreads } from "../src/model/engine.js";
import { PRESETS, TAPS } from "../src/model/presets.js";

const N = Number(process.env.BENCH_N ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const THREADS = Number(process.env.ECG_TLC_THREADS ?? 2);

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function peakGflops(threads: number): number {
  const mhz = readFileSync("/proc/cpuinfo", "utf8").match(/cpu MHz\s*:\s*([\d.]+)/);
  return (threads * 32 * Number(mhz ? mhz[1] : 2500)) / 1000;
}

async function measure(fn: () => Promise<unknown>): Promise<{ wall: number[]; cpu: number[] }> {
  await fn(); // warm-up (allocations, oneDNN primitive caches)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < N; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall, cpu };
}

function line(name: string, seconds: number, flopsPerCall: number, n: number, note = ""): void {
  const ecgs = BATCH / seconds;
  const gflops = flopsPerCall / seconds / 1e9;
  console.log(
    `${name}: ${ecgs.toFixed(1)} ECGs/s, ${gflops.toFixed(1)} GFLOP/s (median of ${n})${note}`,
  );
}

async function main(): Promise<void> {
  let net;
  try {
    setNumThreads(THREADS);
    const shape = { ...PRESETS.ptbxl100.network, outputs: 5 };
    net = createNetwork({ ...shape, seed: 0, lr: 1e-3, weightDecay: 0 });
  } catch (err) {
    console.log(`model: skipped (${(err as Error).message})`);
    return;
  }
  const shape = { ...PRESETS.ptbxl100.network, outputs: 5 };
  const fwdFlops = forwardFlops(shape) * BATCH;
  const trainFlops = 3 * fwdFlops; // backward ~ 2x forward (input and weight gradients)
  const x = new Float32Array(BATCH * 12 * 1024).map((_, i) => Math.sin(i * 0.37));
  const y = new Float32Array(BATCH * 5).map((_, i) => (i % 3 === 0 ? 1 : 0));
  const peak = peakGflops(getNumThreads());
  console.log(
    `model: ptbxl100 network, batch ${BATCH}, ${getNumThreads()} threads, ${(forwardFlops(shape) / 1e9).toFixed(2)} GFLOP per ECG forward; nominal peak ~${peak.toFixed(0)} GFLOP/s (cpu MHz of /proc/cpuinfo x 32 FLOP/cycle x threads; turbo runs above it)`,
  );
  const f = await measure(() => net.forward(x, BATCH, [...TAPS]));
  const t = await measure(() => net.trainStep(x, BATCH, y, "bce"));
  const ours = { f: median(f.wall), fc: median(f.cpu), t: median(t.wall), tc: median(t.cpu) };
  line(
    "model forward+taps (ecg-tlc, wall)",
    ours.f,
    fwdFlops,
    N,
    `, ${((100 * fwdFlops) / ours.f / 1e9 / peak).toFixed(0)}% of nominal peak`,
  );
  line("model forward+taps (ecg-tlc, cpu/threads)", ours.fc / THREADS, fwdFlops, N);
  line(
    "model train step (ecg-tlc, wall)",
    ours.t,
    trainFlops,
    N,
    `, ${((100 * trainFlops) / ours.t / 1e9 / peak).toFixed(0)}% of nominal peak`,
  );
  line("model train step (ecg-tlc, cpu/threads)", ours.tc / THREADS, trainFlops, N);

  const script = referenceScript("model_torch.py");
  const py = spawnSync("/usr/bin/python3", [script, String(THREADS), String(BATCH), String(N)], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: String(THREADS) },
  });
  if (py.status !== 0) {
    console.log(
      `model reference: skipped (PyTorch reference failed: ${(py.stderr || py.error?.message || "").trim().split("\n").pop()})`,
    );
    return;
  }
  const ref = JSON.parse(py.stdout.trim().split("\n").pop()!) as Record<string, number[]> & {
    torch: string;
  };
  const r = {
    f: median(ref.forward),
    fc: median(ref.forwardCpu),
    t: median(ref.train),
    tc: median(ref.trainCpu),
  };
  line(`model forward+taps (torch ${ref.torch}, wall)`, r.f, fwdFlops, N);
  line(`model forward+taps (torch ${ref.torch}, cpu/threads)`, r.fc / THREADS, fwdFlops, N);
  line(`model train step (torch ${ref.torch}, wall)`, r.t, trainFlops, N);
  line(`model train step (torch ${ref.torch}, cpu/threads)`, r.tc / THREADS, trainFlops, N);
  console.log(
    `model forward ratio (ecg-tlc/torch throughput): ${(r.f / ours.f).toFixed(2)} wall, ${(r.fc / ours.fc).toFixed(2)} cpu`,
  );
  console.log(
    `model train ratio (ecg-tlc/torch throughput): ${(r.t / ours.t).toFixed(2)} wall, ${(r.tc / ours.tc).toFixed(2)} cpu`,
  );
}

await main();
