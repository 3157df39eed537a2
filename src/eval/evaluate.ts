/**
 * The whole evaluation of an explainer bound to its model on a labelled dataset: one pass over
 * the ECGs collects what every analysis needs, then the pure analyses of this folder run on arrays.
 */
import { ParameterError } from "../errors.js";
import {
  comparisonGradcamTap,
  tapToSamples,
  type BoundExplainer,
  type Explanation,
} from "../explain/explanation.js";
import type { ModelFace } from "../model/face.js";
import type { EcgRecord } from "../types.js";
import { delineate } from "../signal/delineate/index.js";
import { waveLabels } from "../signal/waves.js";
import { MultiLabelForest, RandomForestRegressor } from "./forest.js";
import type { ForestOptions } from "./forest.js";
import { accuracy, r2 } from "./metrics.js";
import {
  disagreementByMargin,
  fidelityPlateau,
  regressionFidelity,
  rows,
  surrogateFidelity,
} from "./surrogate.js";
import type { FidelityResult, LabelScores, MarginBin, RegressionFidelity } from "./surrogate.js";
import {
  PrototypeAccumulator,
  UncertaintyAccumulator,
  addGaussianNoise,
  blankCluster,
  DELETION_FRACTIONS,
  deletionSignals,
  gradcamRelation,
  rankByAttribution,
  labelCorrelation,
  labelErrorCandidates,
  outputChange,
  permutationImportance,
  segmentationStability,
  type UncertaintyResult,
} from "./analyses.js";

/** Unbound explainers to compare by K: each is bound to the evaluated model (`Tlc` is one). */
export interface Bindable {
  bind(model: ModelFace): BoundExplainer;
}

/** ECGs read and explained together (one forward call with explainMany). */
const BATCH = 32;

export interface EvalEntry {
  id: string;
  labels: string[];
  fold?: number;
  age?: number;
}

export interface EvalDataset<E extends EvalEntry = EvalEntry> {
  read(entry: E): Promise<EcgRecord>;
}

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

/** The evaluation result: plain JSON (the HTML report reads it). */
export interface EvaluationResult {
  task: string;
  classes: string[];
  k: number;
  n: number;
  folds: number[];
  fidelity?: FidelityResult["fidelity"];
  fidelityPerClass?: number[];
  surrogate?: LabelScores;
  cnn?: LabelScores;
  /** Same forest on soft proportions (mean posterior): a check of the hard/soft choice. */
  soft?: { fidelity: FidelityResult["fidelity"]; surrogate: LabelScores };
  /** A regression forest on the CNN's probabilities (cut at the CNN's thresholds) instead of
   * its labels: closes the score-based AUROC gap. */
  scoreSurrogate?: { fidelity: FidelityResult["fidelity"]; surrogate: LabelScores };
  /** The same forest against the CNN's labels cut at 0.5 instead of its own (F1-tuned)
   * thresholds: how much of the disagreement sits at the tuned thresholds. */
  atHalf?: { cnnThresholds: number[]; fidelity: FidelityResult["fidelity"] };
  /** The surrogate's disagreements with the CNN by the CNN's distance from its threshold. */
  byMargin?: MarginBin[];
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
  stability: { noise: number; agreement: number; nmi: number; records: number };
  gradcam?: {
    tap: string;
    /** Pearson per ECG, mean over the ECGs whose map is not zero at every step. */
    entropy: number;
    importance: number;
    records: number;
    /**
     * ECGs whose map is zero at every step (the gradient-weighted activations are negative
     * throughout, common below the last block): no correlation, left out of the means.
     */
    zeroMaps: number;
    disagreements: { id: string; entropy: number; importance: number }[];
    /**
     * Deletion curves (RISE's deletion metric): mean drop of the top class's output when the
     * `fractions` of each ECG's samples an attribution ranks highest are blanked (set to each
     * lead's median). `clusters` ranks a sample by how much blanking its whole cluster lowers that
     * output in this ECG (K occlusions); `random` is a seeded random order, the baseline.
     */
    deletion?: {
      fractions: number[];
      gradcam: number[];
      clusters: number[];
      random: number[];
      records: number;
    };
  };
  prototypes: {
    lead: string;
    clusters: { waveform: number[]; duration: number; segments: number }[];
  };
  labelErrors: ReturnType<typeof labelErrorCandidates>;
  fidelityByK?: { perK: { k: number; mean: number; std: number }[]; plateau?: number };
  /** Per ECG, with `perEcg: true` (`ecg-tlc evaluate --table`): what the surrogate saw. */
  perEcg?: PerEcgTable;
  seconds: number;
}

