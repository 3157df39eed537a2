/**
 * The main job, end to end: data -> trained 1D-ResNet -> fitted TLC -> evaluation -> HTML report.
 * Without a data folder it runs on the embedded synthetic generator, so it always has something
 * to explain. `ecg-tlc pipeline` is a thin wrapper over `runPipeline`.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { ParameterError } from "./errors.js";
import { entriesInFolds, openDataset } from "./io/index.js";
import { loadModel, trainOnDataset } from "./model/index.js";
import { writeReport } from "./report/index.js";
import { writeSyntheticDataset } from "./signal/synth-dataset.js";
import { nameExplainer } from "./eval/name-explainer.js";
import { Tlc } from "./tlc/index.js";

export interface PipelineOptions {
  /** Output folder: data/ (synthetic), model/, tlc.json, evaluation.json, report.html. */
  out: string;
  /** A PTB-XL-layout folder to use instead of synthetic ECGs. */
  data?: string;
  /** A model folder (trained or imported) to explain instead of training one. */
  model?: string;
  /** Synthetic ECGs to generate (default 500). */
  n?: number;
  seed?: number;
  /** Training epochs (default 12 on synthetic data, the training default on real data). */
  epochs?: number;
  /** Clusters (default: TLC's default K). */
  k?: number;
  trainFolds?: number[];
  valFolds?: number[];
  /** One line per stage (default: stderr). */
  log?: (line: string) => void;
}

export interface PipelineResult {
  data: string;
  model: string;
  tlc: string;
  evaluation: string;
  report: string;
  fidelity?: { mean: number; std: number };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const out = resolve(opts.out);
  const seed = opts.seed ?? 0;
  const trainFolds = opts.trainFolds ?? range(1, 8);
  const valFolds = opts.valFolds ?? [9];
  mkdirSync(out, { recursive: true });

  let data = opts.data ? resolve(opts.data) : join(out, "data");
  if (opts.data) {
    if (!existsSync(data)) throw new ParameterError("data", `${opts.data} does not exist`);
  } else {
    const n = opts.n ?? 500;
    log(`pipeline 1/4: writing ${n} synthetic 12-lead ECGs to ${data}`);
    const summary = await writeSyntheticDataset(data, { n, seed, fs: 100 });
    data = summary.dir;
  }

  const modelDir = opts.model ? resolve(opts.model) : join(out, "model");
  log(
    opts.model
      ? `pipeline 2/4: using the model in ${modelDir}`
      : `pipeline 2/4: training the 1D-ResNet (ptbxl100) on folds ${trainFolds.join(",")}`,
  );
  const dataset = await openDataset(data);
  const tlcPath = join(out, "tlc.json");
  try {
    if (!opts.model) {
      await trainOnDataset(dataset, modelDir, {
        preset: "ptbxl100",
        task: "superclass",
        trainFolds,
        valFolds,
        seed,
        ...(opts.epochs !== undefined ? { epochs: opts.epochs } : opts.data ? {} : { epochs: 12 }),
      });
    }

    const fitFolds = [...trainFolds, ...valFolds];
    log(`pipeline 3/4: fitting TLC on folds ${fitFolds.join(",")}`);
    const model = await loadModel(modelDir);
    try {
      const entries = entriesInFolds(dataset.entries, fitFolds);
      const tlc = await Tlc.fit(model, dataset, entries, {
        seed,
        ...(opts.k !== undefined ? { k: opts.k } : {}),
      });
      (await nameExplainer(tlc, model, dataset, entries)).save(tlcPath);
    } finally {
      model.dispose();
    }
  } finally {
    dataset.close();
  }

  log("pipeline 4/4: evaluating and writing the report");
  const report = join(out, "report.html");
  const evaluation = join(out, "evaluation.json");
  const res = await writeReport(modelDir, tlcPath, data, report, { evaluationJson: evaluation });
  const f = res.evaluation.fidelity;
  return {
    data,
    model: modelDir,
    tlc: tlcPath,
    evaluation,
    report,
    ...(f ? { fidelity: { mean: f.mean, std: f.std } } : {}),
  };
}
