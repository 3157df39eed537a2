import { openDataset } from "../../io/index.js";
import { UsageError } from "../../errors.js";
import { entriesInFolds } from "../../io/index.js";
import { evaluateOnDataset, loadModel } from "../../model/index.js";
import { parseCommandArgs, parseFolds, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc evaluate-model --model MODEL --data DIR --folds LIST [--json]

Scores a trained model on strat_folds of a dataset: per-class and macro AUROC, accuracy and F1 at
the model's thresholds (superclass), or MAE and R^2 in years (age).

  --model MODEL   model folder
  --data DIR      dataset folder (PTB-XL layout)
  --folds LIST    strat_folds to score, e.g. 9 or 9,10 (default 9)
  --json          the scores as one JSON line
`;

const command: Command = {
  name: "evaluate-model",
  summary: "score a trained model on dataset folds (AUROC, accuracy, F1; MAE, R^2)",
  usage,
  async run(argv) {
    const { values: v } = parseCommandArgs("evaluate-model", argv, {
      model: { type: "string" },
      data: { type: "string" },
      folds: { type: "string", default: "9" },
      json: { type: "boolean" },
    });
    if (!v.model) throw new UsageError("evaluate-model: --model MODEL is required");
    if (!v.data) throw new UsageError("evaluate-model: --data DIR is required");
    const folds = parseFolds(v.folds!, "--folds");
    const model = await loadModel(v.model);
    const dataset = await openDataset(v.data);
    try {
      const scores = await evaluateOnDataset(
        model,
        dataset,
        entriesInFolds(dataset.entries, folds),
      );
      if (v.json) await writeJsonLine({ model: v.model, folds, ...scores });
      else if (scores.task === "age") {
        process.stdout.write(
          `n ${scores.n}  MAE ${scores.mae.toFixed(2)} years  R^2 ${scores.r2.toFixed(3)}\n`,
        );
      } else {
        for (const [c, s] of Object.entries(scores.classes)) {
          process.stdout.write(
            `${c.padEnd(5)} AUROC ${s.auroc.toFixed(3)}  accuracy ${s.accuracy.toFixed(3)}  F1 ${s.f1.toFixed(3)}\n`,
          );
        }
        const m = scores.macro;
        process.stdout.write(
          `macro AUROC ${m.auroc.toFixed(3)}  accuracy ${m.accuracy.toFixed(3)}  F1 ${m.f1.toFixed(3)}  (n ${scores.n})\n`,
        );
      }
    } finally {
      dataset.close();
      model.dispose();
    }
    return 0;
  },
};

export default command;