/** One row per ECG: its fold, true labels, the CNN's outputs, the surrogate's out-of-fold vote
 * share (classification) and the cluster proportions; row-major per ECG. */
export interface PerEcgTable {
  ids: string[];
  folds: number[];
  /** Column names of truth, cnn and surrogate: the classes, or ["age"]. */
  targets: string[];
  truth: number[][];
  cnn: number[][];
  surrogate?: number[][];
  proportions: number[][];
  softProportions: number[][];
}

function rowsOf(a: ArrayLike<number>, width: number): number[][] {
  return Array.from({ length: a.length / width }, (_, i) =>
    Array.from({ length: width }, (_, j) => a[i * width + j]),
  );
}

interface Collected {
  ids: string[];
  folds: number[];
  features: Float64Array;
  soft: Float64Array;
  scores: Float64Array;
  truth: Uint8Array;
  ages: number[];
}

function perEcgTable(
  col: Collected & { k: number },
  targets: string[],
  truth: number[][],
  surrogate?: ArrayLike<number>,
): PerEcgTable {
  return {
    ids: col.ids,
    folds: col.folds,
    targets,
    truth,
    cnn: rowsOf(col.scores, targets.length),
    ...(surrogate ? { surrogate: rowsOf(surrogate, targets.length) } : {}),
    proportions: rowsOf(col.features, col.k),
    softProportions: rowsOf(col.soft, col.k),
  };
}

/** The entries in batches of BATCH ECGs, read: `start` is the batch's first index. */
async function* readBatches<E extends EvalEntry>(
  dataset: EvalDataset<E>,
  entries: E[],
): AsyncGenerator<{ start: number; chunk: E[]; records: EcgRecord[] }> {
  for (let start = 0; start < entries.length; start += BATCH) {
    const chunk = entries.slice(start, start + BATCH);
    const records: EcgRecord[] = [];
    for (const e of chunk) records.push(await dataset.read(e));
    yield { start, chunk, records };
  }
}

async function collect<E extends EvalEntry>(
  explainer: BoundExplainer,
  dataset: EvalDataset<E>,
  entries: E[],
  classes: string[],
  onEach?: (i: number, rec: EcgRecord, ex: Explanation) => Promise<void>,
  progress?: (done: number, total: number) => void,
): Promise<Collected & { k: number }> {
  const n = entries.length;
  const c = classes.length;
  let k = 0;
  let features = new Float64Array(0);
  let soft = new Float64Array(0);
  const scores = new Float64Array(n * c);
  const truth = new Uint8Array(n * c);
  const ages: number[] = [];
  for await (const { start: b, chunk, records: recs } of readBatches(dataset, entries)) {
    const exs = await explainer.explain(recs);
    for (let q = 0; q < chunk.length; q++) {
      const i = b + q;
      const e = chunk[q];
      const rec = recs[q];
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
      if (onEach) await onEach(i, rec, ex);
      progress?.(i + 1, n);
    }
  }
  return {
    ids: entries.map((e) => e.id),
    folds: entries.map((e) => e.fold ?? 0),
    features,
    soft,
    scores,
    truth,
    ages,
    k,
  };
}

/**
 * Hard proportions of every ECG under each of several explainers (fidelity by K), one array of
 * n x K per explainer. Each batch of ECGs is read once, and explainers on the same taps share one
 * forward pass through the network (the model remembers its last call).
 */
