import { UsageError } from "../../errors.js";
import { entriesInFolds, openDataset } from "../../io/index.js";
import { loadModel } from "../../model/index.js";
import { exportFeaturesShard } from "../../scale/features.js";
import { sha256File } from "../../scale/output.js";
import { parseShard } from "../../scale/shard.js";
import { exportFeatures, exportPaths, Tlc } from "../../tlc/index.js";
import {
  parseCommandArgs,
  parseFolds,
  parseNumber,
  writeJsonLine,
  type Command,
} from "../command.js";

const usage = `usage: ecg-tlc features --model MODEL --tlc TLC.json --data DIR [--folds F] --out FILE.npy

Exports the composite TLC vectors of a dataset as a NumPy array (float32, points x dims, one row
per kept time step, records in dataset order), the nearest fitted cluster of each row as
FILE.labels.npy (int32), and FILE.json beside them: points, dims, K, the inertia of the fitted
centroids on these vectors, and which rows belong to which record. Streams: memory holds one batch.

  --model MODEL   model folder the explainer was fitted on
  --tlc TLC.json  explainer from 'ecg-tlc fit'
  --data DIR      dataset folder
  --folds LIST    folds to export (default: every record)
  --out FILE.npy  output array
  --threads N     threads for the nearest-centroid search (default: all cores)
  --json          print FILE.json's summary (without the per-record list)
  --shard I/N     only shard I (0 to N-1) of the records (with FILE.manifest.json);
                  'ecg-tlc merge --out FILE.npy PART.npy...' concatenates the shards
`;

const command: Command = {
  name: "features",
  summary: "export composite TLC vectors and their clusters as .npy (with the fitted inertia)",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("features", argv, {
      model: { type: "string" },
      tlc: { type: "string" },
      data: { type: "string" },
      folds: { type: "string" },
      out: { type: "string" },
      threads: { type: "string" },
      json: { type: "boolean" },
      shard: { type: "string" },
    });
    if (positionals.length)
      throw new UsageError(`features: unexpected argument '${positionals[0]}'`);
    for (const o of ["model", "tlc", "data", "out"] as const) {
      if (!v[o])
        throw new UsageError(`features: --${o} is required (see 'ecg-tlc features --help')`);
    }
    const threads = parseNumber(v.threads, "--threads", 0, { integer: true, min: 0 });
    const folds = v.folds ? parseFolds(v.folds) : undefined;
    const model = await loadModel(v.model!);
    const dataset = await openDataset(v.data!);
    try {
      const tlc = Tlc.load(v.tlc!, model);
      const entries = entriesInFolds(dataset.entries, folds, "folds", v.data!);
      if (v.shard !== undefined) {
        const m = await exportFeaturesShard(tlc, model, dataset, entries, {
          out: v.out!,
          shard: parseShard(v.shard),
          threads,
          explainerSha256: sha256File(v.tlc!),
        });
        process.stderr.write(
          `features: shard ${v.shard}: ${m.output.records} ECGs, ${(m.payload as { points: number }).points} vectors -> ${v.out}\n`,
        );
        return 0;
      }
      const r = await exportFeatures(tlc, model, dataset, entries, v.out!, {
        threads,
        onProgress: (done, total) => process.stderr.write(`features: ${done}/${total} ECGs\n`),
      });
      const { records: _records, ...summary } = r;
      if (v.json) await writeJsonLine({ ...summary, json: exportPaths(v.out!).json });
      else
        process.stderr.write(
          `features: ${r.points} x ${r.dims} -> ${r.features}, inertia ${r.inertia.toExponential(4)}\n`,
        );
    } finally {
      dataset.close();
      model.dispose();
    }
    return 0;
  },
};

export default command;
