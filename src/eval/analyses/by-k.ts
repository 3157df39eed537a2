/**
 * Fidelity by K: the surrogate's fidelity on the proportions of several explainers (one per K),
 * each batch of ECGs read once and sent through the network once for all of them.
 */
import type { BoundExplainer } from "../../explain/explanation.js";
import type { RecordSource } from "../../io/datasets/types.js";
import type { ModelFace } from "../../model/face.js";
import type { ForestOptions } from "../forest.js";
import { fidelityPlateau, surrogateFidelity } from "../surrogate.js";
import { readBatches, type EvalEntry } from "./ecg.js";
import type { Collected } from "./surrogates.js";

/** Unbound explainers to compare by K: each is bound to the evaluated model (`Tlc` is one). */
export interface Bindable {
  bind(model: ModelFace): BoundExplainer;
}

export interface FidelityByK {
  perK: { k: number; mean: number; std: number }[];
  plateau?: number;
}

/**
 * Hard proportions of every ECG under each of several explainers (fidelity by K), one array of
 * n x K per explainer. Each batch of ECGs is read once, and explainers on the same taps share one
 * forward pass through the network (the model remembers its last call).
 */
export async function proportionsEach<E extends EvalEntry>(
  model: ModelFace,
  explainers: Bindable[],
  dataset: RecordSource<E>,
  entries: E[],
  progress?: (done: number, total: number) => void,
): Promise<Float64Array[]> {
  const n = entries.length;
  const shared = rememberLastForward(model);
  const bound = explainers.map((x) => x.bind(shared));
  const out: Float64Array[] = explainers.map(() => new Float64Array(0));
  for await (const { start: b, chunk, records: recs } of readBatches(dataset, entries)) {
    for (let x = 0; x < explainers.length; x++) {
      const exs = await bound[x].explain(recs);
      exs.forEach((e, q) => {
        const k = e.proportions.length;
        if (out[x].length === 0) out[x] = new Float64Array(n * k);
        out[x].set(e.proportions, (b + q) * k);
      });
    }
    progress?.(b + chunk.length, n);
  }
  return out;
}

/** The model, remembering its last forward call: the same input and taps again return its result. */
export function rememberLastForward<M extends ModelFace>(model: M): M {
  type Forward = (
    input: Float32Array,
    batch: number,
    opts?: { taps?: string[] },
  ) => ReturnType<M["forward"]>;
  const forward = model.forward.bind(model) as Forward;
  let last: {
    input: Float32Array;
    batch: number;
    taps: string;
    result: ReturnType<Forward>;
  } | null = null;
  // Bit for bit (NaN equals NaN, -0 differs from 0): the same input, not an equal-looking one.
  const same = (a: Float32Array, b: Float32Array) => {
    if (a.length !== b.length) return false;
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  };
  const remembered: Forward = (input, batch, opts) => {
    const taps = (opts?.taps ?? []).join(",");
    if (last && last.batch === batch && last.taps === taps && same(last.input, input))
      return last.result;
    const result = forward(input, batch, opts);
    last = { input: input.slice(), batch, taps, result };
    return result;
  };
  return Object.assign(Object.create(model) as M, { forward: remembered });
}

/** Fidelity of the surrogate on each explainer's proportions, against the CNN's labels. */
export async function fidelityByK<E extends EvalEntry>(
  model: ModelFace,
  byK: { k: number; explainer: Bindable }[],
  dataset: RecordSource<E>,
  entries: E[],
  col: Collected,
  opts: {
    thresholds: number[];
    forest?: ForestOptions;
    progress?: (done: number, total: number) => void;
  },
): Promise<FidelityByK> {
  const props = await proportionsEach(
    model,
    byK.map((b) => b.explainer),
    dataset,
    entries,
    opts.progress,
  );
  const perK = byK.map(({ k }, i) => {
    const f = surrogateFidelity({
      features: props[i],
      k: props[i].length / entries.length, // the explainer's own K
      cnnScores: col.scores,
      thresholds: opts.thresholds,
      truth: col.truth,
      classes: opts.thresholds.length,
      folds: col.folds,
      forest: opts.forest,
    });
    return { k, mean: f.fidelity.mean, std: f.fidelity.std };
  });
  return { perK, plateau: fidelityPlateau(perK) };
}
