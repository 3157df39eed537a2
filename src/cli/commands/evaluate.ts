import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../../errors.js";
import { entriesInFolds, openDataset } from "../../io/index.js";
import { decisionThresholds } from "../../explain/explanation.js";
import { checkTap } from "../../explain/gradcam.js";
import { describeNetwork, loadModel } from "../../model/index.js";
import type { ModelFace } from "../../model/face.js";
import { describeFeatures, Tlc } from "../../tlc/index.js";
import { progressPrinter } from "../tlc-options.js";
import type { Bindable } from "../../eval/analyses/by-k.js";
import { evaluate, type EvaluationResult } from "../../eval/evaluate.js";
import { evaluateShard } from "../../scale/evaluate.js";
import { sha256File } from "../../scale/output.js";
import { parseShard } from "../../scale/shard.js";
import { alignRecords, datasetRecordPaths } from "../../eval/landmarks.js";
import { perEcgCsv } from "../../eval/table.js";
import { renderMarkdown } from "../../eval/report.js";
import {
  parseCommandArgs,
  parseFolds,
  parseKs,
  optionalNumber,
  parseNumber,
  writeJsonLine,
  type Command,
} from "../command.js";

const usage = `usage: ecg-tlc evaluate --model MODEL --tlc TLC.json --data DIR [options]

Reproduces the paper's analyses on a labelled dataset: surrogate fidelity (random forest on
cluster proportions, cross-validated by strat_fold) beside the CNN, label correlation,
uncertainty by class and wave, cluster importance (permutation, deletion), stability under
noise, Grad-CAM beside TLC, prototypes and possible label errors. Progress goes to stderr.

  --model MODEL      model folder
  --tlc FILE         explainer written by 'ecg-tlc fit'
  --data DIR         dataset folder (PTB-XL layout; strat_fold gives the folds)
  --folds LIST       folds to evaluate, e.g. 1-9 (default: all)
  --json             one JSON object on stdout instead of the Markdown report
  --out FILE         also write the report (Markdown, or JSON with --json) to FILE
  --by-k LIST        fidelity by K: refit TLC for each K (e.g. 2-20) on --fit-folds
  --fit-folds LIST   folds the by-K explainers are fitted on (default: --folds)
  --by-k-points N    vectors each by-K fit clusters, a uniform sample (default: as many as the
                     explainer was fitted on)
  --table FILE.csv   also write one row per ECG: fold, true labels, the CNN's probabilities and
                     labels, the surrogate's out-of-fold vote share, the cluster proportions
  --ludb DIR         also align clusters with the LUDB lead II annotations of DIR
  --sample N         ECGs for deletion, stability and Grad-CAM (default 100)
  --trees N          trees per forest (default 100)
  --noise X          stability noise, fraction of each lead's std (default 0.1)
  --gradcam-tap T    tap of the Grad-CAM compared with TLC (default: the explainer's last tap,
                     so both look at the same activations)
  --no-waves         skip delineation (uncertainty by wave)
  --shard I/N        only shard I (0 to N-1) of the records: its per-ECG pass written to --out
                     PART.json (with PART.json.manifest.json); 'ecg-tlc merge --model MODEL --tlc
                     TLC.json PART.json...' combines the shards into the single run's result
`;

