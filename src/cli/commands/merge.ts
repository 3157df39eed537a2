import { existsSync, rmSync } from "node:fs";
import { UsageError } from "../../errors.js";
import { nameExplainer } from "../../eval/name-explainer.js";
import { openDataset } from "../../io/index.js";
import { loadModel } from "../../model/index.js";
import { fitPass, mergeFitShards, STATE_PASS } from "../../scale/fit.js";
import { mergeStateShards } from "../../scale/fit-states.js";
import { MAX_RECORDS_FOR_WAVES } from "../../eval/cluster-waves.js";
import { MAX_RECORDS_FOR_STATES } from "../../eval/state-names.js";
import { mergeFeatureShards } from "../../scale/features.js";
import { mergeShards } from "../../scale/merge.js";
import { commitOutput, manifestPath, readManifest } from "../../scale/output.js";
import { progressPrinter } from "../tlc-options.js";
import { formatDuration } from "../../scale/progress.js";
import {
  optionalNumber,
  parseCommandArgs,
  parseNumber,
  writeJsonLine,
  type Command,
} from "../command.js";
import { mergeEvaluationShards } from "../../scale/evaluate.js";
import { sha256File } from "../../scale/output.js";
import { Tlc } from "../../tlc/index.js";
import { writeEvaluation } from "./evaluate.js";

