/**
 * The whole evaluation of an explainer bound to its model on a labelled dataset: one pass over
 * the ECGs feeds each per-ECG analysis (src/eval/analyses/, each an accumulator), then the
 * dataset-level analyses run on what the pass collected.
 */
import { ParameterError } from "../errors.js";
import {
  comparisonGradcamTap,
  decisionThresholds,
  type BoundExplainer,
  type Explanation,
} from "../explain/explanation.js";
import { evaluationLevel, LeafView, mergeLeaves } from "../explain/levels.js";
import type { RecordSource } from "../io/datasets/types.js";
import type { ForestOptions } from "./forest.js";
import { labelCorrelation, labelErrorCandidates } from "./analyses.js";
import { fidelityByK, type Bindable, type FidelityByK } from "./analyses/by-k.js";
import { DeletionImportance } from "./analyses/deletion.js";
import { EvaluatedEcg, readBatches, type EcgAnalysis, type EvalEntry } from "./analyses/ecg.js";
import { GradcamAnalysis, type GradcamResult } from "./analyses/gradcam.js";
import { PrototypeAnalysis, type PrototypesResult } from "./analyses/prototypes.js";
import { StabilityAnalysis, type StabilityResult } from "./analyses/stability.js";
import {
  ageSurrogate,
  classificationSurrogates,
  type ClassificationSurrogates,
  type Collected,
  type PerEcgTable,
} from "./analyses/surrogates.js";
import { UncertaintyAnalysis, type UncertaintyResult } from "./analyses/uncertainty.js";
import {
  regressionFidelity,
  surrogateFidelity,
  type FidelityResult,
  type LabelScores,
  type RegressionFidelity,
} from "./surrogate.js";

export interface EvaluateOptions {
  forest?: ForestOptions;
  /** Delineate each ECG for uncertainty by wave (default true). */
  waves?: boolean;
  /** ECGs used for the costly analyses (deletion, stability, Grad-CAM); default 100. */
  sample?: number;
  /** Noise added for the stability analysis, as a fraction of each lead's std (default 0.1). */
  noise?: number;
  /** Tap of the Grad-CAM compared with the clusters (default `comparisonGradcamTap`: the
   * explainer's last tap, so both look at the same activations). */
  gradcamTap?: string;
  /** Deletion curves of Grad-CAM, the clusters and random order on the Grad-CAM sample (default true). */
  deletionCurves?: boolean;
  /** Lead of the prototypes (default "II"). */
  prototypeLead?: string;
  /** Explainers to compare by K: fidelity by K when given. */
  byK?: { k: number; explainer: Bindable }[];
  /** Also return the per-ECG table (`EvaluationResult.perEcg`). */
  perEcg?: boolean;
  progress?: (stage: string, done: number, total: number) => void;
}

/** The evaluation result: plain JSON (the HTML report reads it). A classifier's result has the
 * surrogate fields, an age model's `regression`. */
export interface EvaluationResult extends Partial<ClassificationSurrogates> {
  task: string;
  classes: string[];
  k: number;
  n: number;
  folds: number[];
  regression?: RegressionFidelity;
  /** K x classes Pearson correlation of hard proportions with the CNN's probabilities. */
  correlation: number[][];
  uncertainty: UncertaintyResult;
  importance: {
    /** Per cluster, drop of agreement with the CNN when its proportion is shuffled (held-out folds). */
    permutation: { mean: number[]; std: number[] };
    /** Per cluster, mean |change| of the CNN's outputs when its segments are blanked. */
    deletion: number[];
    /** Forest mean decrease in impurity per cluster. */
    impurity: number[];
  };
  stability: StabilityResult;
  gradcam?: GradcamResult;
  prototypes: PrototypesResult;
  labelErrors: ReturnType<typeof labelErrorCandidates>;
  fidelityByK?: FidelityByK;
  /** Per ECG, with `perEcg: true` (`ecg-tlc evaluate --table`): what the surrogate saw. */
  perEcg?: PerEcgTable;
  /**
   * A two-level explainer's evaluation is per leaf (k = leaves; `clusters` above are leaves): the
   * leaves' names and wave clusters, and for comparison the same surrogate on the wave
   * proportions (each wave's states merged).
   */
  leaves?: { names: string[]; waves: number[] };
  waveLevel?: {
    k: number;
    fidelity?: FidelityResult["fidelity"];
    surrogate?: LabelScores;
    cnn?: LabelScores;
    regression?: RegressionFidelity;
  };
  seconds: number;
}

/**
 * One pass: every ECG of `entries` read, explained and given to each analysis; the arrays the
 * forests need. `first`: the position of entries[0] in the whole evaluated set (a shard's start).
 */
