/**
 * One ECG as the per-ECG analyses of an evaluation see it, and the shape they share: each is an
 * accumulator (`add` one ECG, then `result`), testable alone. The costly model runs several
 * analyses need (the outputs with each cluster blanked) are made once per ECG (`probe`).
 */
import type { Explanation } from "../../explain/explanation.js";
import type { RecordSource } from "../../io/datasets/types.js";
import type { ModelFace } from "../../model/face.js";
import type { PreparedSignal } from "../../signal/preprocess.js";
import type { EcgRecord } from "../../types.js";
import { blankCluster } from "../analyses.js";

/** A labelled dataset entry as the evaluation reads it. Entries without a fold are fold 0. */
export interface EvalEntry {
  id: string;
  labels: string[];
  fold?: number;
  age?: number;
}

/** The model's outputs on one ECG, whole and with each of its K clusters blanked. */
export interface EcgProbe {
  prepared: PreparedSignal;
  /** Outputs on the ECG (classes values). */
  base: Float32Array;
  /** K x classes: outputs with cluster q's samples blanked (set to each lead's median). */
  blanked: Float32Array;
}

export class EvaluatedEcg {
  private probed?: Promise<EcgProbe>;

  constructor(
    /** Position of the ECG in the evaluated entries. */
    readonly index: number,
    readonly entry: EvalEntry,
    readonly record: EcgRecord,
    readonly explanation: Explanation,
    /** In the sample the costly analyses (deletion, stability, Grad-CAM) run on. */
    readonly inSample: boolean,
    readonly model: ModelFace,
  ) {}

  /** The model's outputs on this ECG, whole and per blanked cluster (one batch of K). Once. */
  probe(): Promise<EcgProbe> {
    return (this.probed ??= probeEcg(this.model, this.record, this.explanation));
  }
}

async function probeEcg(model: ModelFace, rec: EcgRecord, ex: Explanation): Promise<EcgProbe> {
  const k = ex.proportions.length;
  const prepared = model.prepare(rec);
  const per = prepared.signal.length;
  const batch = new Float32Array(per * k);
  for (let q = 0; q < k; q++) {
    const blanked = { ...rec, signal: blankCluster(rec.signal, rec.leads.length, ex.clusters, q) };
    batch.set(model.prepare(blanked).signal, q * per);
  }
  const base = (await model.forward(prepared.signal, 1)).outputs;
  const blanked = (await model.forward(batch, k)).outputs;
  return { prepared, base, blanked };
}

/**
 * A per-ECG analysis: fed one ECG at a time, in order, then asked for its result (given what it
 * needs from other analyses, `A`).
 */
export interface EcgAnalysis<R, A extends unknown[] = []> {
  add(ecg: EvaluatedEcg): void | Promise<void>;
  result(...args: A): R;
}

/** ECGs read and explained together (one forward call per batch). */
const BATCH = 32;

/** The entries in batches of BATCH ECGs, read: `start` is the batch's first index. */
export async function* readBatches<E extends EvalEntry>(
  dataset: RecordSource<E>,
  entries: E[],
): AsyncGenerator<{ start: number; chunk: E[]; records: EcgRecord[] }> {
  for (let start = 0; start < entries.length; start += BATCH) {
    const chunk = entries.slice(start, start + BATCH);
    const records: EcgRecord[] = [];
    for (const e of chunk) records.push(await dataset.read(e));
    yield { start, chunk, records };
  }
}
