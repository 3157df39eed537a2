import { runPipeline } from "../../pipeline.js";
import {
  parseCommandArgs,
  parseFolds,
  parseNumber,
  writeJsonLine,
  type Command,
} from "../command.js";

const usage = `usage: ecg-tlc pipeline [--out DIR] [--data DIR] [options]

Runs the whole job: (synthetic ECGs ->) train the 1D-ResNet -> fit TLC -> evaluate -> report.
Without --data it generates synthetic 12-lead ECGs (the embedded default); with --data it uses a
PTB-XL-layout folder (e.g. ../shared/data/ptbxl).

  --out DIR            output folder (default out/pipeline): model/, tlc.json, evaluation.json, report.html
  --data DIR           a PTB-XL-layout dataset instead of synthetic ECGs
  --n N                synthetic ECGs to generate (default 500)
  --model MODEL        explain this model folder (trained, or from import-model) instead of training
  --epochs N           training epochs (default 12 on synthetic data, the training default otherwise)
  --k K                clusters (default: TLC's default)
  --train-folds LIST   (default 1-8)
  --val-folds LIST     (default 9)
  --seed S             (default 0)
  --json               print the result paths and fidelity as one JSON line
`;

const command: Command = {
  name: "pipeline",
  summary:
    "the whole job: train, fit TLC, evaluate and write the report (synthetic data by default)",
  usage,
  async run(argv) {
    const { values: v } = parseCommandArgs("pipeline", argv, {
      out: { type: "string", default: "out/pipeline" },
      data: { type: "string" },
      model: { type: "string" },
      n: { type: "string" },
      epochs: { type: "string" },
      k: { type: "string" },
      "train-folds": { type: "string", default: "1-8" },
      "val-folds": { type: "string", default: "9" },
      seed: { type: "string" },
      json: { type: "boolean" },
    });
    const res = await runPipeline({
      out: v.out!,
      data: v.data,
      model: v.model,
      n: parseNumber(v.n, "--n", 500, { integer: true, min: 20 }),
      epochs: v.epochs
        ? parseNumber(v.epochs, "--epochs", 1, { integer: true, min: 1 })
        : undefined,
      k: v.k ? parseNumber(v.k, "--k", 8, { integer: true, min: 2 }) : undefined,
      trainFolds: parseFolds(v["train-folds"]!, "--train-folds"),
      valFolds: parseFolds(v["val-folds"]!, "--val-folds"),
      seed: parseNumber(v.seed, "--seed", 0, { integer: true, min: 0 }),
    });
    if (v.json) {
      await writeJsonLine(res);
      return 0;
    }
    const fid = res.fidelity
      ? `surrogate fidelity ${(100 * res.fidelity.mean).toFixed(1)} +- ${(100 * res.fidelity.std).toFixed(1)} %\n`
      : "";
    process.stdout.write(
      `${fid}report: ${res.report} (open it in any browser)\n` +
        `explore: npx ecg-tlc serve --model ${res.model} --tlc ${res.tlc} --data ${res.data}\n`,
    );
    return 0;
  },
};

export default command;
