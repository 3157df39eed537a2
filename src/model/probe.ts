/** Opens a network file with the probe of its format (network-probe.ts). */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { EcgFormatError, NotFoundError } from "../errors.js";
import type { ImportedBackend } from "./imported.js";
import type { NetworkProbe } from "./network-probe.js";

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