const usage = `usage: ecg-tlc merge --out FILE.jsonl PART... [--shards N] [--json]
       ecg-tlc merge --model MODEL --out TLC.json PART.npy... [--data DIR]   (a sharded fit)
       ecg-tlc merge --model MODEL --states-of WAVES.json --out TLC.json PART.npy... [--data DIR]
                  (its state pass: the two-level explainer)
       ecg-tlc merge --out FILE.npy PART.npy...   (a sharded 'features': arrays and index)
       ecg-tlc merge --model MODEL --tlc TLC.json --out REPORT PART.json... [--json]
                  [--table FILE.csv] [--trees N]   (a sharded 'evaluate': the report)

Combines the outputs of a sharded run (e.g. 'explain --data DIR --out PART --shard I/N') into
FILE, records in dataset order. Refuses unless every shard 0 to N-1 is given exactly once, each
complete (its bytes and SHA-256 as its manifest says: a killed shard has no manifest) and all from
the same dataset, model and explainer; a shard that failed can be re-run alone and merged again.
Prints what the run cost: per shard its time, peak memory and records.

  --out FILE      merged output (written atomically, with FILE.manifest.json)
  --shards N      the number of shards expected (default: as the manifests say)
  --json          print the cost report as JSON
  --model MODEL   a sharded fit ('fit --shard I/N'): merge the shards' vector samples into one
                  uniform sample and cluster it into the explainer TLC.json
  --states-of WAVES.json
                  with --model: the parts are the state pass ('fit --states-of WAVES.json
                  --shard I/N'): merge each wave's samples and cluster the states; TLC.json is
                  WAVES.json with its states (the two-level explainer)
  --data DIR      with --model: name the clusters (and states) on the dataset's ECGs, as 'fit'
                  does
  --name-ecgs N   with --data: ECGs delineated to name the clusters (default ${MAX_RECORDS_FOR_WAVES}; 0: none)
  --name-states N with --data: ECGs explained to name the states (default ${MAX_RECORDS_FOR_STATES}; 0: none)
  --threads N     k-means threads (default: all cores)
  --tlc FILE      a sharded 'evaluate': the explainer the shards ran (the report is the single
                  run's: Markdown, or JSON with --json, on stdout and in --out)
  --table FILE    with --tlc: also write the per-ECG table ('evaluate --table')
  --trees N       with --tlc: trees per surrogate forest (default 100)
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
      model: { type: "string" },
      data: { type: "string" },
      threads: { type: "string" },
      tlc: { type: "string" },
      table: { type: "string" },
      trees: { type: "string" },
      "states-of": { type: "string" },
      "name-ecgs": { type: "string" },
      "name-states": { type: "string" },
    });
    if (!v.out) throw new UsageError("merge: --out FILE is required (see 'ecg-tlc merge --help')");
    if (!positionals.length) throw new UsageError("merge: no shard outputs given");
    const expectShards = v.shards
      ? parseNumber(v.shards, "--shards", 1, { integer: true, min: 1 })
      : undefined;
    const kind = readManifest(manifestPath(positionals[0])).command;
    if (kind === "evaluate") return mergeEvaluation(v, positionals, expectShards);
    if (kind === "fit" || kind === STATE_PASS || v.model)
      return mergeFit(v, positionals, expectShards);
    if (kind === "features") {
      const f = mergeFeatureShards(positionals, v.out, expectShards);
      process.stderr.write(
        `merge: ${positionals.length} shards, ${f.records.length} ECGs, ${f.points} x ${f.dims} -> ${v.out}, inertia ${f.inertia.toExponential(4)}\n`,
      );
      return 0;
    }
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

async function mergeEvaluation(
  v: { model?: string; tlc?: string; out?: string; json?: boolean; table?: string; trees?: string },
  parts: string[],
  expectShards?: number,
): Promise<number> {
  if (!v.model || !v.tlc)
    throw new UsageError(
      "merge: the shards are a sharded evaluate: give --model MODEL and --tlc TLC.json",
    );
  const trees = optionalNumber(v.trees, "--trees", { integer: true, min: 1 });
  const model = await loadModel(v.model);
  try {
    const tlc = Tlc.load(v.tlc, model);
    const { result, shards } = await mergeEvaluationShards(tlc.bind(model), parts, {
      forest: trees === undefined ? undefined : { nEstimators: trees },
      perEcg: Boolean(v.table),
      explainerSha256: sha256File(v.tlc),
      expectShards,
    });
    for (const m of shards)
      process.stderr.write(
        `  shard ${m.shard?.index ?? 0}: ${m.output.records} ECGs, ${formatDuration(m.cost.seconds)}, peak ${(m.cost.peakRss / 2 ** 20).toFixed(0)} MiB (${m.cost.host})\n`,
      );
    process.stderr.write(`merge: ${parts.length} shards, ${result.n} ECGs evaluated\n`);
    rmSync(manifestPath(v.out!), { force: true });
    await writeEvaluation(result, { ...v, model: v.model, tlc: v.tlc }, model, tlc);
    // the report's manifest: a finished merge (what 'slurm' waits for) and what the shards cost
    commitOutput(
      v.out!,
      {
        command: "evaluate",
        dataset: shards[0].dataset,
        inputs: shards[0].inputs,
        records: result.n,
      },
      {
        records: result.n,
        seconds: shards.reduce((a, m) => a + m.cost.seconds, 0),
        peakRss: Math.max(...shards.map((m) => m.cost.peakRss)),
      },
    );
  } finally {
    model.dispose();
  }
  return 0;
}

async function mergeFit(
  v: {
    model?: string;
    out?: string;
    data?: string;
    threads?: string;
    "states-of"?: string;
    "name-ecgs"?: string;
    "name-states"?: string;
  },
  parts: string[],
  expectShards?: number,
): Promise<number> {
  if (!v.model) throw new UsageError("merge: the shards are a sharded fit: give --model MODEL");
  const statesOf = v["states-of"];
  const pass = fitPass(parts);
  if (pass === "states" && !statesOf)
    throw new UsageError(
      `merge: ${parts[0]} is a part of the state pass ('fit --states-of WAVES.json --shard I/N'): give --states-of WAVES.json, the wave explainer its shards read`,
    );
  if (pass === "waves" && statesOf)
    throw new UsageError(
      `merge: ${parts[0]} is a part of the wave pass ('fit --shard I/N'): merge it without --states-of (--states-of merges the state pass)`,
    );
  const threads = parseNumber(v.threads, "--threads", 0, { integer: true, min: 0 });
  const naming = {
    waveEcgs: parseNumber(v["name-ecgs"], "--name-ecgs", MAX_RECORDS_FOR_WAVES, {
      integer: true,
      min: 0,
      max: MAX_RECORDS_FOR_WAVES,
    }),
    stateEcgs: parseNumber(v["name-states"], "--name-states", MAX_RECORDS_FOR_STATES, {
      integer: true,
      min: 0,
    }),
  };
  const model = await loadModel(v.model);
  try {
    const progress = progressPrinter("merge");
    const r = statesOf
      ? await mergeStateShards(parts, model, Tlc.load(statesOf, model), {
          explainerSha256: sha256File(statesOf),
          expectShards,
          threads,
        })
      : await mergeFitShards(parts, model, { expectShards, threads, onProgress: progress });
    let tlc = r.tlc;
    if (v.data) {
      const dataset = await openDataset(v.data);
      try {
        tlc = await nameExplainer(tlc, model, dataset, dataset.entries, {
          ...naming,
          progress: (stage, done, total) => progress({ stage, done, total }),
        });
      } finally {
        dataset.close();
      }
    }
    rmSync(manifestPath(v.out!), { force: true });
    tlc.save(v.out!);
    // the explainer's manifest: what it was merged from and what the shards cost (a two-level
    // explainer's: both passes', when the wave explainer's manifest says what the first cost)
    const first = r.shards[0];
    const costs = r.shards.map((m) => m.cost);
    if (statesOf && existsSync(manifestPath(statesOf)))
      costs.push(readManifest(manifestPath(statesOf)).cost);
    commitOutput(
      v.out!,
      { command: "fit", dataset: first.dataset, inputs: first.inputs, records: tlc.info.records },
      {
        records: tlc.info.records,
        seconds: costs.reduce((a, c) => a + c.seconds, 0),
        peakRss: Math.max(...costs.map((c) => c.peakRss)),
      },
    );
    for (const m of r.shards)
      process.stderr.write(
        `  shard ${m.shard?.index ?? 0}: ${m.output.records} ECGs, ${formatDuration(m.cost.seconds)}, peak ${(m.cost.peakRss / 2 ** 20).toFixed(0)} MiB (${m.cost.host})\n`,
      );
    process.stderr.write(
      statesOf
        ? `merge: ${parts.length} shards, ${r.shards.reduce((a, m) => a + m.output.records, 0)} ECGs: states clustered on ${r.sampled} of ${r.seen} steps' vectors (per wave a uniform sample), K=${tlc.k}, ${tlc.leaves} leaves -> ${v.out}\n`
        : `merge: ${parts.length} shards, ${tlc.info.records} ECGs: clustered ${r.sampled} of ${r.seen} vectors (a uniform sample), K=${tlc.k}, inertia ${tlc.inertia.toExponential(4)} -> ${v.out}\n`,
    );
  } finally {
    model.dispose();
  }
  return 0;
}

export default command;
