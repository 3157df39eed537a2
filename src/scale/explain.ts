/**
 * Explaining a whole dataset (or one shard of it) as JSON lines: records are read a batch at a
 * time (the next batches are read and preprocessed while the current one is in the network),
 * explained, written and released, so memory holds four batches (being read, preprocessed, in the
 * network, being written) whatever the dataset's size.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Dataset, DatasetEntry } from "../io/index.js";
import { namedExplanation, type Explanation } from "../explain/explanation.js";
import type { ModelFace } from "../model/face.js";
import type { PreparedBatch } from "../tlc/stream.js";
import type { Tlc } from "../tlc/tlc.js";
import type { EcgRecord } from "../types.js";
import { JsonLineWriter } from "./json-writer.js";
import { datasetIdentity, writeJsonLines, type ShardManifest } from "./output.js";
import { shardEntries, type Shard } from "./shard.js";

/** Batches of records of `entries`, read one batch ahead (while the caller works on this one). */
export async function* readAhead(
  dataset: Pick<Dataset, "readBatch">,
  entries: DatasetEntry[],
  batch: number,
): AsyncGenerator<EcgRecord[]> {
  const load = (a: number) => {
    // In a macrotask of its own: readers work synchronously, and the caller's next forward call
    // must reach the engine before this read holds the thread.
    const p = new Promise<void>((r) => setImmediate(r)).then(() =>
      dataset.readBatch(entries.slice(a, a + batch)),
    );
    p.catch(() => {}); // surfaces when awaited
    return p;
  };
  let next = entries.length ? load(0) : null;
  for (let a = 0; a < entries.length; a += batch) {
    const records = await next!;
    next = a + batch < entries.length ? load(a + batch) : null;
    yield records;
  }
}

/**
 * Explanations of `entries` in order, `batch` ECGs per forward call. The next batch's forward
 * (on the engine's threads) is started as soon as the current batch's has finished, with its
 * input read and preprocessed beforehand, so that everything else (reading, preprocessing,
 * composite vectors, assignment, segments, writing) overlaps the network.
 */
export async function* explainEntries(
  tlc: Tlc,
  model: ModelFace,
  dataset: Pick<Dataset, "readBatch">,
  entries: DatasetEntry[],
  batch = 16,
): AsyncGenerator<Explanation> {
  const batches = readAhead(dataset, entries, batch);
  const explainer = tlc.bind(model);
  const prepareNext = async () => {
    const r = await batches.next();
    return r.done ? null : explainer.prepare(r.value);
  };
  const submit = (p: PreparedBatch | null) => {
    if (!p) return null;
    const f = explainer.forwardPrepared(p);
    f.catch(() => {}); // surfaces when awaited
    return f;
  };
  let pending = submit(await prepareNext());
  let next = pending ? await prepareNext() : null;
  while (pending) {
    const forwarded = await pending;
    pending = submit(next);
    // While the next batch is in the network: this one is assigned, segmented and written, and
    // the one after it read and preprocessed.
    yield* explainer.explainForwarded(forwarded);
    next = pending ? await prepareNext() : null;
  }
}

export interface ExplainDatasetOptions {
  out: string;
  shard?: Shard;
  batch?: number;
  /** The explainer file (its bytes fingerprint the run). */
  tlcPath: string;
  /** Progress lines on stderr (default true). */
  progress?: boolean;
}

/**
 * Explains a dataset (or shard `shard` of it) into `out`, one JSON line per record: the objects
 * `explain RECORD --json` prints (with the explainer's cluster names when it has them).
 */
export async function explainDataset(
  tlc: Tlc,
  model: ModelFace,
  dataset: Dataset,
  opts: ExplainDatasetOptions,
): Promise<ShardManifest> {
  const entries = shardEntries(dataset.entries, opts.shard);
  const writer = new JsonLineWriter();
  async function* lines() {
    for await (const e of explainEntries(tlc, model, dataset, entries, opts.batch ?? 16))
      yield namedExplanation(e, tlc);
  }
  return writeJsonLines({
    out: opts.out,
    command: "explain",
    shard: opts.shard,
    dataset: datasetIdentity(dataset),
    inputs: {
      model: model.fingerprint,
      explainer: createHash("sha256").update(readFileSync(opts.tlcPath)).digest("hex"),
    },
    items: lines(),
    encode: (e) => writer.line(e),
    progress: opts.progress === false ? undefined : "explain",
  });
}

/** The text of one explanation line (JSON.stringify's; see JsonLineWriter). */
export { explanationJson } from "./json-writer.js";
