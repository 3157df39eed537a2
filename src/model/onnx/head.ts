/**
 * Gradients without a gradient engine: the graph is cut at a tap into a "head" that takes the
 * tap's value as input and returns the model output; the Grad-CAM weight of a channel (the
 * time-averaged gradient of one output w.r.t. the tap) is then the central difference of the head's
 * output when the whole channel moves by +-eps, divided by 2 eps and the tap's steps. 2C rows go
 * through the head only, in batches.
 */
import { ModelMismatchError } from "../../errors.js";
import type { OnnxFile } from "./graph.js";
import { ModelProtoType, type OnnxNode } from "./schema.js";

export interface HeadCut {
  /** Nodes from the tap to the output, in graph order. */
  nodes: OnnxNode[];
  /** Values the head needs besides the tap (a skip path around it, the graph input, ...). */
  extras: string[];
}

/** The nodes that compute `output` from `tap` (and whatever else they need that is not the tap). */
export function cutHead(file: OnnxFile, tap: string, output: string): HeadCut {
  const producer = new Map<string, number>();
  file.graph.node.forEach((n, i) => n.output.forEach((v) => producer.set(v, i)));
  const initializers = new Set(file.graph.initializer.map((t) => t.name));
  const keep = new Set<number>();
  const stack = [output];
  const seen = new Set<string>([tap]);
  let reachesTap = false;
  while (stack.length) {
    const v = stack.pop()!;
    if (v === tap) {
      reachesTap = true;
      continue;
    }
    if (seen.has(v)) continue;
    seen.add(v);
    const i = producer.get(v);
    if (i === undefined) continue;
    keep.add(i);
    for (const u of file.graph.node[i].input) if (u) stack.push(u);
  }
  if (!reachesTap && !keep.size) {
    throw new ModelMismatchError(`${file.path}: output '${output}' does not depend on '${tap}'`);
  }
  const nodes = file.graph.node.filter((_, i) => keep.has(i));
  const produced = new Set(nodes.flatMap((n) => n.output));
  const extras = new Set<string>();
  for (const n of nodes) {
    for (const u of n.input) {
      if (u && u !== tap && !produced.has(u) && !initializers.has(u)) extras.add(u);
    }
  }
  // A head whose output never sees the tap would give zero gradients silently.
  const dependsOnTap = nodes.some((n) => n.input.includes(tap));
  if (!dependsOnTap) {
    throw new ModelMismatchError(`${file.path}: output '${output}' does not depend on '${tap}'`);
  }
  return { nodes, extras: [...extras] };
}

/** ONNX element types of the tensors ONNX Runtime hands back. */
const ELEM_TYPES: Record<string, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

/** A standalone model: the head's nodes, the tap and extras as inputs (batch dimension free). */
export function headModel(
  file: OnnxFile,
  cut: HeadCut,
  tap: string,
  output: string,
  inputs: { name: string; type: string; dims: readonly number[] }[],
): Uint8Array {
  const used = new Set(cut.nodes.flatMap((n) => n.input));
  const valueInfo = (name: string, type: string, dims: readonly number[]) => ({
    name,
    type: {
      tensorType: {
        elemType: ELEM_TYPES[type] ?? 1,
        shape: { dim: dims.map((d, i) => (i === 0 ? { dimParam: "rows" } : { dimValue: d })) },
      },
    },
  });
  const graph = {
    name: `${file.graph.name ?? "graph"}_head`,
    node: cut.nodes,
    initializer: file.graph.initializer.filter((t) => used.has(t.name)),
    input: inputs.map((i) => valueInfo(i.name, i.type, i.dims)),
    output: file.graph.output.filter((o) => o.name === output).map((o) => ({ name: o.name })),
  };
  if (!inputs.some((i) => i.name === tap)) throw new Error(`head without its tap '${tap}'`);
  return ModelProtoType.encode(ModelProtoType.fromObject({ ...file.model, graph })).finish();
}

/**
 * Rows of the central differences: row 2c is the tap with channel c raised by eps, row 2c+1 with
 * it lowered, for channels [from, to). `a` is one ECG's tap (a x b values, `channelsFirst` when a
 * indexes channels).
 */
export function perturbedRows(
  tap: Float32Array,
  channels: number,
  steps: number,
  channelsFirst: boolean,
  eps: number,
  from: number,
  to: number,
): Float32Array {
  const per = channels * steps;
  const rows = new Float32Array((to - from) * 2 * per);
  for (let c = from; c < to; c++) {
    for (let s = 0; s < 2; s++) {
      const o = ((c - from) * 2 + s) * per;
      rows.set(tap, o);
      const d = s === 0 ? eps : -eps;
      for (let t = 0; t < steps; t++)
        rows[o + (channelsFirst ? c * steps + t : t * channels + c)] += d;
    }
  }
  return rows;
}
