/**
 * Explaining a whole dataset (or one shard of it) as JSON lines: records are read a batch at a
 * time (the next batch is read while the current one is in the network), explained, written and
 * released, so memory holds three batches (read, in the network, being written) whatever the
 * dataset's size.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Dataset, DatasetEntry } from "../io/index.js";
import { namedExplanation, type Explanation } from "../explain/explanation.js";
import type { ModelFace } from "../model/face.js";
import type { Tlc } from "../tlc/tlc.js";
import type { EcgRecord } from "../types.js";
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
 * (on the engine's threads) is started as soon as the current batch's has finished, so that
 * everything after the network (composite vectors, assignment, segments, writing) overlaps it.
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
  const start = async () => {
    const r = await batches.next();
    if (r.done) return null;
    const p = explainer.forward(r.value);
    p.catch(() => {}); // surfaces when awaited
    return p;
  };
  let pending = await start();
  while (pending) {
    const forwarded = await pending;
    // The next batch is in the network while this one is assigned, segmented and written.
    pending = await start();
    yield* explainer.explainForwarded(forwarded);
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
    serialize: explanationJson,
    progress: opts.progress === false ? undefined : "explain",
  });
}

/**
 * JSON.stringify(value) for explanations, faster: per-sample arrays (clusters, entropy) repeat
 * each fine step's value over the samples it covers, so each run of equal numbers is formatted
 * once. Plain data only (no toJSON, no cycles), as explanations are.
 */
export function explanationJson(value: unknown): string {
  if (Array.isArray(value)) return numbersJson(value) ?? JSON.stringify(value);
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    parts.push(JSON.stringify(key) + ":" + explanationJson(v));
  }
  return "{" + parts.join(",") + "}";
}

/** An array of numbers as JSON, or undefined when it holds anything else. */
function numbersJson(a: unknown[]): string | undefined {
  let out = "";
  for (let i = 0; i < a.length;) {
    const v = a[i];
    if (typeof v !== "number") return undefined;
    let j = i + 1;
    while (j < a.length && Object.is(a[j], v)) j++;
    out += (Number.isFinite(v) ? String(v) + "," : "null,").repeat(j - i);
    i = j;
  }
  return "[" + out.slice(0, -1) + "]";
}
