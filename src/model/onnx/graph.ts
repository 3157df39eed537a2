/**
 * Reading an ONNX file: decoding (src/model/onnx/schema.ts), its inputs and outputs, and the
 * module paths exporters record in node names (PyTorch `/layer4/layer4.0/relu_1/Relu`, tf2onnx
 * `model/conv1d/Conv1D`) or node metadata (`pkg.torch.onnx.name_scopes`), which let a user name a
 * tap by module (`layer4`) instead of by graph value.
 */
import { readFileSync, statSync } from "node:fs";
import { EcgFormatError, NotFoundError } from "../../errors.js";
import type { TensorInfo } from "../network-probe.js";
import {
  ModelProtoType,
  int64,
  type OnnxGraph,
  type OnnxModelProto,
  type ValueInfo,
} from "./schema.js";

export interface OnnxFile {
  path: string;
  bytes: Uint8Array;
  model: OnnxModelProto;
  graph: OnnxGraph;
}

/** One line naming the file and what is wrong, whatever protobufjs said. */
function notAModel(path: string, why: string): never {
  throw new EcgFormatError(path, `not a readable ONNX model (${why})`);
}

export function decodeOnnx(path: string, bytes: Uint8Array): OnnxFile {
  let model: OnnxModelProto;
  try {
    model = ModelProtoType.toObject(ModelProtoType.decode(bytes), {
      arrays: true,
      defaults: false,
    }) as OnnxModelProto;
  } catch (err) {
    const msg = (err as Error).message.split("\n")[0];
    notAModel(path, /index out of range|premature/i.test(msg) ? `truncated: ${msg}` : msg);
  }
  const graph = model.graph;
  if (!graph || !graph.node?.length || !graph.output?.length) notAModel(path, "no graph");
  if (!model.opsetImport?.length) notAModel(path, "no operator set");
  if (graph.initializer?.some((t) => t.dataLocation === 1)) {
    throw new EcgFormatError(
      path,
      "its weights are in external data files, which import does not read; save the model with its weights inside",
    );
  }
  for (const key of ["input", "output", "initializer", "valueInfo"] as const) graph[key] ??= [];
  return { path, bytes, model, graph };
}

export function readOnnxFile(path: string): OnnxFile {
  let bytes: Buffer;
  try {
    if (!statSync(path).isFile()) throw new Error("not a file");
    bytes = readFileSync(path);
  } catch {
    throw new NotFoundError(`${path}: model file not found`);
  }
  return decodeOnnx(path, bytes);
}

function shapeOf(v: ValueInfo): TensorInfo["shape"] {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) =>
    d.dimValue !== undefined && int64(d.dimValue) > 0 ? int64(d.dimValue) : (d.dimParam ?? "?"),
  );
}

/** The graph's real inputs (initializers listed as inputs by old exporters are not inputs). */
export function graphInputs(file: OnnxFile): TensorInfo[] {
  const init = new Set(file.graph.initializer.map((t) => t.name));
  return file.graph.input
    .filter((v) => !init.has(v.name))
    .map((v) => ({ name: v.name, shape: shapeOf(v) }));
}

export function graphOutputs(file: OnnxFile): TensorInfo[] {
  return file.graph.output.map((v) => ({ name: v.name, shape: shapeOf(v) }));
}

/** Module path of a node, from its scope metadata or its name; "" when it records none. */
function modulePath(node: OnnxGraph["node"][number]): string[] {
  const meta = node.metadataProps?.find((m) => m.key === "pkg.torch.onnx.name_scopes");
  let parts: string[];
  if (meta) {
    parts = [...meta.value.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
  } else {
    // PyTorch: /layer4/layer4.0/relu_1/Relu; tf2onnx (Keras): model/conv1d_3/Conv1D. The last
    // part names the operator.
    parts = (node.name ?? "").split("/").slice(0, -1);
  }
  // Scopes are relative (`conv1`), prefixed by their parent's own name (`layer4.0` inside
  // `layer4`, `downsample.0` inside `downsample`), or already dotted from the root.
  let path = "";
  for (const p of parts.filter(Boolean)) {
    const last = path.slice(path.lastIndexOf(".") + 1);
    if (!path || p.startsWith(path + ".")) path = p;
    else if (p.startsWith(last + ".")) path = `${path}.${p.slice(last.length + 1)}`;
    else path = `${path}.${p}`;
  }
  return path ? path.split(".") : [];
}

/**
 * Module paths whose nodes hand exactly one value to the rest of the graph: the module's output,
 * which a tap can read. In graph order, as { module path: value name }.
 */
export function moduleOutputs(file: OnnxFile): Map<string, string> {
  const nodes = file.graph.node;
  const paths = nodes.map((n) => modulePath(n).join("."));
  const inScope = (i: number, m: string) => paths[i] === m || paths[i].startsWith(m + ".");
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) =>
    n.input.forEach((v) => consumers.set(v, [...(consumers.get(v) ?? []), i])),
  );
  const graphOuts = new Set(file.graph.output.map((o) => o.name));
  const modules: string[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const parts = p ? p.split(".") : [];
    for (let k = 1; k <= parts.length; k++) {
      const m = parts.slice(0, k).join(".");
      if (!seen.has(m)) {
        seen.add(m);
        modules.push(m);
      }
    }
  }
  const result = new Map<string, string>();
  for (const m of modules) {
    const leaving = new Set<string>();
    nodes.forEach((n, i) => {
      if (!inScope(i, m)) return;
      for (const v of n.output) {
        const used = consumers.get(v) ?? [];
        if (graphOuts.has(v) || used.some((j) => !inScope(j, m))) leaving.add(v);
      }
    });
    if (leaving.size === 1) result.set(m, [...leaving][0]);
  }
  return result;
}

/** Every value a node produces (what a tap may name directly). */
export function nodeOutputs(file: OnnxFile): Set<string> {
  return new Set(file.graph.node.flatMap((n) => n.output));
}
