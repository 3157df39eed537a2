/**
 * A trained model loaded from its folder: replays its preprocessing on any record, runs the network
 * with its taps, and takes Grad-CAM maps (docs/CONTRACTS.md, "model").
 */
import { EcgFormatError, ModelMismatchError, UsageError } from "../errors.js";
import { preprocess, type PreparedSignal } from "../signal/preprocess.js";
import type { EcgRecord } from "../types.js";
import { createNetwork, type NativeNetwork } from "./engine.js";
import { modelFingerprint, readModelFolder } from "./folder.js";
import type { ModelConfig } from "./presets.js";
import { checkWindow } from "../signal/window.js";

export interface TapOutput {
  channels: number;
  steps: number;
  /** batch x channels x steps. */
  data: Float32Array;
}

export interface ForwardResult {
  /** batch x classes: probabilities after the sigmoid, or age in years. */
  outputs: Float32Array;
  taps: Record<string, TapOutput>;
}

/** Largest batch sent to the engine at once: bounds peak memory whatever the caller passes. */
export const MAX_BATCH = 64;

export interface Model {
  dir: string;
  config: ModelConfig;
  fingerprint: string;
  prepare(record: EcgRecord): PreparedSignal;
  forward(input: Float32Array, batch: number, opts?: { taps?: string[] }): Promise<ForwardResult>;
  gradcam(input: Float32Array, tap: string, target: number): Promise<Float32Array>;
  dispose(): void;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Refuses NaN and infinities before they reach the network (they would silently poison outputs). */
export function assertFiniteInput(input: Float32Array, what = "input"): void {
  for (let i = 0; i < input.length; i++) {
    if (!Number.isFinite(input[i])) {
      throw new EcgFormatError(
        what,
        `${input[i]} at value ${i}: the network accepts finite values only`,
      );
    }
  }
}

/** Turns the network's raw outputs into probabilities (sigmoid) or years (undo standardisation). */
export function rawToOutputs(raw: Float32Array, config: ModelConfig): Float32Array {
  const out = new Float32Array(raw.length);
  if (config.task === "age") {
    const { mean, std } = config.target ?? { mean: 0, std: 1 };
    for (let i = 0; i < raw.length; i++) out[i] = raw[i] * std + mean;
  } else {
    for (let i = 0; i < raw.length; i++) out[i] = sigmoid(raw[i]);
  }
  return out;
}

export class LoadedModel implements Model {
  readonly fingerprint: string;
  private net: NativeNetwork | null;
  private readonly perEcg: number;

  constructor(
    readonly dir: string,
    readonly config: ModelConfig,
    net: NativeNetwork,
  ) {
    this.net = net;
    this.fingerprint = modelFingerprint(config);
    this.perEcg = config.network.leads * config.network.length;
  }

  prepare(record: EcgRecord): PreparedSignal {
    return preprocess(record, this.config.preprocessing);
  }

  private engine(): NativeNetwork {
    if (!this.net) throw new ModelMismatchError(`${this.dir}: model was disposed`);
    return this.net;
  }

  private checkInput(input: Float32Array, batch: number): void {
    if (!(input instanceof Float32Array))
      throw new UsageError("model input must be a Float32Array");
    if (!Number.isInteger(batch) || batch < 1 || input.length !== batch * this.perEcg) {
      const { leads, length } = this.config.network;
      throw new ModelMismatchError(
        `model input has ${input.length} values, expected ${batch} x ${leads} leads x ${length} samples`,
      );
    }
    assertFiniteInput(input);
  }

  private checkTaps(taps: string[]): void {
    for (const t of taps) {
      if (!this.config.taps.includes(t)) {
        throw new UsageError(`unknown tap '${t}' (taps are ${this.config.taps.join(", ")})`);
      }
    }
  }