const command: Command = {
  name: "evaluate",
  summary: "surrogate fidelity and the paper's analyses, with the paper's numbers beside ours",
  usage,
  flags: { entries: "evaluate" },
  async run(argv) {
    const { values: v } = parseCommandArgs("evaluate", argv, {
      model: { type: "string" },
      tlc: { type: "string" },
      data: { type: "string" },
      folds: { type: "string" },
      json: { type: "boolean" },
      out: { type: "string" },
      "by-k": { type: "string" },
      "fit-folds": { type: "string" },
      "by-k-points": { type: "string" },
      table: { type: "string" },
      ludb: { type: "string" },
      sample: { type: "string" },
      trees: { type: "string" },
      noise: { type: "string" },
      "gradcam-tap": { type: "string" },
      "no-waves": { type: "boolean" },
      shard: { type: "string" },
    });
    if (!v.model) throw new UsageError("evaluate: --model MODEL is required");
    if (!v.tlc) throw new UsageError("evaluate: --tlc TLC.json is required");
    if (!v.data) throw new UsageError("evaluate: --data DIR is required");
    const sample = optionalNumber(v.sample, "--sample", { integer: true, min: 0 });
    const trees = optionalNumber(v.trees, "--trees", { integer: true, min: 1 });
    const noise = optionalNumber(v.noise, "--noise", { min: 0 });
    const folds = v.folds ? parseFolds(v.folds, "--folds") : undefined;
    const byK = v["by-k"] ? parseKs(v["by-k"]) : [];
    const byKPoints = v["by-k-points"]
      ? parseNumber(v["by-k-points"], "--by-k-points", 0, { integer: true, min: 1 })
      : undefined;
    const shard = v.shard === undefined ? undefined : parseShard(v.shard);
    if (shard) {
      if (!v.out)
        throw new UsageError("evaluate: --shard needs --out PART.json (the shard's state)");
      for (const o of ["by-k", "table", "ludb", "json"] as const)
        if (v[o] !== undefined)
          throw new UsageError(`evaluate: --${o} is not for a shard (give it to 'ecg-tlc merge')`);
    }
    const model = await loadModel(v.model);
    const tlc = Tlc.load(v.tlc, model);
    const explainer = tlc.bind(model);
    const tap = v["gradcam-tap"];
    const gradcamTap = tap === undefined ? undefined : checkTap(model.config, tap);
    const dataset = await openDataset(v.data);
    const progress = (stage: string, done: number, total: number) => {
      if (done === total || done % 50 === 0)
        process.stderr.write(`evaluate: ${stage} ${done}/${total}\n`);
    };
    try {
      const entries = folds
        ? dataset.entries.filter((e) => e.fold !== undefined && folds.includes(e.fold))
        : dataset.entries;
      if (entries.length === 0)
        throw new UsageError(`--folds: no records of ${v.data} in folds ${v.folds}`);
      // The LUDB records are listed before the long pass, so a wrong folder fails at once.
      const ludbPaths = v.ludb ? await datasetRecordPaths(v.ludb) : undefined;
      if (shard) {
        const m = await evaluateShard(explainer, dataset, entries, {
          out: v.out!,
          shard,
          explainerSha256: sha256File(v.tlc),
          waves: !v["no-waves"],
          sample,
          noise,
          gradcamTap,
          progress,
        });
        process.stderr.write(
          `evaluate: shard ${v.shard}: ${m.output.records} ECGs (${m.range[0]}-${m.range[1]}) -> ${v.out}\n`,
        );
        return 0;
      }
      const explainers: { k: number; explainer: Bindable }[] = [];
      if (byK.length) {
        const fitFolds = v["fit-folds"] ? parseFolds(v["fit-folds"], "--fit-folds") : undefined;
        const fitOn = fitFolds
          ? entriesInFolds(dataset.entries, fitFolds, "fitFolds", v.data)
          : entries;
        process.stderr.write(
          `evaluate: fitting TLC with K=${byK.join(",")} on ${fitOn.length} ECGs (one pass)\n`,
        );
        const fitted = await tlc.refitEach(model, dataset, fitOn, byK, {
          maxPoints: byKPoints,
          onProgress: progressPrinter("evaluate: by-K fit"),
        });
        fitted.forEach((explainer, i) => explainers.push({ k: byK[i], explainer }));
      }
      const result = await evaluate(explainer, dataset, entries, {
        forest: trees === undefined ? undefined : { nEstimators: trees },
        waves: !v["no-waves"],
        sample,
        noise,
        byK: explainers,
        perEcg: Boolean(v.table),
        gradcamTap,
        progress,
      });
      await writeEvaluation(result, { ...v, model: v.model, tlc: v.tlc }, model, tlc, () =>
        ludbPaths
          ? alignRecords(explainer, ludbPaths, { progress: (d, n) => progress("align", d, n) })
          : Promise.resolve(undefined),
      );
    } finally {
      dataset.close();
      model.dispose();
    }
    return 0;
  },
};

/** Prints (and writes) an evaluation as the report or JSON, and its per-ECG table. */
export async function writeEvaluation(
  result: EvaluationResult,
  v: { model: string; tlc: string; json?: boolean; out?: string; table?: string },
  model: ModelFace,
  tlc: Tlc,
  align: () => Promise<Awaited<ReturnType<typeof alignRecords>> | undefined> = () =>
    Promise.resolve(undefined),
): Promise<void> {
  if (result.perEcg) {
    writeFileSync(
      v.table!,
      perEcgCsv(
        result.perEcg,
        model.config.task === "age" ? undefined : decisionThresholds(model.config),
      ),
    );
    delete result.perEcg;
  }
  const alignment = await align();
  const full = alignment ? { ...result, alignment } : result;
  if (v.json) {
    await writeJsonLine(full);
    if (v.out) writeFileSync(v.out, JSON.stringify(full) + "\n");
  } else {
    const md = renderMarkdown(result, alignment, [
      ["model", resolve(v.model)],
      ["network", describeNetwork(model.config)],
      ["explainer", resolve(v.tlc)],
      ["TLC features", describeFeatures(tlc)],
    ]);
    process.stdout.write(md + "\n");
    if (v.out) writeFileSync(v.out, md + "\n");
  }
}

export default command;