async function proportionsEach<E extends EvalEntry>(
  model: ModelFace,
  explainers: Bindable[],
  dataset: EvalDataset<E>,
  entries: E[],
  progress?: (done: number, total: number) => void,
): Promise<Float64Array[]> {
  const n = entries.length;
  const shared = rememberLastForward(model);
  const bound = explainers.map((x) => x.bind(shared));
  const out: Float64Array[] = explainers.map(() => new Float64Array(0));
  for await (const { start: b, chunk, records: recs } of readBatches(dataset, entries)) {
    for (let x = 0; x < explainers.length; x++) {
      const exs = await bound[x].explain(recs);
      exs.forEach((e, q) => {
        const k = e.proportions.length;
        if (out[x].length === 0) out[x] = new Float64Array(n * k);
        out[x].set(e.proportions, (b + q) * k);
      });
    }
    progress?.(b + chunk.length, n);
  }
  return out;
}

/** The model, remembering its last forward call: the same input and taps again return its result. */
export function rememberLastForward<M extends ModelFace>(model: M): M {
  type Forward = (
    input: Float32Array,
    batch: number,
    opts?: { taps?: string[] },
  ) => ReturnType<M["forward"]>;
  const forward = model.forward.bind(model) as Forward;
  let last: {
    input: Float32Array;
    batch: number;
    taps: string;
    result: ReturnType<Forward>;
  } | null = null;
  // Bit for bit (NaN equals NaN, -0 differs from 0): the same input, not an equal-looking one.
  const same = (a: Float32Array, b: Float32Array) => {
    if (a.length !== b.length) return false;
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  };
  const remembered: Forward = (input, batch, opts) => {
    const taps = (opts?.taps ?? []).join(",");
    if (last && last.batch === batch && last.taps === taps && same(last.input, input))
      return last.result;
    const result = forward(input, batch, opts);
    last = { input: input.slice(), batch, taps, result };
    return result;
  };
  return Object.assign(Object.create(model) as M, { forward: remembered });
}

function leadStd(rec: EcgRecord): number[] {
  const out: number[] = [];
  for (let l = 0; l < rec.leads.length; l++) {
    const x = rec.signal.subarray(l * rec.samples, (l + 1) * rec.samples);
    let m = 0;
    for (const v of x) m += v;
    m /= x.length || 1;
    let s = 0;
    for (const v of x) s += (v - m) ** 2;
    out.push(Math.sqrt(s / (x.length || 1)));
  }
  return out;
}

/**
 * Per proportion, on each held-out fold with a forest of the other folds: permutation importance
 * (the drop in agreement with the CNN's labels, or for a regressor in R^2 against the CNN's
 * output), mean and std over folds, and the forests' mean impurity importance. `y` is n x `width`.
 */
function surrogateImportance(
  features: ArrayLike<number>,
  k: number,
  y: ArrayLike<number>,
  width: number,
  folds: number[],
  regression: boolean,
  forestOptions?: ForestOptions,
): { permutation: { mean: number[]; std: number[] }; impurity: number[] } {
  const sum = new Float64Array(k);
  const sq = new Float64Array(k);
  const impurity = new Float64Array(k);
  let count = 0;
  for (const fold of [...new Set(folds)].sort((a, b) => a - b)) {
    const train: number[] = [];
    const test: number[] = [];
    folds.forEach((f, i) => (f === fold ? test : train).push(i));
    if (!train.length || !test.length) continue;
    const forest = { seed: fold, ...forestOptions };
    const X = rows(features, k, train);
    const f = regression
      ? new RandomForestRegressor(forest).fit(X, k, rows(y, 1, train))
      : new MultiLabelForest(forest).fit(X, k, rows(y, width, train), width);
    const p = permutationImportance(f, rows(features, k, test), k, rows(y, width, test), {
      repeats: 3,
      seed: fold,
      score: regression ? r2 : accuracy,
    });
    p.mean.forEach((m, q) => {
      sum[q] += m;
      sq[q] += m * m;
    });
    f.featureImportances.forEach((v, q) => (impurity[q] += v));
    count++;
  }
  const mean = Array.from(sum, (s) => (count ? s / count : NaN));
  return {
    permutation: {
      mean,
      std: Array.from(sq, (s, q) =>
        count ? Math.sqrt(Math.max(0, s / count - mean[q] ** 2)) : NaN,
      ),
    },
    impurity: Array.from(impurity, (v) => (count ? v / count : NaN)),
  };
}

