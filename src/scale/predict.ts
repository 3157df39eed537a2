/** Predicting a whole dataset (or one shard of it) as JSON lines, a batch in memory at a time. */
import type { Dataset } from "../io/index.js";
import { describeOutputs, predictBatches, type ModelFace as Model } from "../model/index.js";
import { datasetIdentity, writeJsonLines, type ShardManifest } from "./output.js";
import { shardEntries, type Shard } from "./shard.js";

/** One line per record: the objects `predict RECORD --json` prints. */
export async function predictDataset(
  model: Model,
  dataset: Dataset,
  opts: { out: string; shard?: Shard; batch?: number; progress?: boolean },
): Promise<ShardManifest> {
  const entries = shardEntries(dataset.entries, opts.shard);
  async function* lines() {
    for await (const r of predictBatches(model, entries, (e) => dataset.read(e), opts.batch ?? 32))
      yield { record: r.record.name, ...describeOutputs(model.config, r.outputs) };
  }
  return writeJsonLines({
    out: opts.out,
    command: "predict",
    shard: opts.shard,
    dataset: datasetIdentity(dataset),
    inputs: { model: model.fingerprint },
    items: lines(),
    progress: opts.progress === false ? undefined : "predict",
  });
}
