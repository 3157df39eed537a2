/**
 * A network file opened for inspection and import, whatever its format: its declared inputs and
 * outputs, the module paths a tap may name, and test runs. ONNX (onnx/probe.ts) and TorchScript
 * (torchscript/probe.ts) provide it; inspect-model and import-model (import.ts) use only this.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { EcgFormatError, NotFoundError } from "../errors.js";
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

/** ONNX or TorchScript, by content: TorchScript files are zip archives. */
export function sniffBackend(path: string): ImportedBackend {
  const head = Buffer.alloc(4);
  let fd: number;
  try {
    if (!statSync(path).isFile()) throw new Error("not a file");
    fd = openSync(path, "r");
  } catch {
    throw new NotFoundError(`${path}: model file not found`);
  }
  try {
    if (readSync(fd, head, 0, 4, 0) < 4) {
      throw new EcgFormatError(path, "not a model file (empty or truncated)");
    }
  } finally {
    closeSync(fd);
  }
  return head[0] === 0x50 && head[1] === 0x4b ? "torchscript" : "onnx";
}

export async function openProbe(path: string): Promise<NetworkProbe> {
  if (sniffBackend(path) === "torchscript") {
    return (await import("./torchscript/probe.js")).probeTorchScript(path);
  }
  return (await import("./onnx/probe.js")).probeOnnx(path);
}