  async forward(
    input: Float32Array,
    batch: number,
    opts: { taps?: string[] } = {},
  ): Promise<ForwardResult> {
    this.checkInput(input, batch);
    const names = opts.taps ?? [];
    this.checkTaps(names);
    const net = this.engine();
    const shapes = net.tapShapes();
    const k = this.config.classes.length;
    const outputs = new Float32Array(batch * k);
    const taps: Record<string, TapOutput> = {};
    const chunks = batch > MAX_BATCH;
    for (const t of names) {
      const { channels, steps } = shapes[t];
      taps[t] = {
        channels,
        steps,
        data: chunks ? new Float32Array(batch * channels * steps) : new Float32Array(0),
      };
    }
    for (let b = 0; b < batch; b += MAX_BATCH) {
      const m = Math.min(MAX_BATCH, batch - b);
      const r = await net.forward(input.subarray(b * this.perEcg, (b + m) * this.perEcg), m, names);
      outputs.set(rawToOutputs(r.outputs, this.config), b * k);
      for (const t of names) {
        if (chunks) taps[t].data.set(r.taps[t], b * taps[t].channels * taps[t].steps);
        else taps[t].data = r.taps[t]; // one chunk: hand over the engine's buffer, no copy
      }
    }
    return { outputs, taps };
  }

  /** Grad-CAM of output `target` at `tap` for ONE prepared ECG: one value >= 0 per tap step. */
  async gradcam(input: Float32Array, tap: string, target: number): Promise<Float32Array> {
    this.checkInput(input, 1);
    this.checkTaps([tap]);
    if (!Number.isInteger(target) || target < 0 || target >= this.config.classes.length) {
      throw new UsageError(
        `gradcam target ${target} is not an output index (0..${this.config.classes.length - 1})`,
      );
    }
    return this.engine().gradcam(input, 1, tap, target);
  }

  dispose(): void {
    // The addon frees the network when the wrapper is collected; dropping it makes reuse an error.
    this.net = null;
  }
}

/** Loads a model folder; errors name the folder and what is wrong (missing, corrupt, foreign). */
export async function loadModel(dir: string): Promise<Model> {
  const { config, weights } = readModelFolder(dir);
  if (config.backend === "onnx")
    return (await import("./onnx/model.js")).loadOnnxModel(dir, config, weights);
  if (config.backend === "torchscript") {
    return (await import("./torchscript/model.js")).loadTorchScriptModel(dir, config, weights);
  }
  const net = createNetwork({ ...config.network, seed: 0, lr: 0, weightDecay: 0 });
  try {
    await net.load(weights);
  } catch (err) {
    throw new ModelMismatchError(
      `${weights}: cannot load weights (${(err as Error).message.split("\n")[0]})`,
    );
  }
  return new LoadedModel(dir, config, net);
}

/** Maps a per-step map of a tap (T steps over the prepared signal) back to the record's samples. */
export function tapToSamples(values: ArrayLike<number>, prepared: PreparedSignal): Float32Array {
  const out = new Float32Array(prepared.sourceSamples);
  const steps = values.length;
  const scale = prepared.fs / prepared.sourceFs;
  for (let s = 0; s < out.length; s++) {
    const i = s * scale + prepared.offset; // prepared index of source sample s
    const t = Math.min(steps - 1, Math.max(0, Math.floor((i * steps) / prepared.length)));
    out[s] = values[t];
  }
  return out;
}

/** Output index of a class name (case-insensitive) or a numeric index given as a string. */
export function targetIndex(config: ModelConfig, target: string | number): number {
  if (typeof target === "number" || /^\d+$/.test(target)) {
    const i = Number(target);
    if (i < config.classes.length) return i;
  } else {
    const i = config.classes.findIndex((c) => c.toLowerCase() === target.toLowerCase());
    if (i >= 0) return i;
  }
  throw new UsageError(
    `--target: '${target}' is not an output of this model (${config.classes.join(", ")})`,
  );
}

/** `tap` if the model has it; otherwise a one-line UsageError naming `flag` and the model's taps. */
export function checkTap(config: ModelConfig, tap: string, flag = "--gradcam-tap"): string {
  if (config.taps.includes(tap)) return tap;
  throw new UsageError(`${flag}: the model has no tap '${tap}' (it has ${config.taps.join(", ")})`);
}

/** Grad-CAM of `target` at `tap` for a record: per tap step, and per source sample of the record. */
export async function gradcamRecord(
  model: Model,
  record: EcgRecord,
  tap: string,
  target: string | number,
): Promise<{ tap: string; target: string; steps: Float32Array; samples: Float32Array }> {
  const t = targetIndex(model.config, target);
  checkWindow(record, model.config.preprocessing); // no map for samples the network did not see
  const prepared = model.prepare(record);
  const steps = await model.gradcam(prepared.signal, tap, t);
  return { tap, target: model.config.classes[t], steps, samples: tapToSamples(steps, prepared) };
}
