/**
 * What a network trained elsewhere takes and returns: the layout and size of its input (from its
 * declared shape and what the user says), a deterministic test input, and the module outputs that
 * can be tapped (those shaped channels x time over the input), from one test batch.
 */
import { ModelMismatchError, UsageError } from "../errors.js";
import { STANDARD_LEADS } from "../types.js";
import { stepsFit, swapLastAxes, tapShape, type Layout } from "./imported.js";
import type { NetworkProbe, TensorInfo } from "./network-probe.js";
import { openProbe } from "./probe.js";

export interface InputGeometry {
  layout: Layout;
  leads: number;
  length: number;
  /** Per-ECG dimensions in the network's layout. */
  dims: number[];
}

export interface GeometryOptions {
  layout?: Layout;
  leads?: string[];
  length?: number;
  /** The length to assume when neither the file nor `length` fixes it (else an error). */
  fallbackLength?: number;
}

/** How the network's input is laid out, from its declared shape and what the user said. */
export function inputGeometry(probe: NetworkProbe, opts: GeometryOptions): InputGeometry {
  const input = probe.inputs[0];
  const where = probe.path;
  const shape = input?.shape ?? [];
  let layout = opts.layout;
  let leadDim: number | string = "?";
  let timeDim: number | string = "?";
  if (shape.length === 3) {
    const [, a, b] = shape;
    if (!layout) {
      if (typeof a === "number" && typeof b === "number") layout = a <= b ? "nct" : "ntc";
      else if (typeof b === "number" && b <= 64) layout = "ntc";
      else layout = "nct";
    }
    [leadDim, timeDim] = layout === "nct" ? [a, b] : [b, a];
  } else if (shape.length) {
    throw new ModelMismatchError(
      `${where}: input '${input.name}' has shape [${shape.join(", ")}], not batch x leads x samples`,
    );
  }
  layout ??= "nct";
  const leads =
    typeof leadDim === "number" ? leadDim : (opts.leads?.length ?? STANDARD_LEADS.length);
  if (opts.leads && opts.leads.length !== leads) {
    throw new ModelMismatchError(
      `${where}: the network takes ${leads} leads (${layout}), ${opts.leads.length} leads were named`,
    );
  }
  let length: number;
  if (typeof timeDim === "number") {
    if (opts.length !== undefined && opts.length !== timeDim) {
      throw new ModelMismatchError(
        `${where}: the network takes ${timeDim} samples per lead (${layout}), length is ${opts.length}`,
      );
    }
    length = timeDim;
  } else if (opts.length !== undefined) length = opts.length;
  else if (opts.fallbackLength !== undefined) length = opts.fallbackLength;
  else
    throw new UsageError(`${where}: the network's time axis is not fixed: give the input length`);
  return { layout, leads, length, dims: layout === "nct" ? [leads, length] : [length, leads] };
}

/** Deterministic ECG-like test input (m x leads x length, lead-major), in the network's layout. */
export function testInput(g: InputGeometry, m = 2): Float32Array {
  const x = new Float32Array(m * g.leads * g.length);
  for (let n = 0; n < m; n++) {
    for (let c = 0; c < g.leads; c++) {
      for (let t = 0; t < g.length; t++) {
        x[(n * g.leads + c) * g.length + t] =
          Math.sin((0.05 * t * (c + 1)) / 3 + n) + 0.3 * Math.cos(0.31 * t + c);
      }
    }
  }
  return g.layout === "ntc" ? swapLastAxes(x, m, g.leads, g.length) : x;
}

export interface TapCandidate {
  /** Module path. */
  name: string;
  /** The graph value (ONNX) or submodule (TorchScript) it reads. */
  value: string;
  /** One ECG's tap: channels x steps. */
  shape: [number, number];
  layout: Layout;
}

export interface Inspection {
  file: string;
  backend: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  input: InputGeometry;
  taps: TapCandidate[];
}

/** Runs one test batch reading every module output and keeps those shaped channels x time. */
export async function candidates(probe: NetworkProbe, g: InputGeometry): Promise<TapCandidate[]> {
  const values = [...new Set(probe.modules.map((m) => probe.resolveTap(m)!).filter(Boolean))];
  const r = await probe.run(testInput(g, 1), g.dims, values, { lenient: true });
  const out: TapCandidate[] = [];
  for (const name of probe.modules) {
    const value = probe.resolveTap(name)!;
    const dims = r.taps[value]?.dims;
    if (!dims || dims.length !== 3) continue;
    if (!stepsFit(dims[2], g.length) && !stepsFit(dims[1], g.length)) continue;
    const s = tapShape(probe.path, name, dims, g.length);
    out.push({ name, value, shape: [s.channels, s.steps], layout: s.layout });
  }
  return out;
}

export async function inspectModel(path: string, opts: GeometryOptions = {}): Promise<Inspection> {
  const probe = await openProbe(path);
  try {
    const input = inputGeometry(probe, { fallbackLength: 1000, ...opts });
    const taps = await candidates(probe, input);
    return {
      file: path,
      backend: probe.backend,
      inputs: probe.inputs,
      outputs: probe.outputs,
      input,
      taps,
    };
  } finally {
    probe.dispose?.();
  }
}
