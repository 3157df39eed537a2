/**
 * A network file opened for inspection and import, whatever its format: its declared inputs and
 * outputs, the module paths a tap may name, and test runs. ONNX (onnx/probe.ts) and TorchScript
 * (torchscript/probe.ts) provide it; probe.ts opens the right one.
 */
import type { ImportedBackend } from "./imported.js";

export interface TensorInfo {
  name: string;
  /** Sizes, or the names of symbolic (dynamic) dimensions; empty when the format records none. */
  shape: (number | string)[];
}

export interface ProbeRun {
  output: Float32Array;
  outputDims: number[];
  taps: Record<string, { data: Float32Array; dims: number[] }>;
}

export interface NetworkProbe {
  backend: ImportedBackend;
  path: string;
  bytes: Uint8Array;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Module paths (in graph order) whose output a tap can read. */
  modules: string[];
  /** The value a tap name reads (a module path, or an ONNX value name), or null. */
  resolveTap(name: string): string | null;
  /** Runs inputs in the network's own layout (`dims` per input) and reads `taps` (resolved). */
  /** `heads`: prepare the Grad-CAM heads too; `lenient`: leave out taps that cannot be read. */
  run(
    x: Float32Array,
    dims: number[],
    taps: string[],
    opts?: { heads?: boolean; lenient?: boolean },
  ): Promise<ProbeRun>;
  dispose?(): void;
}
