/**
 * ONNX Runtime (onnxruntime-node, CPU) sessions: loaded on first use, with the native engine's
 * thread count, over a model whose chosen intermediate values are added to the graph's outputs.
 */
import { availableParallelism } from "node:os";
import type * as Ort from "onnxruntime-node";
import { EcgFormatError, MissingDependencyError } from "../../errors.js";
import { ModelProtoType } from "./schema.js";

export type OrtModule = typeof Ort;
export type OrtSession = Ort.InferenceSession;
export type OrtTensor = Ort.Tensor;

let ort: OrtModule | null = null;

export async function loadOrt(): Promise<OrtModule> {
  if (ort) return ort;
  try {
    ort = (await import("onnxruntime-node")) as OrtModule;
  } catch (err) {
    throw new MissingDependencyError(
      `cannot load onnxruntime-node (${(err as Error).message.split("\n")[0]}): install it with 'ONNXRUNTIME_NODE_INSTALL=skip npm ci'`,
    );
  }
  return ort;
}

/** Threads per session: ECG_TLC_THREADS, else every core (as the native engine). */
export function ortThreads(): number {
  const env = Number(process.env.ECG_TLC_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

let threadOverride: number | null = null;
/** Sets the thread count of sessions created from now on (the native engine's setNumThreads). */
export function setOrtThreads(n: number): void {
  threadOverride = n;
}

/**
 * The model's bytes with `values` appended to its graph outputs. A serialised ModelProto that
 * holds only graph.output entries, appended to a model, merges into it (protobuf's rule for
 * repeated fields of a nested message), so the original bytes are used as they are.
 */
export function withOutputs(bytes: Uint8Array, values: string[]): Uint8Array {
  if (!values.length) return bytes;
  const extra = ModelProtoType.encode(
    ModelProtoType.fromObject({ graph: { output: values.map((name) => ({ name })) } }),
  ).finish();
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes, 0);
  out.set(extra, bytes.length);
  return out;
}

export async function createSession(path: string, bytes: Uint8Array): Promise<OrtSession> {
  const o = await loadOrt();
  try {
    return await o.InferenceSession.create(bytes, {
      intraOpNumThreads: threadOverride ?? ortThreads(),
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionProviders: ["cpu"],
      // Idle pool threads sleep instead of spinning: spinning threads take the cores from the
      // rest of the process (and from other processes) between runs; measured in bench/import.ts.
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
  } catch (err) {
    const msg = (err as Error).message.replace(/\s+/g, " ").trim();
    throw new EcgFormatError(path, `ONNX Runtime cannot load it (${msg.slice(0, 300)})`);
  }
}
