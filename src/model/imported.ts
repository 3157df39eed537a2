/**
 * What a model folder records about a network trained elsewhere (ONNX or TorchScript): the file,
 * how its input is laid out, what its outputs are, and where its taps are. Shared by the ONNX and
 * TorchScript backends, which both implement the same Model face as the native engine.
 */
import { ModelMismatchError, UsageError } from "../errors.js";

export type ModelBackend = "native" | "onnx" | "torchscript";
export type ImportedBackend = Exclude<ModelBackend, "native">;

/** Channels first (batch x leads x samples, PyTorch) or channels last (batch x samples x leads). */
export type Layout = "nct" | "ntc";
export const LAYOUTS: Layout[] = ["nct", "ntc"];

/**
 * What the network returns: logits (multi-label; a sigmoid gives probabilities), sigmoid (already
 * probabilities), softmax (single-label scores; a softmax over classes gives probabilities, unless
 * the graph applies it already), regression (values used as they are).
 */
export type OutputKind = "logits" | "sigmoid" | "softmax" | "regression";
export const OUTPUT_KINDS: OutputKind[] = ["logits", "sigmoid", "softmax", "regression"];

/** What turns the network's raw outputs into what `forward` returns. */
export type Activation = "sigmoid" | "softmax" | "none";

export interface ImportedTap {
  /** ONNX: the graph value read; TorchScript: the submodule path. */
  value: string;
  channels: number;
  steps: number;
  /** Layout of the tap's value (forward always hands taps over as batch x channels x steps). */
  layout: Layout;
}

export interface ImportedNetwork {
  backend: ImportedBackend;
  /** The network file inside the model folder. */
  file: string;
  /** Where it was imported from (for people; never read back). */
  source: string;
  /** ONNX input and output value names ("" for TorchScript's forward). */
  input: string;
  output: string;
  layout: Layout;
  outputs: OutputKind;
  activation: Activation;
  /** Tap name (module path, as the user chose it) -> where it is read. */
  taps: Record<string, ImportedTap>;
}

/** Applies the activation to raw outputs (batch x k). */
export function activate(raw: Float32Array, k: number, activation: Activation): Float32Array {
  const out = new Float32Array(raw.length);
  if (activation === "sigmoid") {
    for (let i = 0; i < raw.length; i++) out[i] = 1 / (1 + Math.exp(-raw[i]));
  } else if (activation === "softmax") {
    for (let r = 0; r < raw.length; r += k) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, raw[r + c]);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += out[r + c] = Math.exp(raw[r + c] - max);
      for (let c = 0; c < k; c++) out[r + c] /= sum;
    }
  } else out.set(raw);
  return out;
}

/** batch x a x b -> batch x b x a (channels last <-> channels first). */
export function swapLastAxes(x: Float32Array, batch: number, a: number, b: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let n = 0; n < batch; n++) {
    const o = n * a * b;
    for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[o + j * a + i] = x[o + i * b + j];
  }
  return out;
}

/** Does a tap of `steps` time steps cover an input of `length` samples (exactly or padded 2^k)? */
export function stepsFit(steps: number, length: number): boolean {
  if (steps < 1 || steps > length) return false;
  if (length % steps === 0) return true;
  for (let r = 2; r <= length; r *= 2) if (Math.ceil(length / r) === steps) return true;
  return false;
}

/**
 * Reads a tap's shape (batch x ? x ?) as channels and steps: the time axis is the one whose size
 * covers the input length, the last one when both do (PyTorch's convolutions are channels first).
 */
export function tapShape(
  where: string,
  tap: string,
  shape: readonly number[],
  length: number,
): { channels: number; steps: number; layout: Layout } {
  if (shape.length !== 3) {
    throw new ModelMismatchError(
      `${where}: tap '${tap}' has shape [${shape.join(", ")}], not batch x channels x time`,
    );
  }
  const [, a, b] = shape;
  if (stepsFit(b, length)) return { channels: a, steps: b, layout: "nct" };
  if (stepsFit(a, length)) return { channels: b, steps: a, layout: "ntc" };
  throw new ModelMismatchError(
    `${where}: tap '${tap}' has shape [${shape.join(", ")}]: no time axis divides the input length ${length}`,
  );
}

export function checkTapNames(net: ImportedNetwork, taps: string[]): void {
  const known = Object.keys(net.taps);
  for (const t of taps) {
    if (!(t in net.taps)) throw new UsageError(`unknown tap '${t}' (taps are ${known.join(", ")})`);
  }
}
