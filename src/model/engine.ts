/**
 * The TypeScript face of the native libtorch engine (native/src/network.cc): its typings, and the
 * thread count. Everything heavy runs off the main thread and returns a Promise.
 */
import { availableParallelism } from "node:os";
import { loadNative } from "../native.js";

/** Shape of the 1D-ResNet (Ribeiro et al. 2020): stem channels first, then one per residual unit. */
export interface NetworkShape {
  leads: number;
  length: number;
  channels: number[];
  kernel: number;
  downsample: number;
  outputs: number;
  dropout: number;
  /**
   * "flatten" (Ribeiro et al., the default when absent): flatten -> linear, so every time step has
   * its own weights. "mean": mean over time -> linear, blind to where in the record a feature is.
   */
  head?: NetworkHead;
}

export type NetworkHead = "flatten" | "mean";

export interface NetworkOptions extends NetworkShape {
  /** Seeds libtorch's RNG before the weights are initialised (and so the dropout draws). */
  seed: number;
  /** Adam learning rate and decoupled weight decay (AdamW; 0 gives plain Adam). */
  lr: number;
  weightDecay: number;
}

export type LossName = "bce" | "mse" | "l1";

/** One network instance in the addon. Inputs are batch x leads x length, lead-major. */
export interface NativeNetwork {
  forward(
    input: Float32Array,
    batch: number,
    taps: string[],
  ): Promise<{ outputs: Float32Array; taps: Record<string, Float32Array> }>;
  trainStep(
    input: Float32Array,
    batch: number,
    target: Float32Array,
    loss: LossName,
    posWeight?: Float32Array | null,
  ): Promise<number>;
  gradcam(input: Float32Array, batch: number, tap: string, target: number): Promise<Float32Array>;
  /** The tap's activation and the gradient of output `target` w.r.t. it (batch x channels x steps). */
  tapGradient(
    input: Float32Array,
    batch: number,
    tap: string,
    target: number,
  ): Promise<{ activation: Float32Array; gradient: Float32Array }>;
  save(weightsPath: string, optimizerPath?: string): Promise<void>;
  load(weightsPath: string, optimizerPath?: string): Promise<void>;
  setLearningRate(lr: number): void;
  tapShapes(): Record<string, { channels: number; steps: number }>;
  parameterCount(): number;
}

/** What libtorch runs on, as seen from the thread that runs the engine's work. */
export interface EngineConfig {
  torch: string;
  /** at::get_num_threads(): the intra-op thread count. */
  threads: number;
  interopThreads: number;
  /** omp_get_max_threads() on the engine's thread (OpenMP's count is per thread). */
  ompThreads: number;
  /** oneDNN (MKL-DNN) compiled in and enabled. */
  mkldnn: boolean;
  /** The BLAS libraries mapped into the process. */
  blas: string[];
  /** OpenMP's wait policy as libgomp read it at load (null: its default). */
  ompWaitPolicy: string | null;
  gompSpincount: string | null;
  /** OpenBLAS's thread count as it read it at load (null: one per core). */
  openblasThreads: string | null;
}

interface NativeModule {
  Network: new (options: NetworkOptions) => NativeNetwork;
  engineConfig(): Promise<
    Omit<EngineConfig, "ompWaitPolicy" | "gompSpincount" | "openblasThreads">
  >;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  getRngState(): Uint8Array;
  setRngState(state: Uint8Array): void;
}

let threadsSet = false;

function native(): NativeModule {
  const m = loadNative<NativeModule>();
  // libtorch's OpenMP pool may start with one thread here; default to every core once.
  if (!threadsSet) {
    threadsSet = true;
    const env = Number(process.env.ECG_TLC_THREADS);
    m.setNumThreads(Number.isInteger(env) && env > 0 ? env : availableParallelism());
  }
  return m;
}

/** Creates a network with freshly initialised weights (deterministic for `seed`). */
export function createNetwork(options: NetworkOptions): NativeNetwork {
  return new (native().Network)(options);
}

/** Sets libtorch's intra-op thread count (default: ECG_TLC_THREADS, else every core). */
export function setNumThreads(n: number): void {
  native().setNumThreads(n);
}

/** libtorch's version, threads, oneDNN and BLAS, for benchmarks that print what they compare. */
export async function engineConfig(): Promise<EngineConfig> {
  const c = await native().engineConfig();
  return {
    ...c,
    ompWaitPolicy: process.env.OMP_WAIT_POLICY ?? null,
    gompSpincount: process.env.GOMP_SPINCOUNT ?? null,
    openblasThreads: process.env.OPENBLAS_NUM_THREADS ?? null,
  };
}

export function getNumThreads(): number {
  return native().getNumThreads();
}

/** Multiply-adds x 2 of one forward pass per ECG (convolutions and head), for GFLOP/s figures. */
export function forwardFlops(shape: NetworkShape): number {
  const { leads, length, channels, kernel, downsample, outputs } = shape;
  let flops = 2 * leads * channels[0] * kernel * length;
  let t = length;
  for (let i = 1; i < channels.length; i++) {
    const cin = channels[i - 1];
    const cout = channels[i];
    flops += 2 * cin * cout * kernel * t; // conv1 at the unit's input rate
    const pad = Math.max(0, Math.floor((kernel - downsample + 1) / 2));
    t = Math.floor((t + 2 * pad - kernel) / downsample) + 1;
    flops += 2 * cout * cout * kernel * t; // strided conv2
    if (cin !== cout) flops += 2 * cin * cout * t; // 1x1 skip
  }
  const headInputs = channels[channels.length - 1] * (shape.head === "mean" ? 1 : t);
  return flops + 2 * headInputs * outputs;
}

/**
 * libtorch's CPU random state (the draws of dropout): saved with a training checkpoint and restored
 * on resume, so that the resumed run makes the draws the uninterrupted run makes.
 */
export function getRngState(): Uint8Array {
  return native().getRngState();
}

export function setRngState(state: Uint8Array): void {
  native().setRngState(state);
}
