/**
 * The model face: what every consumer (TLC, evaluation, figures, the explorer) needs of a network,
 * whatever runs it. The libtorch backend (libtorch/model.ts) implements it; other backends
 * implement the same members.
 */
import { EcgFormatError, ModelMismatchError, ParameterError } from "../errors.js";
import type { PreparedSignal } from "../signal/preprocess.js";
import type { EcgRecord } from "../types.js";
import type { ModelConfig } from "./presets.js";

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

/** A network an explainer can be bound to; units and conventions in docs/CONTRACTS.md. */
export interface ModelFace {
  /** Where the model was loaded from (named in errors). */
  dir: string;
  config: ModelConfig;
  /** Ties explainers to exactly these weights and this preprocessing. */
  fingerprint: string;
  /** The model's own preprocessing, replayed on any record. */
  prepare(record: EcgRecord): PreparedSignal;
  /** Outputs and the activations at `taps` of `batch` prepared ECGs (batch x leads x length). */
  forward(input: Float32Array, batch: number, opts?: { taps?: string[] }): Promise<ForwardResult>;
  /** Grad-CAM of output `target` at `tap` for ONE prepared ECG: one value >= 0 per tap step. */
  gradcam(input: Float32Array, tap: string, target: number): Promise<Float32Array>;
  dispose(): void;
}

/** Largest batch sent to an engine at once: bounds peak memory whatever the caller passes. */
export const MAX_BATCH = 64;

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

/** Refuses an input that is not `batch` prepared ECGs of `leads` x `length` finite values. */
export function checkModelInput(
  input: Float32Array,
  batch: number,
  leads: number,
  length: number,
): void {
  if (!(input instanceof Float32Array))
    throw new ParameterError("input", "model input must be a Float32Array");
  if (!Number.isInteger(batch) || batch < 1 || input.length !== batch * leads * length) {
    throw new ModelMismatchError(
      `model input has ${input.length} values, expected ${batch} x ${leads} leads x ${length} samples`,
    );
  }
  assertFiniteInput(input);
}

/** Refuses a Grad-CAM target that is not one of the model's `outputs` indices. */
export function checkTargetIndex(target: number, outputs: number): void {
  if (!Number.isInteger(target) || target < 0 || target >= outputs) {
    throw new ParameterError(
      "target",
      `gradcam target ${target} is not an output index (0..${outputs - 1})`,
    );
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
