/**
 * The model face: what every consumer (TLC, evaluation, figures, the explorer) needs of a network,
 * whatever runs it. The libtorch backend (libtorch/model.ts) implements it; other backends
 * implement the same members.
 */
import { EcgFormatError } from "../errors.js";
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
