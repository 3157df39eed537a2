/**
 * Streams records through a model in batches and hands out each ECG's taps, so that a dataset of
 * any size is processed with one batch of signals and activations in memory at a time.
 */
import type { RecordSource } from "../io/datasets/types.js";
import type { ModelFace } from "../model/face.js";
import type { PreparedSignal } from "../signal/preprocess.js";
import type { EcgRecord } from "../types.js";

export interface TapBatch<E> {
  entries: E[];
  records: EcgRecord[];
  prepared: PreparedSignal[];
  outputs: Float32Array;
  taps: Record<string, { channels: number; steps: number; data: Float32Array }>;
}

/** Records per forward call: the model engine caps its own batches at 64. */
export const DEFAULT_BATCH = 32;

function readBatch<E>(dataset: RecordSource<E>, entries: E[]): Promise<EcgRecord[]> {
  const p = Promise.all(entries.map((e) => dataset.read(e)));
  p.catch(() => {}); // read ahead: the error surfaces when this batch is awaited
  return p;
}

/** Concatenates prepared signals into one batch input (batch x leads x length). */
export function stackPrepared(prepared: PreparedSignal[]): Float32Array {
  const per = prepared[0].signal.length;
  const input = new Float32Array(per * prepared.length);
  prepared.forEach((p, i) => input.set(p.signal, i * per));
  return input;
}

/**
 * Runs the model over `entries` in batches of `batch`, reading the next batch while the current
 * one is in the network, and yields each batch's prepared signals, outputs and taps.
 */
export async function* streamTaps<E>(
  model: ModelFace,
  dataset: RecordSource<E>,
  entries: E[],
  taps: string[],
  batch = DEFAULT_BATCH,
): AsyncGenerator<TapBatch<E>> {
  let next: Promise<EcgRecord[]> | null = entries.length
    ? readBatch(dataset, entries.slice(0, batch))
    : null;
  for (let start = 0; start < entries.length; start += batch) {
    const chunk = entries.slice(start, start + batch);
    const records = await next!;
    const following = entries.slice(start + batch, start + 2 * batch);
    next = following.length ? readBatch(dataset, following) : null;
    yield forwardRecords(model, records, taps, chunk);
  }
}

/** Records preprocessed by the model and stacked into one forward call's input. */
export interface PreparedBatch {
  records: EcgRecord[];
  prepared: PreparedSignal[];
  input: Float32Array;
}

/** The model's preprocessing of `records`, stacked (the part of a forward call on this thread). */
export function prepareRecords(model: ModelFace, records: readonly EcgRecord[]): PreparedBatch {
  const prepared = records.map((r) => model.prepare(r));
  return { records: [...records], prepared, input: stackPrepared(prepared) };
}

/** One forward call on a prepared batch. */
export async function forwardPrepared<E>(
  model: ModelFace,
  batch: PreparedBatch,
  taps: string[],
  entries: E[] = [],
): Promise<TapBatch<E>> {
  const { records, prepared, input } = batch;
  const out = await model.forward(input, prepared.length, { taps });
  return { entries, records, prepared, outputs: out.outputs, taps: out.taps };
}

/** Prepares and forwards a list of records in one call. */
export async function forwardRecords<E>(
  model: ModelFace,
  records: readonly EcgRecord[],
  taps: string[],
  entries: E[] = [],
): Promise<TapBatch<E>> {
  return forwardPrepared(model, prepareRecords(model, records), taps, entries);
}
