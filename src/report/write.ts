/**
 * The report from files on disk: model folder + explainer JSON + dataset folder -> report.html.
 * What `ecg-tlc report` (and the pipeline) call.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ParameterError } from "../errors.js";
import { entriesInFolds, openDataset } from "../io/index.js";
import { describeNetwork, loadModel } from "../model/index.js";
import { describeFeatures, Tlc } from "../tlc/index.js";
import { writeFileAtomic } from "../viz/png.js";
import { buildReport, type BuildReportOptions } from "./build.js";
import { readComparison } from "./compare.js";
import type { EvaluationResult } from "../eval/evaluate.js";
import { alignRecords, datasetRecordPaths, type AlignReport } from "../eval/landmarks.js";

export interface WriteReportOptions extends BuildReportOptions {
  /** strat_folds to evaluate (default: every record of the dataset). */
  folds?: number[];
  /** At most this many records (the first ones, in dataset order), for quick looks. */
  limit?: number;
  /** Also write the evaluation result as JSON here. */
  evaluationJson?: string;
  /** Fidelity vs K: explainer files fitted with other K on the same model, or the K to fit
   * (like the report's explainer but K, on `fitFolds`, in one pass through the model). */
  byK?: string[] | number[];
  /** strat_folds the K of `byK` are fitted on (default: the evaluated records). */
  fitFolds?: number[];
  /**
   * Landmark alignment on this dataset's records instead of the delineated evaluated ECGs: the
   * cardiologists' lead II annotations where a record has them (LUDB), else the delineator.
   */
  alignData?: string;
  /** Evaluation JSON files to show beside ours, "LABEL=FILE" (see compare.ts). */
  compareFiles?: string[];
}

/** Loads everything, builds the report and writes it atomically; resolves to what was written. */
export async function writeReport(
  modelDir: string,
  tlcPath: string,
  dataDir: string,
  out: string,
  opts: WriteReportOptions = {},
): Promise<{ out: string; evaluation: EvaluationResult; bytes: number }> {
  // Read first: a wrong file fails before the evaluation runs.
  const compare = (opts.compareFiles ?? []).map(readComparison);
  const model = await loadModel(modelDir);
  try {
    const tlc = Tlc.load(tlcPath, model);
    const dataset = await openDataset(dataDir);
    try {
      let entries = opts.folds ? entriesInFolds(dataset.entries, opts.folds) : dataset.entries;
      if (opts.limit !== undefined) entries = entries.slice(0, opts.limit);
      // The surrogate is cross-validated fold by fold: one fold leaves nothing to train on.
      const folds = new Set(entries.map((e) => e.fold ?? 0));
      if (folds.size < 2) {
        throw new ParameterError(
          opts.folds ? "folds" : "data",
          `${opts.folds ? "" : `${dataDir}: `}the surrogate's cross-validation needs records in at least two folds, got ${folds.size} (${entries.length} records)`,
        );
      }
      // Other K: fitted here like the explainer (K given), or loaded (explainer files).
      const otherK = async (): Promise<Tlc[]> => {
        const others = opts.byK ?? [];
        if (others.length === 0) return [];
        if (!others.every((x): x is number => typeof x === "number"))
          return others.map((p) => Tlc.load(String(p), model));
        const fitOn = opts.fitFolds
          ? entriesInFolds(dataset.entries, opts.fitFolds, "fitFolds", dataDir)
          : entries;
        return tlc.refitEach(model, dataset, fitOn, others, {
          onProgress: (p) => opts.progress?.(`by-K fit: ${p.stage}`, p.done, p.total),
        });
      };
      const fitted = await otherK();
      let aligned: AlignReport | undefined;
      if (opts.alignData) {
        aligned = await alignRecords(tlc.bind(model), await datasetRecordPaths(opts.alignData), {
          progress: (done, total) => opts.progress?.("alignment", done, total),
        });
      }
      const byK = fitted.map((t) => ({ k: t.k, explainer: t }));
      const { html, evaluation, extras } = await buildReport(tlc.bind(model), dataset, entries, {
        ...opts,
        ...(aligned ? { alignmentResult: aligned } : {}),
        ...(compare.length ? { compare } : {}),
        evaluate: {
          ...opts.evaluate,
          byK: byK.length ? byK : opts.evaluate?.byK,
        },
        meta: [
          ["model", resolve(modelDir)],
          ["network", describeNetwork(model.config)],
          ["explainer", resolve(tlcPath)],
          ["TLC features", describeFeatures(tlc)],
          ["data", `${resolve(dataDir)} (${dataset.kind})`],
          ...(opts.folds ? ([["folds", opts.folds.join(", ")]] as [string, string][]) : []),
          ...(aligned
            ? ([
                [
                  "alignment",
                  `${resolve(opts.alignData!)}: ${aligned.records} records, lead ${aligned.lead} (${aligned.sources.annotations} with cardiologists' annotations, ${aligned.sources.delineator} delineated)`,
                ],
              ] as [string, string][])
            : []),
          ["written", new Date().toISOString()],
          ...(opts.meta ?? []),
        ],
      });
      mkdirSync(dirname(resolve(out)), { recursive: true });
      writeFileAtomic(out, html);
      // As 'evaluate --json' writes it: with the alignment, so that '--compare' can show it.
      const saved = extras.alignment ? { ...evaluation, alignment: extras.alignment } : evaluation;
      if (opts.evaluationJson) writeFileAtomic(opts.evaluationJson, JSON.stringify(saved) + "\n");
      return { out: resolve(out), evaluation, bytes: Buffer.byteLength(html) };
    } finally {
      dataset.close();
    }
  } finally {
    model.dispose();
  }
}
