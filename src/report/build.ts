/**
 * Builds the HTML report of a model + TLC explainer on a labelled dataset: runs the evaluation
 * (src/eval/evaluate.ts) and, in the same pass over the ECGs, gathers what the evaluation result
 * does not carry (proportions by class, cluster x wave alignment, example ECGs) by wrapping the
 * dataset's `read` and the explainer's `explain`.
 */
import { tapToSamples, type BoundExplainer, type Explanation } from "../explain/explanation.js";
import { gradcamRecord } from "../explain/gradcam.js";
import { hasLeaves, leavesOf, type Leaves } from "../explain/levels.js";
import type { ModelFace } from "../model/face.js";
import type { EcgRecord } from "../types.js";
import {
  addTables,
  clusterWaveNames,
  contingency,
  landmarkContingency,
  summarizeAlignment,
  type AlignmentResult,
  type Table,
} from "../eval/alignment.js";
import { evaluate, type EvaluateOptions, type EvaluationResult } from "../eval/evaluate.js";
import type { EvalEntry } from "../eval/analyses/ecg.js";
import { EnrichmentTally } from "../eval/state-names.js";
import type { RecordSource } from "../io/datasets/types.js";
import { delineate } from "../signal/delineate/index.js";
import { waveLabels } from "../signal/waves.js";
import { renderEcgFigure } from "../viz/ecg.js";
import { withComparisons, type Comparison } from "./compare.js";
import { renderReport, type ReportFigure, type ReportTable } from "./html.js";
import {
  evaluationTable,
  gradcamDisagreementsTable,
  labelErrorsTable,
  leafTable,
  perClassTable,
  reportFigures,
  type ReportExtras,
} from "./sections.js";

export interface BuildReportOptions {
  title?: string;
  /** Key facts for the header (model folder, dataset folder...). */
  meta?: [string, string][];
  /** Options passed to the evaluation. */
  evaluate?: EvaluateOptions;
  /** Per-ECG example figures (default 3: the first ECG of each distinct label set). */
  examples?: number;
  /**
   * Figures of the ECGs the evaluation flags (default 2): that many distinct possible label
   * errors, and the ECG where Grad-CAM and TLC disagree most (with its Grad-CAM) when it ran.
   */
  flagged?: number;
  /** Cluster x wave alignment from the delineator over every ECG (default true). */
  alignment?: boolean;
  /** A precomputed alignment (e.g. on LUDB's expert annotations) to use instead. */
  alignmentResult?: AlignmentResult;
  /** Other runs' evaluations (e.g. the paper's setup), a column each beside ours. */
  compare?: Comparison[];
  progress?: (stage: string, done: number, total: number) => void;
}

interface Gathered {
  sums: number[][];
  counts: number[];
  table: Table | null;
  peaks: Table | null;
  records: number;
  fs?: number;
  examples: { record: EcgRecord; explanation: Explanation; entry: EvalEntry }[];
  camPoints: { gradcam: number; entropy: number; group?: string }[];
  /** Two-level explainers: leaf shares over all ECGs and by predicted class, state entropy. */
  leaves?: LeafTally;
}

/** Per leaf, over the explained ECGs: shares and enrichment, and state entropy over its steps. */
class LeafTally {
  readonly enrichment: EnrichmentTally;
  readonly entropy: Float64Array;
  readonly steps: Float64Array;
  ecgs = 0;
  waveEntropy = 0;

  constructor(
    readonly leaves: number,
    readonly classes: string[],
  ) {
    this.enrichment = new EnrichmentTally(leaves, classes);
    this.entropy = new Float64Array(leaves);
    this.steps = new Float64Array(leaves);
  }

  add(ex: Explanation): void {
    const p = ex.leafProportions;
    if (!p || !ex.leaves) return;
    this.ecgs++;
    this.waveEntropy += ex.meanEntropy;
    this.enrichment.add(p, ex.labels);
    const h = ex.stateEntropy ?? [];
    ex.leaves.forEach((l, i) => {
      this.entropy[l] += h[i] ?? 0;
      this.steps[l]++;
    });
  }

