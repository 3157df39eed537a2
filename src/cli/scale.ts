/** The dataset-scale side of the CLI commands: streamed outputs and shards (src/scale). */
import { UsageError } from "../errors.js";
import { openDataset } from "../io/index.js";
import { loadModel } from "../model/index.js";
import { explainDataset } from "../scale/explain.js";
import type { ShardManifest } from "../scale/output.js";
import { predictDataset } from "../scale/predict.js";
import { formatDuration } from "../scale/progress.js";
import { parseShard } from "../scale/shard.js";
import { Tlc } from "../tlc/index.js";
import { parseNumber } from "./command.js";

/** `explain --data DIR --out FILE.jsonl [--shard I/N]`. */
export async function explainDatasetCommand(
  v: { model?: string; tlc?: string; data?: string; out?: string; shard?: string; batch?: string },
  positionals: string[],
): Promise<number> {
  if (!v.model) throw new UsageError("explain: --model MODEL is required");
  if (!v.tlc) throw new UsageError("explain: --tlc TLC.json is required");
  if (!v.data) throw new UsageError("explain: --out and --shard need --data DIR");
  if (!v.out) throw new UsageError("explain: --data needs --out FILE.jsonl");
  if (positionals.length)
    throw new UsageError(
      `explain: --data explains a dataset; unexpected RECORD '${positionals[0]}'`,
    );
  const shard = v.shard === undefined ? undefined : parseShard(v.shard);
  const batch = parseNumber(v.batch, "--batch", 16, { integer: true, min: 1, max: 64 });
  const model = await loadModel(v.model);
  try {
    const tlc = Tlc.load(v.tlc, model);
    const dataset = await openDataset(v.data);
    try {
      const m = await explainDataset(tlc, model, dataset, {
        out: v.out,
        shard,
        batch,
        tlcPath: v.tlc,
      });
      reportRun(m, v.out);
    } finally {
      dataset.close();
    }
  } finally {
    model.dispose();
  }
  return 0;
}

function reportRun(m: ShardManifest, out: string): void {
  const shard = m.shard ? ` (shard ${m.shard.index}/${m.shard.count})` : "";
  process.stderr.write(
    `${m.command}: ${m.output.records} ECGs${shard} in ${formatDuration(m.cost.seconds)}, peak memory ${(m.cost.peakRss / 2 ** 20).toFixed(0)} MiB -> ${out}\n`,
  );
}

/** `predict --data DIR --out FILE.jsonl [--shard I/N]`. */
export async function predictDatasetCommand(
  v: { model?: string; data?: string; out?: string; shard?: string; batch?: string },
  positionals: string[],
): Promise<number> {
  if (!v.model) throw new UsageError("predict: --model MODEL is required");
  if (!v.data) throw new UsageError("predict: --out and --shard need --data DIR");
  if (!v.out) throw new UsageError("predict: --data needs --out FILE.jsonl");
  if (positionals.length)
    throw new UsageError(
      `predict: --data predicts a dataset; unexpected RECORD '${positionals[0]}'`,
    );
  const shard = v.shard === undefined ? undefined : parseShard(v.shard);
  const batch = parseNumber(v.batch, "--batch", 32, { integer: true, min: 1 });
  const model = await loadModel(v.model);
  try {
    const dataset = await openDataset(v.data);
    try {
      reportRun(await predictDataset(model, dataset, { out: v.out, shard, batch }), v.out);
    } finally {
      dataset.close();
    }
  } finally {
    model.dispose();
  }
  return 0;
}
