import { openDataset } from "../../io/index.js";
import { UsageError } from "../../errors.js";
import {
  TRAIN_DEFAULTS,
  type NetworkHead,
  checkTask,
  crossValidate,
  getPreset,
  setNumThreads,
  trainOnDataset,
} from "../../model/index.js";
import {
  parseCommandArgs,
  parseFolds,
  parseNumber,
  writeJsonLine,
  type Command,
} from "../command.js";

const d = TRAIN_DEFAULTS;
const usage = `usage: ecg-tlc train --data DIR --out MODEL [--preset ptbxl100] [--task superclass]
                     [--train-folds 1-8 --val-folds 9 | --cv] [options]

Trains the 1D-ResNet (Ribeiro et al. 2020) on a dataset (PTB-XL layout) and writes a model folder
(weights.pt + model.json). Validation folds drive early stopping, the learning-rate reduction on
plateau and the per-class decision thresholds (max F1).

  --data DIR           dataset folder (PTB-XL: ptbxl_database.csv + records100/)
  --out MODEL          model folder to write (checkpoints in MODEL/checkpoint/)
  --preset NAME        ptbxl100 (100 Hz, 1,024 samples; default) or ribeiro2020 (400 Hz, 4,096)
  --task NAME          superclass (NORM, MI, STTC, CD, HYP; default) or age (regression)
  --train-folds LIST   strat_folds to train on (default 1-8)
  --val-folds LIST     strat_folds to validate on (default 9)
  --cv                 cross-validation by strat_fold: one model per test fold in MODEL/fold-N/,
                       scores in MODEL/cv.json
  --epochs N           maximum epochs (default ${d.epochs})
  --batch-size N       (default ${d.batchSize})
  --lr X               Adam learning rate (default ${d.lr})
  --weight-decay X     decoupled weight decay (default ${d.weightDecay})
  --dropout X          (default ${d.dropout})
  --head mean|flatten  output head: mean over time -> linear (default: better AUROC and clusters
                       that follow the waves, docs/EVIDENCE.md) or flatten -> linear (Ribeiro et
                       al., the paper's setup)
  --patience N         early stopping: epochs without a better validation loss (default ${d.patience})
  --shift S            augmentation: random time shift up to S seconds either way (default ${d.shift})
  --scale X            augmentation: random amplitude factor in [1-X, 1+X] (default ${d.scale})
  --noise X            augmentation: Gaussian noise std, in z-scored units (default ${d.noise})
  --seed S             (default ${d.seed})
  --threads N          libtorch threads (default: every core)
  --resume             continue from MODEL/checkpoint after an interruption
  --memory-budget GB   prepared signals held in memory (default: a third of the machine's);
                       a larger training set is written to MODEL/ and its batches read from disk
  --json               print the validation scores as one JSON line
`;

const command: Command = {
  name: "train",
  summary: "train the 1D-ResNet on a dataset and write a model folder",
  usage,
  async run(argv) {
    const { values: v } = parseCommandArgs("train", argv, {
      data: { type: "string" },
      out: { type: "string" },
      preset: { type: "string", default: "ptbxl100" },
      task: { type: "string", default: "superclass" },
      "train-folds": { type: "string", default: "1-8" },
      "val-folds": { type: "string", default: "9" },
      cv: { type: "boolean" },
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      "weight-decay": { type: "string" },
      dropout: { type: "string" },
      head: { type: "string" },
      patience: { type: "string" },
      shift: { type: "string" },
      scale: { type: "string" },
      noise: { type: "string" },
      seed: { type: "string" },
      threads: { type: "string" },
      resume: { type: "boolean" },
      json: { type: "boolean" },
      "memory-budget": { type: "string" },
    });
    if (!v.data) throw new UsageError("train: --data DIR is required");
    if (!v.out) throw new UsageError("train: --out MODEL is required");
    const preset = getPreset(v.preset!).name;
    const task = checkTask(v.task!);
    if (v.threads) setNumThreads(parseNumber(v.threads, "--threads", 1, { integer: true, min: 1 }));
    if (v.head !== undefined && v.head !== "flatten" && v.head !== "mean") {
      throw new UsageError(`--head: unknown head '${v.head}' (flatten or mean)`);
    }
    const opts = {
      preset,
      ...(v.head ? { head: v.head as NetworkHead } : {}),
      task,
      epochs: parseNumber(v.epochs, "--epochs", d.epochs, { integer: true, min: 1 }),
      batchSize: parseNumber(v["batch-size"], "--batch-size", d.batchSize, {
        integer: true,
        min: 2,
      }),
      lr: parseNumber(v.lr, "--lr", d.lr, { min: 0 }),
      weightDecay: parseNumber(v["weight-decay"], "--weight-decay", d.weightDecay, { min: 0 }),
      dropout: parseNumber(v.dropout, "--dropout", d.dropout, { min: 0, max: 0.95 }),
      patience: parseNumber(v.patience, "--patience", d.patience, { integer: true, min: 1 }),
      shift: parseNumber(v.shift, "--shift", d.shift, { min: 0 }),
      scale: parseNumber(v.scale, "--scale", d.scale, { min: 0, max: 0.95 }),
      noise: parseNumber(v.noise, "--noise", d.noise, { min: 0 }),
      seed: parseNumber(v.seed, "--seed", d.seed, { integer: true, min: 0 }),
      resume: Boolean(v.resume),
      ...(v["memory-budget"]
        ? {
            memoryBudget:
              parseNumber(v["memory-budget"], "--memory-budget", 0, { min: 0 }) * 2 ** 30,
          }
        : {}),
    };
    const dataset = await openDataset(v.data);
    try {
      if (v.cv) {
        const cv = await crossValidate(dataset, v.out, opts);
        if (v.json) await writeJsonLine(cv);
      } else {
        const config = await trainOnDataset(dataset, v.out, {
          ...opts,
          trainFolds: parseFolds(v["train-folds"]!, "--train-folds"),
          valFolds: parseFolds(v["val-folds"]!, "--val-folds"),
        });
        if (v.json) await writeJsonLine({ model: v.out, validation: config.validation });
        else process.stderr.write(`model written to ${v.out}\n`);
      }
    } finally {
      dataset.close();
    }
    return 0;
  },
};

export default command;