async function collect<E extends EvalEntry>(
  explainer: BoundExplainer,
  dataset: RecordSource<E>,
  entries: E[],
  first: number,
  analyses: EcgAnalysis<unknown, never[]>[],
  inSample: (i: number) => boolean,
  progress?: (done: number, total: number) => void,
): Promise<Collected> {
  const n = entries.length;
  const { classes } = explainer.model.config;
  const c = classes.length;
  let k = 0;
  let features = new Float64Array(0);
  let soft = new Float64Array(0);
  const scores = new Float64Array(n * c);
  const truth = new Uint8Array(n * c);
  const ages: number[] = [];
  for await (const { start: b, chunk, records } of readBatches(dataset, entries)) {
    const exs: Explanation[] = await explainer.explain(records);
    for (let q = 0; q < chunk.length; q++) {
      const i = b + q;
      const e = chunk[q];
      const ex = exs[q];
      if (i === 0) {
        k = ex.proportions.length;
        features = new Float64Array(n * k);
        soft = new Float64Array(n * k);
      }
      features.set(ex.proportions, i * k);
      soft.set(ex.softProportions, i * k);
      classes.forEach((name, j) => {
        scores[i * c + j] = ex.outputs[name] ?? NaN;
        truth[i * c + j] = e.labels.includes(name) ? 1 : 0;
      });
      ages.push(e.age ?? NaN);
      const at = first + i;
      const ecg = new EvaluatedEcg(at, e, records[q], ex, inSample(at), explainer.model);
      for (const a of analyses) await a.add(ecg);
      progress?.(i + 1, n);
    }
  }
  const ids = entries.map((e) => e.id);
  const folds = entries.map((e) => e.fold ?? 0);
  return { ids, folds, features, soft, scores, truth, ages, k };
}

/** Refuses entries the surrogate cannot be cross-validated on, before the long pass. */
function checkFolds(entries: EvalEntry[]): void {
  const foldSet = new Set(entries.map((e) => e.fold));
  if (foldSet.size >= 2) return;
  const which = foldSet.has(undefined)
    ? "have no cross-validation folds (strat_fold)"
    : `are all in fold ${[...foldSet][0]}`;
  throw new ParameterError(
    "entries",
    `the ${entries.length} ECGs ${which}; the surrogate needs at least two (a dataset with folds, e.g. PTB-XL, and entries from two folds or more)`,
  );
}

/** The per-ECG analyses of one evaluation, fed in this order. */
export interface PerEcgAnalyses {
  uncertainty: UncertaintyAnalysis;
  prototypes: PrototypeAnalysis;
  deletion: DeletionImportance;
  stability: StabilityAnalysis;
  gradcam: GradcamAnalysis;
}

/** What the pass over the ECGs leaves (of all of them, or of a shard's). */
export interface EvaluationPass {
  col: Collected;
  analyses: PerEcgAnalyses;
}

/** The options that change what the pass computes (shards of one run must agree on them). */
export function passOptions(explainer: BoundExplainer, opts: EvaluateOptions) {
  return {
    waves: opts.waves !== false,
    sample: opts.sample ?? 100,
    noise: opts.noise ?? 0.1,
    gradcamTap: opts.gradcamTap ?? comparisonGradcamTap(explainer),
    deletionCurves: opts.deletionCurves !== false,
    prototypeLead: opts.prototypeLead ?? "II",
  };
}

/** Fresh per-ECG analyses for `opts`. */
export function perEcgAnalyses(evaluated: BoundExplainer, opts: EvaluateOptions): PerEcgAnalyses {
  const explainer = evaluationLevel(evaluated);
  const o = passOptions(explainer, opts);
  const { classes, task } = explainer.model.config;
  return {
    uncertainty: new UncertaintyAnalysis(classes, task, o.waves),
    prototypes: new PrototypeAnalysis(o.prototypeLead),
    deletion: new DeletionImportance(),
    stability: new StabilityAnalysis(explainer, o.noise),
    gradcam: new GradcamAnalysis(explainer.model, o.gradcamTap, o.deletionCurves),
  };
}

/**
 * The pass over entries [start, end) of `entries` (default: all). The costly analyses take every
 * (n / sample)-th ECG of all `entries`, counted in the whole set (not the range), so the sample
 * spans every fold and a shard samples the ECGs the single run does.
 */
export async function evaluationPass<E extends EvalEntry>(
  evaluated: BoundExplainer,
  dataset: RecordSource<E>,
  entries: E[],
  opts: EvaluateOptions = {},
  range: [number, number] = [0, entries.length],
): Promise<EvaluationPass> {
  const explainer = evaluationLevel(evaluated);
  checkFolds(entries);
  const sample = Math.min(passOptions(explainer, opts).sample, entries.length);
  const every = Math.max(1, Math.floor(entries.length / Math.max(1, sample)));
  const inSample = (i: number) => sample > 0 && i % every === 0;
  const analyses = perEcgAnalyses(explainer, opts);
  const { uncertainty, prototypes, deletion, stability, gradcam } = analyses;
  // In this order: deletion probes the model first, the others reuse its outputs.
  const perEcg = [uncertainty, prototypes, deletion, stability, gradcam];
  const mine = entries.slice(range[0], range[1]);
  const col = await collect(explainer, dataset, mine, range[0], perEcg, inSample, (d, n) =>
    opts.progress?.("explain", d, n),
  );
  return { col, analyses };
}

