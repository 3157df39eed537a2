/**
 * What an explanation is, and the rules every reader of one shares: segments from per-sample
 * clusters, the mapping of a tap's steps to the record's own samples, the labels a model predicts,
 * the default Grad-CAM tap and target. One declaration each; the CLI, the explorer, the figures and
 * the evaluation all import them from here.
 */
import type { ModelFace } from "../model/face.js";
import { preparedToSource, type PreparedSignal } from "../signal/preprocess.js";
import type { EcgRecord } from "../types.js";

/** A run of one cluster over the record's own samples. */
export interface Segment {
  /** First source sample. */
  start: number;
  /** One past the last source sample. */
  end: number;
  cluster: number;
  /** Mean entropy over the segment's samples. */
  entropy: number;
}

/** One per-block clustering of an ECG (per source sample, like the combined one). */
export interface BlockExplanation {
  clusters: number[];
  entropy: number[];
  proportions: number[];
}

/**
 * One explained ECG (what `ecg-tlc explain --json` prints). Per-sample arrays are at the record's
 * own rate and length; `labels` are the model's predictions (`predictedLabels`), never the truth.
 */
export interface Explanation {
  record: string;
  fs: number;
  samples: number;
  outputs: Record<string, number>;
  /** Classes the model predicts (`predictedLabels`); empty for an age model. */
  labels: string[];
  /** Cluster per source sample. */
  clusters: number[];
  /** Normalised entropy per source sample, in [0, 1]. */
  entropy: number[];
  segments: Segment[];
  /** Hard proportions over the kept steps (K values, sum 1). */
  proportions: number[];
  softProportions: number[];
  meanEntropy: number;
  blocks?: Record<string, BlockExplanation>;
  /**
   * Two-level explainers only: the state (within its wave cluster) per source sample, the leaf
   * (wave, state; see the explainer's leaf names) per source sample, the state posterior's
   * normalised entropy per source sample, and the leaves' hard and soft proportions over the kept
   * steps (soft: p(wave) x p(state | wave)).
   */
  states?: number[];
  leaves?: number[];
  stateEntropy?: number[];
  leafProportions?: number[];
  softLeafProportions?: number[];
  meanStateEntropy?: number;
}

/**
 * An explanation as `explain --json` prints it: with the explainer's names for its clusters
 * (`clusterWaves`) and, for a two-level explainer, its leaves (`leafNames`), when it has them.
 */
export function namedExplanation<T extends object>(
  e: T,
  names: { readonly clusterWaves?: (string | null)[]; readonly leafNames?: string[] },
): T & { clusterWaves?: (string | null)[]; leafNames?: string[] } {
  return {
    ...e,
    ...(names.clusterWaves ? { clusterWaves: names.clusterWaves } : {}),
    ...(names.leafNames ? { leafNames: names.leafNames } : {}),
  };
}

/** Runs of one cluster over per-sample clusters, with the mean entropy of each run (0 without). */
export function segmentsOf(
  clusters: ArrayLike<number>,
  entropy: ArrayLike<number> = [],
): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  let sum = 0;
  for (let i = 0; i < clusters.length; i++) {
    sum += entropy[i] ?? 0;
    if (i + 1 === clusters.length || clusters[i + 1] !== clusters[i]) {
      out.push({ start, end: i + 1, cluster: clusters[i], entropy: sum / (i + 1 - start) });
      start = i + 1;
      sum = 0;
    }
  }
  return out;
}

type StepGeometry = Pick<PreparedSignal, "length" | "fs" | "sourceFs" | "sourceSamples" | "offset">;

/**
 * For every source sample, the step (of `steps` over the prepared signal) that covers it. Step t
 * of T over the L prepared samples covers prepared [t L/T, (t+1) L/T), i.e. source samples
 * [b_t, b_{t+1}) with b_t = preparedToSource(p, t L/T); padding and resampling are undone.
 * Samples outside every kept step (at the edges through rounding, or when the record was
 * cropped) take the nearest kept step.
 */
export function stepOfSamples(
  prepared: StepGeometry,
  steps: number,
  kept: { first: number; end: number } = { first: 0, end: steps },
): Int32Array {
  const n = prepared.sourceSamples;
  const out = new Int32Array(n);
  const L = prepared.length;
  let t = kept.first;
  for (let s = 0; s < n; s++) {
    // Advance while sample s lies at or past the start of the next step.
    while (t + 1 < kept.end && s >= preparedToSource(prepared, ((t + 1) * L) / steps)) t++;
    out[s] = t;
  }
  return out;
}

