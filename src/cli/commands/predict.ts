import { readRecord } from "../../io/index.js";
import { UsageError } from "../../errors.js";
import { describeOutputs, loadModel, predictBatches } from "../../model/index.js";
import { predictDatasetCommand } from "../scale.js";
import { parseCommandArgs, parseNumber, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc predict --model MODEL RECORD... [--json] [--batch N]
       ecg-tlc predict --model MODEL --data DIR --out FILE.jsonl [--shard I/N]

Runs a trained model on ECG records (WFDB paths without extension; any rate and lead order: the
model's preprocessing is replayed on each). Records are read and predicted in batches, so any
number of records runs in constant memory.

  --model MODEL   model folder (from 'ecg-tlc train')
  --json          one JSON line per record: {record, outputs: {class: probability} | {age}, labels}
  --batch N       records per batch (default 32)
  --data DIR      predict every record of a dataset into --out (JSON lines in dataset order, with
                  FILE.manifest.json); --shard I/N: only shard I of N ('ecg-tlc merge' joins them)
`;

const command: Command = {
  name: "predict",
  summary: "predict classes (or age) of ECG records with a trained model",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("predict", argv, {
      model: { type: "string" },
      json: { type: "boolean" },
      batch: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      shard: { type: "string" },
    });
    if (v.data !== undefined || v.out !== undefined || v.shard !== undefined)
      return predictDatasetCommand(v, positionals);
    if (!v.model) throw new UsageError("predict: --model MODEL is required");
    if (!positionals.length)
      throw new UsageError("predict: no RECORD given (see 'ecg-tlc predict --help')");
    const batch = parseNumber(v.batch, "--batch", 32, { integer: true, min: 1 });
    const model = await loadModel(v.model);
    for await (const r of predictBatches(model, positionals, (p) => readRecord(p), batch)) {
      const { outputs, labels } = describeOutputs(model.config, r.outputs);
      if (v.json) await writeJsonLine({ record: r.record.name, outputs, labels });
      else {
        const o = Object.entries(outputs)
          .map(([c, p]) => `${c} ${p.toFixed(3)}`)
          .join("  ");
        process.stdout.write(
          `${r.record.name}: ${o}${model.config.task === "age" ? "" : `  -> ${labels.join(",") || "-"}`}\n`,
        );
      }
    }
    model.dispose();
    return 0;
  },
};

export default command;
