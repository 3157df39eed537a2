/**
 * Training, cross-validation, evaluation and prediction over whole datasets. Evaluation and
 * prediction stream records in batches, so peak memory does not grow with the dataset.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { entriesInFolds } from "../io/datasets/folds.js";
import type { EcgRecord } from "../types.js";
import {
  dataFingerprint,
  loadLabelledSet,
  type LabelledSet,
  targetOf,
  type DatasetLike,
  type EntryLike,
} from "./data.js";
import { predictedLabels } from "../explain/explanation.js";
import type { ModelFace } from "./face.js";
import { loadModel } from "./load.js";
import { ProgressBar } from "./progress.js";
import {
  SUPERCLASSES,
  getPreset,
  type ModelConfig,
  type PresetName,
  type TaskName,
} from "./presets.js";
import {
  scoreClassification,
  scoreRegression,
  type ClassificationScores,
  type RegressionScores,
} from "./scores.js";
import { trainModel, type TrainOptions } from "./train.js";
import { writeFileAtomic } from "./folder.js";

export interface TrainRunOptions extends Partial<TrainOptions> {
  preset: PresetName;
  task: TaskName;
  trainFolds: number[];
  valFolds: number[];
  /** Bytes of prepared signals held in memory; a larger training set is read from a scratch
   * file beside `out` (default DEFAULT_MEMORY_BUDGET). */
  memoryBudget?: number;
}

export function classesFor(task: TaskName): string[] {
  return task === "age" ? ["age"] : SUPERCLASSES;
}

/** Trains on `trainFolds`, validates (early stopping, thresholds) on `valFolds`, writes `out`. */
export async function trainOnDataset<E extends EntryLike>(
  dataset: DatasetLike<E>,
  out: string,
  opts: TrainRunOptions,
): Promise<ModelConfig> {
  const preset = getPreset(opts.preset);
  const classes = classesFor(opts.task);
  const trainEntries = entriesInFolds(dataset.entries, opts.trainFolds, "trainFolds");
  const valEntries = entriesInFolds(dataset.entries, opts.valFolds, "valFolds");
  const bar = new ProgressBar(opts.progress === undefined ? process.stderr : opts.progress);
  const onRecord = (what: string) => (done: number, total: number) =>
    bar.update(`reading ${what}`, done, total, "", NaN);
  const spec = preset.preprocessing;
  mkdirSync(out, { recursive: true });
  const budget = { memoryBudget: opts.memoryBudget, scratchDir: out };
  const train = await loadLabelledSet(
    dataset,
    trainEntries,
    spec,
    opts.task,
    classes,
    onRecord("train"),
    budget,
  );
  const val = await loadLabelledSet(
    dataset,
    valEntries,
    spec,
    opts.task,
    classes,
    onRecord("val"),
    budget,
  );
  const where = (s: LabelledSet) => (s.rows ? " (read from disk: over the memory budget)" : "");
  bar.line(`${train.n} training${where(train)} and ${val.n} validation${where(val)} records`);
  try {
    return await trainModel(
      out,
      train,
      val,
      {
        preset: opts.preset,
        task: opts.task,
        classes,
        data: {
          root: dataset.root,
          fingerprint: dataFingerprint([...trainEntries, ...valEntries]),
          trainFolds: opts.trainFolds,
          valFolds: opts.valFolds,
          train: train.n,
          val: val.n,
        },
      },
      opts,
    );
  } finally {
    train.rows?.close();
    val.rows?.close();
  }
}

export type Scores = ClassificationScores | RegressionScores;

/** Scores `model` on `entries` (read, prepared and predicted in batches of `batch`). */
export async function evaluateOnDataset<E extends EntryLike>(
  model: ModelFace,
  dataset: DatasetLike<E>,
  entries: E[],
  batch = 64,
): Promise<Scores> {
  const { task, classes, thresholds } = model.config;
  const usable = entries.filter((e) => targetOf(e, task, classes) !== null);
  const k = classes.length;
  const outputs = new Float32Array(usable.length * k);
  const targets = new Float32Array(usable.length * k);
  for await (const r of predictBatches(model, usable, (e) => dataset.read(e), batch)) {
    outputs.set(r.outputs, r.index * k);
    targets.set(targetOf(r.item, task, classes)!, r.index * k);
  }
  return task === "age"
    ? scoreRegression(outputs, targets)
    : scoreClassification(outputs, targets, classes, thresholds);
}

/**
 * Predicts items read by `read` in batches of `batch`: yields { item, index, record, outputs }
 * per item, in order. Only one batch of signals is held at a time.
 */
export async function* predictBatches<T>(
  model: ModelFace,
  items: T[],
  read: (item: T) => Promise<EcgRecord> | EcgRecord,
  batch = 64,
): AsyncGenerator<{ item: T; index: number; record: EcgRecord; outputs: Float32Array }> {
  const { leads, length } = model.config.preprocessing;
  const per = leads.length * length;
  const k = model.config.classes.length;
  const x = new Float32Array(batch * per);
  for (let b = 0; b < items.length; b += batch) {
    const m = Math.min(batch, items.length - b);
    const records: EcgRecord[] = [];
    for (let i = 0; i < m; i++) {
      const record = await read(items[b + i]);
      x.set(model.prepare(record).signal, i * per);
      records.push(record);
    }
    const { outputs } = await model.forward(x.subarray(0, m * per), m);
    for (let i = 0; i < m; i++) {
      yield {
        item: items[b + i],
        index: b + i,
        record: records[i],
        outputs: outputs.slice(i * k, (i + 1) * k),
      };
    }
  }
}

/** { class: probability } (or { age }) and the labels above their thresholds. */
export function describeOutputs(
  config: ModelConfig,
  outputs: ArrayLike<number>,
): { outputs: Record<string, number>; labels: string[] } {
  const o: Record<string, number> = {};
  config.classes.forEach((c, i) => (o[c] = outputs[i]));
  return { outputs: o, labels: predictedLabels(config, outputs) };
}

/**
 * 10-fold cross-validation by strat_fold: for each fold f present, train on the others but the
 * next one (validation), and score on f. Writes out/fold-f/ and out/cv.json.
 */
export async function crossValidate<E extends EntryLike>(
  dataset: DatasetLike<E>,
  out: string,
  opts: Omit<TrainRunOptions, "trainFolds" | "valFolds">,
): Promise<{ folds: { fold: number; scores: Scores }[] }> {
  const folds = [
    ...new Set(dataset.entries.map((e) => e.fold).filter((f): f is number => f !== undefined)),
  ].sort((a, b) => a - b);
  const results: { fold: number; scores: Scores }[] = [];
  for (let i = 0; i < folds.length; i++) {
    const test = folds[i];
    const val = folds[(i + 1) % folds.length];
    const dir = join(out, `fold-${test}`);
    await trainOnDataset(dataset, dir, {
      ...opts,
      trainFolds: folds.filter((f) => f !== test && f !== val),
      valFolds: [val],
    });
    const model = await loadModel(dir);
    results.push({
      fold: test,
      scores: await evaluateOnDataset(model, dataset, entriesInFolds(dataset.entries, [test])),
    });
    model.dispose();
    writeFileAtomic(join(out, "cv.json"), JSON.stringify({ folds: results }, null, 2) + "\n");
  }
  return { folds: results };
}
