import { UsageError } from "../../errors.js";
import { datasetSummary, openDataset } from "../../io/index.js";
import { parseCommandArgs, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc dataset DIR [--json] [--rate 100|500] [--entries]

Recognises a PTB-XL, LUDB, CinC 2021, CODE-15% or plain WFDB folder and prints one JSON object:
  {root, kind, records, classes: {class: count}, unlabelled, folds: {fold: count}, sex, age}
Only records present on disk are counted.
  --rate 100|500   PTB-XL: records100 or records500 (default: 100 when present)
  --entries        then one JSON line per record: {id, path, labels, fold, age, sex}`;

const command: Command = {
  name: "dataset",
  summary: "summarise an ECG dataset folder (records, classes, folds) as JSON",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("dataset", argv, {
      json: { type: "boolean" },
      rate: { type: "string" },
      entries: { type: "boolean" },
    });
    if (positionals.length !== 1)
      throw new UsageError("dataset: give exactly one DIR (see 'ecg-tlc dataset --help')");
    if (values.rate !== undefined && values.rate !== "100" && values.rate !== "500") {
      throw new UsageError(`--rate: expected 100 or 500, got '${values.rate}'`);
    }
    const ds = await openDataset(positionals[0], {
      rate: values.rate === undefined ? undefined : (Number(values.rate) as 100 | 500),
    });
    try {
      await writeJsonLine(datasetSummary(ds));
      if (values.entries) {
        for (const e of ds.entries) {
          const { scpCodes: _codes, ...rest } = e;
          void _codes;
          await writeJsonLine(rest);
        }
      }
    } finally {
      ds.close();
    }
    return 0;
  },
};
export default command;