  result(): NonNullable<ReportExtras["leaves"]> {
    const n = this.ecgs;
    return {
      classes: this.classes,
      share: this.enrichment.share,
      // mean share in the ECGs the network gives class c, over the mean share in all
      enrichment: this.enrichment.result(),
      entropy: Array.from(this.entropy, (v, l) => (this.steps[l] ? v / this.steps[l] : NaN)),
      waveEntropy: n ? this.waveEntropy / n : NaN,
    };
  }
}

/** An ECG's explanation and its delineated wave labels, kept to pair with its Grad-CAM. */
interface Explained {
  explanation: Explanation;
  waves?: Uint8Array;
}

const WAVE_NAMES = ["P", "QRS", "T", "TP"];
/** Samples per ECG kept for the Grad-CAM scatter (every n-th sample would alias with the beat). */
const CAM_POINTS_PER_ECG = 200;

/** Runs the evaluation and renders the report; resolves to the HTML and the evaluation result. */
export async function buildReport<E extends EvalEntry>(
  explainer: BoundExplainer,
  dataset: RecordSource<E>,
  entries: E[],
  opts: BuildReportOptions = {},
): Promise<{ html: string; evaluation: EvaluationResult; extras: ReportExtras }> {
  const { model } = explainer;
  const classes = model.config.classes;
  const maxExamples = opts.examples ?? 3;
  const g: Gathered = {
    sums: classes.map(() => []),
    counts: classes.map(() => 0),
    table: null,
    peaks: null,
    records: 0,
    examples: [],
    camPoints: [],
    leaves: hasLeaves(explainer) ? new LeafTally(explainer.leafNames.length, classes) : undefined,
  };
  const seenLabelSets = new Set<string>();
  // Delineate each ECG for the Grad-CAM scatter's wave colours, and pool the alignment table from
  // it unless an alignment (e.g. on LUDB's annotations) was given.
  const waveMode = opts.alignment === false ? "none" : opts.alignmentResult ? "labels" : "pool";
  // The evaluation reads ECGs (possibly several ahead) and explains them, and later explains
  // noisy copies of some (stability) and prepares blanked copies (deletion). Records are matched
  // by identity: only the objects the dataset returned are gathered, each once.
  const entryOf = new WeakMap<EcgRecord, EvalEntry>();
  const seen = new WeakMap<EcgRecord, Explained>();
  const ofInput = new WeakMap<Float32Array, EcgRecord>();
  const wrappedDataset: RecordSource<E> = {
    read: async (entry) => {
      const rec = await dataset.read(entry);
      entryOf.set(rec, entry);
      return rec;
    },
  };
  const onExplained = (record: EcgRecord, ex: Explanation) => {
    const entry = entryOf.get(record);
    if (!entry || seen.has(record)) return;
    seen.set(record, gather(g, entry, record, ex, classes, waveMode));
    g.leaves?.add(ex);
    const key = [...entry.labels].sort().join("+");
    if (g.examples.length < maxExamples && !seenLabelSets.has(key)) {
      seenLabelSets.add(key);
      g.examples.push({ record, explanation: ex, entry });
    }
  };
  // Grad-CAM is computed inside the evaluation for a sample of ECGs; keep its values per sample.
  const prepare = (r: EcgRecord) => {
    const p = model.prepare(r);
    if (seen.has(r) || entryOf.has(r)) ofInput.set(p.signal, r);
    return p;
  };
  const gradcam = async (input: Float32Array, tap: string, target: number) => {
    const steps = await model.gradcam(input, tap, target);
    const rec = ofInput.get(input);
    const ex = rec && seen.get(rec);
    if (rec && ex) camPoints(g, model, rec, ex, steps);
    return steps;
  };
  // Everything else (fingerprint, dir, forward...) is the model's own, so explainers bound to
  // this model (e.g. the K comparison's) check it and use it as they would the original.
  const wrappedModel: ModelFace = new Proxy(model, {
    get(target, prop) {
      if (prop === "prepare") return prepare;
      if (prop === "gradcam") return gradcam;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const wrappedExplainer: BoundExplainer = {
    model: wrappedModel,
    k: explainer.k,
    taps: explainer.taps,
    blocks: explainer.blocks,
    clusterWaves: explainer.clusterWaves,
    // a two-level explainer stays one: the evaluation reads its leaves
    ...(hasLeaves(explainer)
      ? { leafNames: explainer.leafNames, statesPerWave: explainer.statesPerWave }
      : {}),
    explain: async (records) => {
      const exs = await explainer.explain(records);
      records.forEach((r, i) => onExplained(r, exs[i]));
      return exs;
    },
  };
  const evaluation = await evaluate(wrappedExplainer, wrappedDataset, entries, {
    ...opts.evaluate,
    progress: opts.progress ?? opts.evaluate?.progress,
  });

  const extras: ReportExtras = { fs: g.fs };
  if (g.camPoints.length) extras.gradcamPoints = g.camPoints;
  if (g.leaves?.ecgs) extras.leaves = g.leaves.result();
  if (opts.alignmentResult) extras.alignment = opts.alignmentResult;
  else if (g.table && g.peaks && g.records > 0)
    extras.alignment = summarizeAlignment(g.table, g.peaks, g.records);
  const withEcgs = classes.map((_, c) => c).filter((c) => g.counts[c] > 0);
  if (withEcgs.length && model.config.task !== "age") {
    extras.proportionsByClass = {
      classes: withEcgs.map((c) => classes[c]),
      proportions: withEcgs.map((c) => g.sums[c].map((v) => v / g.counts[c])),
      counts: withEcgs.map((c) => g.counts[c]),
    };
  }
  const waves = extras.alignment ? clusterWaveNames(extras.alignment.contingency) : undefined;
  const leaves = leavesOf(explainer);
  const examples: ReportFigure[] = g.examples.map(({ record, explanation, entry }) => ({
    id: `ecg-${entry.id}`,
    title:
      model.config.task === "age"
        ? `ECG ${entry.id} (age ${entry.age ?? "unknown"})`
        : `ECG ${entry.id} (labels: ${entry.labels.join(", ") || "none"})`,
    svg: renderEcgFigure(record, explanation, {
      trueLabels: entry.labels,
      clusterWaves: waves,
      leaves,
      thresholds: model.config.thresholds,
      trueAge: entry.age,
    }),
  }));
  const flagged = await flaggedFigures(explainer, dataset, entries, evaluation, {
    clusterWaves: waves,
    leaves,
    n: opts.flagged ?? 2,
  });
  const table = withComparisons(evaluationTable(evaluation, extras), opts.compare ?? []);
  const tables = [
    perClassTable(evaluation),
    labelErrorsTable(evaluation),
    gradcamDisagreementsTable(evaluation),
  ].filter((t): t is ReportTable => t !== undefined);
  const html = renderReport({
    title: opts.title ?? "ecg-tlc report: time-localized clusters",
    meta: [
      ...(opts.meta ?? []),
      ["task", `${evaluation.task} (${classes.join(", ")})`],
      ["ECGs", String(evaluation.n)],
      evaluation.leaves
        ? [
            "leaves (wave · state)",
            `${evaluation.k} in ${evaluation.waveLevel?.k ?? "?"} wave clusters`,
          ]
        : ["clusters K", String(evaluation.k)],
      ["evaluation time", `${evaluation.seconds.toFixed(1)} s`],
    ],
    table,
    compare: opts.compare?.map((c) => c.label),
    tables: [leafTable(evaluation, extras), ...tables].filter(
      (t): t is ReportTable => t !== undefined,
    ),
    figures: reportFigures(evaluation, extras),
    examples,
    flagged,
    notes: [
      "Paper figures: Boubekki et al., Explaining deep learning for ECG using time-localized clusters (arXiv 2509.15198), PTB-XL 5 super-classes, 10-fold CV; our runs may use another data subset, K and network size.",
      "Waves (P, QRS, T, TP) come from ecg-tlc's delineator unless an annotated alignment was given.",
    ],
  });
  return { html, evaluation, extras };
}

/**
 * Figures of the ECGs the evaluation flags, read and explained again: the first `n` distinct
 * possible label errors, then the ECG where Grad-CAM and TLC disagree most, its Grad-CAM drawn.
 */
async function flaggedFigures<E extends EvalEntry>(
  explainer: BoundExplainer,
  dataset: RecordSource<E>,
  entries: E[],
  evaluation: EvaluationResult,
  opts: { clusterWaves?: (string | undefined)[]; leaves?: Leaves; n: number },
): Promise<ReportFigure[]> {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const figs: ReportFigure[] = [];
  const draw = async (id: string, title: string, caption: string, camTap?: string) => {
    const entry = byId.get(id);
    if (!entry) return;
    const record = await dataset.read(entry);
    const [ex] = await explainer.explain([record]);
    const { model } = explainer;
    const gradcam = camTap
      ? (await gradcamRecord(model, record, { tap: camTap, outputs: ex.outputs })).samples
      : undefined;
    figs.push({
      id: `flagged-${figs.length + 1}`,
      title,
      caption,
      svg: renderEcgFigure(record, ex, {
        trueLabels: entry.labels,
        clusterWaves: opts.clusterWaves,
        leaves: opts.leaves,
        thresholds: model.config.thresholds,
        trueAge: entry.age,
        gradcam,
      }),
    });
  };
  const drawn = new Set<string>();
  for (const e of evaluation.labelErrors) {
    if (drawn.size >= opts.n) break;
    if (drawn.has(e.id)) continue;
    drawn.add(e.id);
    const pairs = evaluation.labelErrors.filter((x) => x.id === e.id);
    const what = pairs
      .map(
        (x) =>
          `${x.class} recorded ${x.label ? "yes" : "no"}, surrogate ${x.surrogate.toFixed(2)}, CNN ${x.cnn.toFixed(2)}`,
      )
      .join("; ");
    await draw(
      e.id,
      `ECG ${e.id}: possible label error (${what})`,
      "The cluster profile (surrogate forest trained on other folds) and the CNN both contradict the recorded label.",
    );
  }
  const cam = evaluation.gradcam;
  const worst = cam?.disagreements[0];
  if (cam && worst && opts.n > 0)
    await draw(
      worst.id,
      `ECG ${worst.id}: Grad-CAM (${cam.tap}) against cluster importance, r = ${worst.importance.toFixed(2)}`,
      "The orange line in the band under each lead is Grad-CAM of the most probable class; where it is high, the clusters underneath matter little to the CNN's output when blanked.",
      cam.tap,
    );
  return figs;
}

function gather(
  g: Gathered,
  entry: EvalEntry,
  record: EcgRecord,
  ex: Explanation,
  classes: string[],
  waveMode: "none" | "labels" | "pool",
): Explained {
  const k = ex.proportions.length;
  g.fs ??= record.fs;
  classes.forEach((name, c) => {
    if (!entry.labels.includes(name)) return;
    if (g.sums[c].length < k) g.sums[c] = new Array<number>(k).fill(0);
    ex.proportions.forEach((p, j) => (g.sums[c][j] += p));
    g.counts[c]++;
  });
  if (waveMode === "none") return { explanation: ex };
  const d = delineate(record);
  if (!d.waves.length) return { explanation: ex };
  const labels = waveLabels(d.waves, record.samples);
  if (waveMode === "labels") return { explanation: ex, waves: labels };
  const t = contingency(ex.clusters, labels, k, 4);
  const p = landmarkContingency(ex.clusters, d.waves, k);
  g.table = g.table ? addTables(g.table, t) : t;
  g.peaks = g.peaks ? addTables(g.peaks, p) : p;
  g.records++;
  return { explanation: ex, waves: labels };
}

/** Grad-CAM steps of the last ECG mapped to its samples (as the evaluation maps them), scaled to
 * their maximum, paired with the entropy at a deterministic spread of samples. */
function camPoints(
  g: Gathered,
  model: ModelFace,
  record: EcgRecord,
  { explanation, waves }: Explained,
  steps: Float32Array,
): void {
  const cam = tapToSamples(steps, model.prepare(record));
  let max = 0;
  for (const v of steps) max = Math.max(max, v);
  if (!(max > 0)) return;
  const n = record.samples;
  const every = Math.max(1, Math.floor(n / CAM_POINTS_PER_ECG));
  // Offset by the ECG count so successive ECGs sample different phases of the beat.
  for (let t = (g.camPoints.length * 7) % every; t < n; t += every) {
    const e = Number(explanation.entropy[t]);
    if (!Number.isFinite(e)) continue;
    g.camPoints.push({
      gradcam: cam[t] / max,
      entropy: e,
      group: waves ? WAVE_NAMES[waves[t]] : undefined,
    });
  }
}
