/**
 * Network engine benchmark beside PyTorch (bench/reference/model_torch.py), same network (ptbxl100
 * preset), input, batch, optimiser (AdamW with TRAIN_DEFAULTS' lr and weight decay), thread count
 * and run: forward with every tap kept, one training step, and Grad-CAM for one ECG and class.
 * The reference inherits this process's environment, so both sides run libgomp with the same wait
 * policy (the engine's bounded GOMP_SPINCOUNT unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set):
 * PyTorch's default of spinning 300,000 times per wait costs it 2-3x on a loaded machine.
 * The reference runs as a child process that serves one call per request, so the two sides
 * alternate call by call (ABBA order) and share whatever load the machine carries. Prints both
 * sides' configuration, then per call kind the median over N interleaved pairs of ECGs/s (wall, and
 * CPU time of all threads / threads, which a shared machine disturbs less), GFLOP/s, minor page
 * faults per call, and the ratios (ratio of the medians; median of the pairwise ratios beside it).
 *
 * usage: node dist/bench/model.js   (BENCH_N pairs, default 5; BENCH_BATCH, default 32;
 * ECG_TLC_THREADS, default 2). Needs python3-torch for the reference; skips (exit 0) when the
 * engine or the reference is missing.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import { referenceScript, pythonWith } from "./reference.js";
import {
  createNetwork,
  engineConfig,
  forwardFlops,
  getNumThreads,
  setNumThreads,
  type NativeNetwork,
} from "../src/model/engine.js";
import { PRESETS, TAPS } from "../src/model/presets.js";
import { TRAIN_DEFAULTS } from "../src/model/train.js";

const N = Number(process.env.BENCH_N ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const THREADS = Number(process.env.ECG_TLC_THREADS ?? 2);
const GRADCAM_TAP = "B4";

interface Sample {
  wall: number;
  cpu: number;
  faults: number;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function peakGflops(threads: number): number {
  const mhz = readFileSync("/proc/cpuinfo", "utf8").match(/cpu MHz\s*:\s*([\d.]+)/);
  return (threads * 32 * Number(mhz ? mhz[1] : 2500)) / 1000;
}

async function timeOurs(fn: () => Promise<unknown>): Promise<Sample> {
  const f0 = process.resourceUsage().minorPageFault;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return {
    wall,
    cpu: (c.user + c.system) / 1e6,
    faults: process.resourceUsage().minorPageFault - f0,
  };
}

/** The PyTorch reference as a child process answering one call per request line. */
class Reference {
  private readonly lines: AsyncIterator<string>;
  private constructor(private readonly proc: ReturnType<typeof spawn>) {
    this.lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  }