/** Runs every analysis. Entries without a fold are treated as fold 0. */
export async function evaluate<E extends EvalEntry>(
  explainer: BoundExplainer,
  dataset: RecordSource<E>,
  entries: E[],
  opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const t0 = performance.now();
  const pass = await evaluationPass(explainer, dataset, entries, opts);
  return finishEvaluation(explainer, pass, opts, t0, { dataset, entries });
}

/**
 * The dataset-level analyses (cross-validated surrogates, correlation, by-K fidelity) on a
 * pass's columns, and the per-ECG analyses' results. `byKOn`: the dataset the by-K explainers
 * re-read (by-K fidelity needs it; a merge of shards has none).
 */
export async function finishEvaluation<E extends EvalEntry>(
  evaluated: BoundExplainer,
  pass: EvaluationPass,
  opts: EvaluateOptions = {},
  t0 = performance.now(),
  byKOn?: { dataset: RecordSource<E>; entries: E[] },
): Promise<EvaluationResult> {
  const explainer = evaluationLevel(evaluated);
  const { model } = explainer;
  const { classes, task } = model.config;
  const thresholds = decisionThresholds(model.config);
  const { col, analyses } = pass;
  const { uncertainty, prototypes, deletion, stability, gradcam } = analyses;
  if (opts.byK?.length && task !== "age" && !byKOn)
    throw new ParameterError("byK", "fidelity by K re-reads the dataset: not on merged shards");
  const { k } = col;
  const forest = opts.forest;
  const surrogates =
    task === "age"
      ? ageSurrogate(col, { forest, perEcg: opts.perEcg })
      : classificationSurrogates(col, classes, thresholds, {
          forest,
          perEcg: opts.perEcg,
          onFold: (_f, d, n) => opts.progress?.("surrogate", d, n),
        });
  const importance = {
    permutation: surrogates.importance.permutation,
    deletion: deletion.result(),
    impurity: surrogates.importance.impurity,
  };
  const cams = gradcam.result(
    importance.deletion.length ? importance.deletion : importance.permutation.mean,
  );
  const byK =
    opts.byK?.length && task !== "age" && byKOn
      ? await fidelityByK(model, opts.byK, byKOn.dataset, byKOn.entries, col, {
          thresholds,
          forest,
          progress: (d, n) => opts.progress?.(`by-K proportions (${opts.byK!.length} K)`, d, n),
        })
      : undefined;
  return {
    task,
    classes,
    k,
    n: col.ids.length,
    folds: [...new Set(col.folds)].sort((a, b) => a - b),
    ...surrogates.fields,
    ...(surrogates.perEcg ? { perEcg: surrogates.perEcg } : {}),
    importance,
    correlation: labelCorrelation(col.features, k, col.scores, classes.length),
    uncertainty: uncertainty.result(),
    stability: stability.result(),
    ...(cams ? { gradcam: cams } : {}),
    prototypes: prototypes.result(),
    labelErrors: "labelErrors" in surrogates ? surrogates.labelErrors : [],
    ...(byK ? { fidelityByK: byK } : {}),
    ...(explainer instanceof LeafView ? waveComparison(explainer, col, thresholds, opts) : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The leaves' names and waves, and the surrogate on the wave proportions (states merged). */
function waveComparison(
  view: LeafView,
  col: Collected,
  thresholds: number[],
  opts: EvaluateOptions,
): Pick<EvaluationResult, "leaves" | "waveLevel"> {
  const K1 = view.waves.k;
  const features = mergeLeaves(col.features, view.leafWaves, K1);
  const base = { features, k: K1, truth: col.truth, folds: col.folds, forest: opts.forest };
  const task = view.model.config.task;
  let waveLevel: EvaluationResult["waveLevel"];
  if (task === "age") {
    const regression = regressionFidelity({ ...base, truth: col.ages, cnn: col.scores });
    waveLevel = { k: K1, regression };
  } else {
    const classes = view.model.config.classes.length;
    const f = surrogateFidelity({ ...base, cnnScores: col.scores, thresholds, classes });
    waveLevel = { k: K1, fidelity: f.fidelity, surrogate: f.surrogate, cnn: f.cnn };
  }
  return { leaves: { names: view.leafNames, waves: view.leafWaves }, waveLevel };
}
