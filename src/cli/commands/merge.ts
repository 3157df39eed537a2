import { UsageError } from "../../errors.js";
import { mergeShards } from "../../scale/merge.js";
import { formatDuration } from "../../scale/progress.js";
import { parseCommandArgs, parseNumber, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc merge --out FILE.jsonl PART... [--shards N] [--json]

Combines the outputs of a sharded run (e.g. 'explain --data DIR --out PART --shard I/N') into
FILE, records in dataset order. Refuses unless every shard 0 to N-1 is given exactly once, each
complete (its bytes and SHA-256 as its manifest says: a killed shard has no manifest) and all from
the same dataset, model and explainer; a shard that failed can be re-run alone and merged again.
Prints what the run cost: per shard its time, peak memory and records.

  --out FILE      merged output (written atomically, with FILE.manifest.json)
  --shards N      the number of shards expected (default: as the manifests say)
  --json          print the cost report as JSON
`;

const command: Command = {
  name: "merge",
  summary: "check and combine the outputs of a sharded run (every shard exactly once)",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("merge", argv, {
      out: { type: "string" },
      shards: { type: "string" },
      json: { type: "boolean" },
    });
    if (!v.out) throw new UsageError("merge: --out FILE is required (see 'ecg-tlc merge --help')");
    if (!positionals.length) throw new UsageError("merge: no shard outputs given");
    const expectShards = v.shards
      ? parseNumber(v.shards, "--shards", 1, { integer: true, min: 1 })
      : undefined;
    const r = await mergeShards(positionals, v.out, { expectShards });
    if (v.json) await writeJsonLine(r);
    else {
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
      const lines = r.costs.map(
        (c) =>
          `  shard ${c.shard}: ${c.records} ECGs, ${formatDuration(c.seconds)}, peak ${mib(c.peakRss)} (${c.host})`,
      );
      process.stderr.write(
        `merge: ${r.shards} shards, ${r.records} ECGs -> ${r.out}\n${lines.join("\n")}\n` +
          `  total ${formatDuration(r.shardSeconds)} of shard time, slowest shard ${formatDuration(r.maxSeconds)}, peak memory ${mib(r.maxPeakRss)}\n`,
      );
    }
    return 0;
  },
};

export default command;