  static async start(python: string): Promise<{ ref: Reference; config: Record<string, unknown> }> {
    const proc = spawn(
      python,
      [referenceScript("model_torch.py"), String(THREADS), String(BATCH)],
      {
        env: { ...process.env, OMP_NUM_THREADS: String(THREADS) },
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    const ref = new Reference(proc);
    return { ref, config: JSON.parse(await ref.next()) as Record<string, unknown> };
  }

  private async next(): Promise<string> {
    const r = await this.lines.next();
    if (r.done) throw new Error("the PyTorch reference exited early");
    return r.value;
  }

  async call(name: string): Promise<Sample> {
    this.proc.stdin!.write(`${name}\n`);
    return JSON.parse(await this.next()) as Sample;
  }

  stop(): void {
    this.proc.stdin!.end("quit\n");
  }
}

/** N interleaved pairs (ABBA) after one warm-up call each (allocations, oneDNN primitive caches). */
async function pairs(
  ours: () => Promise<unknown>,
  ref: Reference,
  name: string,
): Promise<{ ours: Sample[]; torch: Sample[] }> {
  await ours();
  await ref.call(name);
  const a: Sample[] = [];
  const b: Sample[] = [];
  for (let i = 0; i < N; i++) {
    if (i % 2 === 0) {
      a.push(await timeOurs(ours));
      b.push(await ref.call(name));
    } else {
      b.push(await ref.call(name));
      a.push(await timeOurs(ours));
    }
  }
  return { ours: a, torch: b };
}

function report(
  name: string,
  ecgs: number,
  flops: number,
  r: { ours: Sample[]; torch: Sample[] },
): void {
  const side = (s: Sample[], who: string): { wall: number; cpu: number } => {
    const wall = median(s.map((x) => x.wall));
    const cpu = median(s.map((x) => x.cpu)) / THREADS;
    const faults = median(s.map((x) => x.faults));
    console.log(
      `${name} (${who}): ${(ecgs / wall).toFixed(1)} ECGs/s wall (${(flops / wall / 1e9).toFixed(0)} GFLOP/s, ${(wall * 1000).toFixed(1)} ms/call), ${(ecgs / cpu).toFixed(1)} ECGs/s cpu/threads; ${faults.toFixed(0)} page faults/call (median of ${s.length})`,
    );
    return { wall, cpu };
  };
  const o = side(r.ours, "ecg-tlc");
  const t = side(r.torch, "torch");
  const paired = (k: "wall" | "cpu"): number => median(r.ours.map((x, i) => r.torch[i][k] / x[k]));
  console.log(
    `${name} ratio (ecg-tlc/torch throughput): ${(t.wall / o.wall).toFixed(2)} wall, ${(t.cpu / o.cpu).toFixed(2)} cpu (pairwise medians ${paired("wall").toFixed(2)}, ${paired("cpu").toFixed(2)})`,
  );
}

async function main(): Promise<void> {
  const shape = { ...PRESETS.ptbxl100.network, outputs: 5 };
  let net: NativeNetwork;
  try {
    setNumThreads(THREADS);
    net = createNetwork({
      ...shape,
      seed: 0,
      lr: TRAIN_DEFAULTS.lr,
      weightDecay: TRAIN_DEFAULTS.weightDecay,
    });
  } catch (err) {
    console.log(`model: skipped (${(err as Error).message})`);
    return;
  }
  const python = pythonWith("torch", "numpy");
  if (!python) {
    console.log("model: skipped (no python3 with torch: apt-get install python3-torch)");
    return;
  }
  const { ref, config } = await Reference.start(python);
  try {
    const fwdFlops = forwardFlops(shape) * BATCH;
    const x = new Float32Array(BATCH * 12 * 1024).map((_, i) => Math.sin(i * 0.37));
    const y = new Float32Array(BATCH * 5).map((_, i) => (i % 3 === 0 ? 1 : 0));
    const one = x.subarray(0, 12 * 1024);
    console.log(
      `model: ptbxl100 network, batch ${BATCH}, ${getNumThreads()} threads, ${(forwardFlops(shape) / 1e9).toFixed(2)} GFLOP per ECG forward; nominal peak ~${peakGflops(THREADS).toFixed(0)} GFLOP/s (cpu MHz of /proc/cpuinfo x 32 FLOP/cycle x threads; turbo runs above it)`,
    );
    console.log(`model config (ecg-tlc): ${JSON.stringify(await engineConfig())}`);
    console.log(`model config (torch): ${JSON.stringify(config)}`);

    const f = await pairs(() => net.forward(x, BATCH, [...TAPS]), ref, "forward");
    report("model forward+taps", BATCH, fwdFlops, f);
    // backward ~ 2x forward (input and weight gradients)
    const t = await pairs(() => net.trainStep(x, BATCH, y, "bce"), ref, "train");
    report("model train step", BATCH, 3 * fwdFlops, t);
    const g = await pairs(() => net.gradcam(one, 1, GRADCAM_TAP, 0), ref, "gradcam");
    report(`model Grad-CAM (1 ECG, ${GRADCAM_TAP}, class 0)`, 1, 3 * forwardFlops(shape), g);
  } finally {
    ref.stop();
  }
}

await main();