/** A per-step map of a tap (Grad-CAM, one value per step) on the record's own samples. */
export function tapToSamples(values: ArrayLike<number>, prepared: StepGeometry): Float32Array {
  const stepOf = stepOfSamples(prepared, values.length);
  const out = new Float32Array(stepOf.length);
  for (let s = 0; s < out.length; s++) out[s] = values[stepOf[s]];
  return out;
}

/** A model's decision rule: classes, one threshold per class, and the task. */
export interface DecisionRule {
  classes: string[];
  thresholds: number[];
  task?: string;
}

/** The threshold of a class whose model gives none (the sigmoid's midpoint). */
export const DEFAULT_THRESHOLD = 0.5;

/** The threshold of every class, `DEFAULT_THRESHOLD` where the model gives none. */
export function decisionThresholds(rule: Pick<DecisionRule, "classes" | "thresholds">): number[] {
  return rule.classes.map((_, i) => rule.thresholds[i] ?? DEFAULT_THRESHOLD);
}

/** An age model: one output, years, nothing to threshold. */
export function isAgeModel(rule: Pick<DecisionRule, "classes" | "task">): boolean {
  return rule.task === "age" || (rule.classes.length === 1 && rule.classes[0] === "age");
}

/**
 * Classes whose output reaches its threshold (`DEFAULT_THRESHOLD` where the model has none);
 * none for an age model. `outputs` by class name, or in class order.
 */
export function predictedLabels(
  rule: DecisionRule,
  outputs: Record<string, number> | ArrayLike<number>,
): string[] {
  if (isAgeModel(rule)) return [];
  const byIndex = isArrayLike(outputs);
  const thresholds = decisionThresholds(rule);
  return rule.classes.filter((c, i) => {
    const v = byIndex ? outputs[i] : outputs[c];
    return (v ?? 0) >= thresholds[i];
  });
}

function isArrayLike(x: Record<string, number> | ArrayLike<number>): x is ArrayLike<number> {
  return ArrayBuffer.isView(x) || Array.isArray(x);
}

/** The output with the highest value (first of ties): the default Grad-CAM target. */
export function topClass(classes: string[], outputs: Record<string, number>): string {
  let best = classes[0];
  for (const c of classes) if ((outputs[c] ?? -Infinity) > (outputs[best] ?? -Infinity)) best = c;
  return best;
}

/**
 * The Grad-CAM map drawn when none is asked for (explorer, figures, `gradcam`): the model's last
 * tap, where Grad-CAM is most faithful (docs/EVIDENCE.md, "Deletion curves").
 */
export function defaultGradcamTap(model: Pick<ModelFace, "config">): string {
  return model.config.taps[model.config.taps.length - 1];
}

/**
 * The Grad-CAM map the evaluation compares with TLC's clusters: the explainer's last tap, so both
 * look at the same activations.
 */
export function comparisonGradcamTap(explainer: Pick<BoundExplainer, "taps">): string {
  return explainer.taps[explainer.taps.length - 1];
}

/**
 * An explainer bound to its model (`tlc.bind(model)`, which checks the model once): one call
 * explains any ECGs. What the evaluation, the alignment, the figures and the explorer consume.
 */
export interface BoundExplainer {
  readonly model: ModelFace;
  /** Number of clusters K. */
  readonly k: number;
  /** The taps whose activations are clustered, in order. */
  readonly taps: string[];
  /** Names of the per-block clusterings, in tap order (empty when fitted without them). */
  readonly blocks: string[];
  /** The wave each cluster stands for (index = cluster), when the explainer stores names. */
  readonly clusterWaves?: (string | null)[];
  /** Two-level explainers: each leaf's name ("QRS · CD-like"; index = leaf). */
  readonly leafNames?: string[];
  /** Explains several ECGs (one forward call per batch), in input order. */
  explain(records: readonly EcgRecord[]): Promise<Explanation[]>;
}

/**
 * An explainer as seen by a reader of only some fields (`F`) of its explanations: a
 * `BoundExplainer` is one, and so is a test's fake that fills only those fields.
 */
export interface Explains<F extends keyof Explanation> {
  explain(records: readonly EcgRecord[]): Promise<Pick<Explanation, F>[]>;
}