/** Runs every analysis. Entries without a fold are treated as fold 0. */
export async function evaluate<E extends EvalEntry>(
  explainer: BoundExplainer,
  dataset: EvalDataset<E>,
  entries: E[],
  opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const t0 = performance.now();
  const { model } = explainer;
  const { classes, task, thresholds } = model.config;
  const c = classes.length;
  // The surrogate is trained on some folds and tested on another: check before the long pass.
  const foldSet = new Set(entries.map((e) => e.fold));
  if (foldSet.size < 2) {
    const which = foldSet.has(undefined)
      ? "have no cross-validation folds (strat_fold)"
      : `are all in fold ${[...foldSet][0]}`;
    throw new ParameterError(
      "entries",
      `the ${entries.length} ECGs ${which}; the surrogate needs at least two (a dataset with folds, e.g. PTB-XL, and entries from two folds or more)`,
    );
  }
  const sample = Math.min(opts.sample ?? 100, entries.length);
  // The costly analyses take every (n / sample)-th ECG, so the sample spans every fold.
  const inSample = (i: number) =>
    sample > 0 && i % Math.max(1, Math.floor(entries.length / sample)) === 0;
  const uncertainty = new UncertaintyAccumulator(task === "age" ? ["all"] : classes);
  const protoLead = opts.prototypeLead ?? "II";
  let protos: PrototypeAccumulator | null = null;
  let deletionSum: Float64Array | null = null;
  let deletionCount = 0;
  const stab = { agreement: 0, nmi: 0, records: 0 };
  const noise = opts.noise ?? 0.1;
  const tap = opts.gradcamTap ?? comparisonGradcamTap(explainer);
  const cams: {
    i: number;
    cam: Float64Array;
    entropy: ArrayLike<number>;
    clusters: ArrayLike<number>;
  }[] = [];
  const CURVES = ["gradcam", "clusters", "random"] as const;
  const curves = {
    drop: CURVES.map(() => new Float64Array(DELETION_FRACTIONS.length)),
    records: 0,
  };

  const onEach = async (i: number, rec: EcgRecord, ex: Explanation) => {
    const k = ex.proportions.length;
    const labels =
      task === "age" ? [1] : classes.map((name) => (entries[i].labels.includes(name) ? 1 : 0));
    let wl: Uint8Array | undefined;
    if (opts.waves !== false) {
      const d = delineate(rec);
      if (d.waves.length) wl = waveLabels(d.waves, rec.samples);
    }
    uncertainty.add({ meanEntropy: ex.meanEntropy, labels, entropy: ex.entropy, waveLabels: wl });
    protos ??= new PrototypeAccumulator(k);
    const li = rec.leads.findIndex((l) => l.toLowerCase() === protoLead.toLowerCase());
    if (li >= 0)
      protos.add(rec.signal.subarray(li * rec.samples, (li + 1) * rec.samples), ex.clusters);
    if (!inSample(i)) return;
    // Deletion: blank each cluster's samples in turn, one batch of K ECGs through the CNN.
    const prepared = model.prepare(rec);
    const per = prepared.signal.length;
    const batch = new Float32Array(per * k);
    for (let q = 0; q < k; q++) {
      const blanked = {
        ...rec,
        signal: blankCluster(rec.signal, rec.leads.length, ex.clusters, q),
      };
      batch.set(model.prepare(blanked).signal, q * per);
    }
    const base = (await model.forward(prepared.signal, 1)).outputs;
    const out = (await model.forward(batch, k)).outputs;
    deletionSum ??= new Float64Array(k);
    for (let q = 0; q < k; q++)
      deletionSum[q] += outputChange(base, out.subarray(q * c, (q + 1) * c));
    deletionCount++;
    // Stability: the same ECG with Gaussian noise of `noise` x each lead's std.
    const stds = leadStd(rec);
    const noisy = Float32Array.from(rec.signal);
    stds.forEach((s, l) => {
      const nz = addGaussianNoise(new Float32Array(rec.samples), noise * s, 1000 + i * 31 + l);
      for (let t = 0; t < rec.samples; t++) noisy[l * rec.samples + t] += nz[t];
    });
    const [ex2] = await explainer.explain([{ ...rec, signal: noisy }]);
    const s = segmentationStability(ex.clusters, ex2.clusters, k);
    stab.agreement += s.agreement;
    stab.nmi += s.nmi;
    stab.records++;
    // Grad-CAM of the most probable class, mapped to source samples like the clusters.
    if (model.gradcam && task !== "age") {
      let target = 0;
      for (let j = 1; j < c; j++) if (base[j] > base[target]) target = j;
      const steps = await model.gradcam(prepared.signal, tap, target);
      const cam = Float64Array.from(tapToSamples(steps, prepared));
      cams.push({ i, cam, entropy: ex.entropy, clusters: ex.clusters });
      if (opts.deletionCurves !== false) {
        // Each sample's cluster attribution: the target's drop when its cluster is blanked.
        const byCluster = new Float64Array(rec.samples);
        for (let t = 0; t < rec.samples; t++)
          byCluster[t] = base[target] - out[ex.clusters[t] * c + target];
        const attributions = [cam, byCluster, new Float64Array(rec.samples)];
        // One seed for the three: equal attributions are cut in the same random order.
        const signals = attributions.flatMap((a) =>
          deletionSignals(rec.signal, rec.leads.length, rankByAttribution(a, 5000 + i)),
        );
        const deleted = new Float32Array(per * signals.length);
        signals.forEach((sig, j) =>
          deleted.set(model.prepare({ ...rec, signal: sig }).signal, j * per),
        );
        const after = (await model.forward(deleted, signals.length)).outputs;
        CURVES.forEach((_, m) =>
          DELETION_FRACTIONS.forEach((_, f) => {
            const j = m * DELETION_FRACTIONS.length + f;
            curves.drop[m][f] += base[target] - after[j * c + target];
          }),
        );
        curves.records++;
      }
    }
  };

  const col = await collect(explainer, dataset, entries, classes, onEach, (d, n) =>
    opts.progress?.("explain", d, n),
  );
  const { k, features, soft, scores, truth, ids, folds } = col;
  const result: Partial<EvaluationResult> = {
    task,
    classes,
    k,
    n: entries.length,
    folds: [...new Set(folds)].sort((a, b) => a - b),
  };

  let labelErrors: EvaluationResult["labelErrors"] = [];
  let forestImportance: ReturnType<typeof surrogateImportance>;
  if (task === "age") {
    result.regression = regressionFidelity({
      features,
      k,
      cnn: scores,
      truth: col.ages,
      folds,
      forest: opts.forest,
    });
    forestImportance = surrogateImportance(features, k, scores, 1, folds, true, opts.forest);
  } else {
    // The three surrogates differ only in their features and target.
    const base = {
      k,
      cnnScores: scores,
      thresholds,
      truth,
      classes: c,
      folds,
      forest: opts.forest,
    };
    const fid = surrogateFidelity({
      ...base,
      features,
      onFold: (_f, d, n) => opts.progress?.("surrogate", d, n),
    });
    result.fidelity = fid.fidelity;
    result.fidelityPerClass = fid.fidelityPerClass;
    result.surrogate = fid.surrogate;
    result.cnn = fid.cnn;
    const fs = surrogateFidelity({ ...base, features: soft });
    result.soft = { fidelity: fs.fidelity, surrogate: fs.surrogate };
    const fp = surrogateFidelity({
      ...base,
      features,
      target: "scores",
    });
    result.scoreSurrogate = { fidelity: fp.fidelity, surrogate: fp.surrogate };
    const half = thresholds.map(() => 0.5);
    const fh = surrogateFidelity({ ...base, features, thresholds: half });
    result.atHalf = { cnnThresholds: thresholds, fidelity: fh.fidelity };
    result.byMargin = disagreementByMargin(
      scores,
      thresholds,
      fid.outOfFold.labels,
      fid.outOfFold.cnnLabels,
    );
    labelErrors = labelErrorCandidates(ids, classes, fid.outOfFold.proba, scores, truth);
    if (opts.perEcg)
      result.perEcg = perEcgTable(col, classes, rowsOf(truth, c), fid.outOfFold.proba);
    forestImportance = surrogateImportance(
      features,
      k,
      fid.outOfFold.cnnLabels,
      c,
      folds,
      false,
      opts.forest,
    );
  }
  if (opts.perEcg && task === "age")
    result.perEcg = perEcgTable(
      col,
      ["age"],
      col.ages.map((a) => [a]),
    );
  result.importance = {
    permutation: forestImportance.permutation,
    deletion: deletionSum ? Array.from(deletionSum as Float64Array, (v) => v / deletionCount) : [],
    impurity: forestImportance.impurity,
  };
  result.correlation = labelCorrelation(features, k, scores, c);
  result.uncertainty = uncertainty.result();
  result.stability = {
    noise,
    agreement: stab.agreement / stab.records,
    nmi: stab.nmi / stab.records,
    records: stab.records,
  };
  if (cams.length) {
    const imp = result.importance.deletion.length
      ? result.importance.deletion
      : result.importance.permutation.mean;
    const rel = cams.map((x) => ({
      id: ids[x.i],
      ...gradcamRelation(x.cam, x.entropy, x.clusters, imp),
    }));
    const mean = (v: number[]) => {
      const f = v.filter(Number.isFinite);
      return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
    };
    result.gradcam = {
      tap,
      entropy: mean(rel.map((r) => r.entropy)),
      importance: mean(rel.map((r) => r.importance)),
      records: rel.length,
      zeroMaps: cams.filter((x) => !x.cam.some((v) => v > 0)).length,
      // Where Grad-CAM points away from the clusters the CNN depends on.
      disagreements: rel
        .filter((r) => Number.isFinite(r.importance))
        .sort((a, b) => a.importance - b.importance)
        .slice(0, 10),
      ...(curves.records
        ? {
            deletion: {
              fractions: [...DELETION_FRACTIONS],
              gradcam: Array.from(curves.drop[0], (v) => v / curves.records),
              clusters: Array.from(curves.drop[1], (v) => v / curves.records),
              random: Array.from(curves.drop[2], (v) => v / curves.records),
              records: curves.records,
            },
          }
        : {}),
    };
  }
  result.prototypes = {
    lead: protoLead,
    clusters: (protos as PrototypeAccumulator | null)?.result() ?? [],
  };
  result.labelErrors = labelErrors;
  if (opts.byK?.length && task !== "age") {
    const ks = opts.byK.map((b) => b.k);
    const props = await proportionsEach(
      model,
      opts.byK.map((b) => b.explainer),
      dataset,
      entries,
      (d, n) => opts.progress?.(`by-K proportions (${ks.length} K)`, d, n),
    );
    const perK = opts.byK.map(({ k: kk }, i) => {
      const f = surrogateFidelity({
        features: props[i],
        k: props[i].length / entries.length, // the explainer's own K
        cnnScores: col.scores,
        thresholds,
        truth: col.truth,
        classes: c,
        folds: col.folds,
        forest: opts.forest,
      });
      return { k: kk, mean: f.fidelity.mean, std: f.fidelity.std };
    });
    result.fidelityByK = { perK, plateau: fidelityPlateau(perK) };
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result as EvaluationResult;
}
