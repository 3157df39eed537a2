/**
 * How often Grad-CAM is zero at every step, per tap (docs/EVIDENCE.md, "Grad-CAM below the last
 * block"). Grad-CAM is ReLU(sum_c mean_t(dy/dA_c) A_c(t)): when the gradient-weighted activations
 * are negative at every step the map is empty, which the explorer and `evaluate` must say rather
 * than draw or average. For each ECG of the chosen folds and each class, the map at B1-B4; shares
 * among the CNN's positive calls (where a user looks for evidence) and among all (ECG, class) pairs.
 *
 * usage: node dist/bench/gradcam-zero.js [MODEL_DIR] [FOLDS]   (default /work/models/ptbxl100,
 * fold 9; ECG_TLC_DATA for the data). Skips with a message when the model or the data is missing.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseFolds } from "../src/cli/command.js";
import { openDataset } from "../src/io/index.js";
import { loadModel } from "../src/model/index.js";

const modelDir = process.argv[2] ?? process.env.ECG_TLC_MODEL ?? "/work/models/ptbxl100";
const folds = parseFolds(process.argv[3] ?? "9");
const ptbxl = join(process.env.ECG_TLC_DATA ?? resolve("..", "shared", "data"), "ptbxl");

async function main(): Promise<void> {
  if (!existsSync(join(modelDir, "model.json"))) {
    console.log(`gradcam-zero: skipped (no model at ${modelDir}; pass MODEL_DIR)`);
    return;
  }
  if (!existsSync(join(ptbxl, "ptbxl_database.csv"))) {
    console.log(`gradcam-zero: skipped (no PTB-XL under ${ptbxl})`);
    return;
  }
  const model = await loadModel(modelDir);
  const ds = await openDataset(ptbxl);
  const entries = ds.entries.filter((e) => e.fold !== undefined && folds.includes(e.fold));
  const { classes, thresholds, taps } = model.config;
  const zero = { positive: taps.map(() => 0), all: taps.map(() => 0) };
  let positives = 0;
  for (const e of entries) {
    const prepared = model.prepare(await ds.read(e));
    const out = (await model.forward(prepared.signal, 1)).outputs;
    for (let j = 0; j < classes.length; j++) {
      const positive = out[j] >= thresholds[j];
      if (positive) positives++;
      for (let b = 0; b < taps.length; b++) {
        const map = await model.gradcam(prepared.signal, taps[b], j);
        if (map.some((v) => v > 0)) continue;
        zero.all[b]++;
        if (positive) zero.positive[b]++;
      }
    }
  }
  const pairs = entries.length * classes.length;
  const pct = (v: number, n: number) => `${((100 * v) / n).toFixed(1)} %`;
  console.log(
    `gradcam-zero: ${modelDir}, folds ${folds.join(",")}: ${entries.length} ECGs, ${positives} positive calls of ${pairs} (ECG, class) pairs`,
  );
  console.log("tap | zero maps among positive calls | among all pairs");
  taps.forEach((t, b) =>
    console.log(`${t} | ${pct(zero.positive[b], positives)} | ${pct(zero.all[b], pairs)}`),
  );
  ds.close();
  model.dispose();
}

await main();
