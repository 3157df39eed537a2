/**
 * From the evaluation's plain-JSON result (src/eval/evaluate.ts) to the report's table rows and
 * figures. The paper's figures (Boubekki et al. 2025, abstract) are put beside ours.
 */
import { clusterWaveNames, LANDMARK_WAVES, type AlignmentResult } from "../eval/alignment.js";
import type { EvaluationResult } from "../eval/evaluate.js";
import { leastStable } from "../eval/analyses/uncertainty.js";
import { gradcamSample } from "../eval/report.js";
import { fidelityPlateau } from "../eval/surrogate.js";
import {
  renderContingency,
  renderLabelCorrelation,
  renderProportionsByClass,
  renderClusterImportance,
  renderPrototypes,
  type Prototype,
} from "../viz/dataset.js";
import {
  renderDeletionCurves,
  renderEntropyByClassWave,
  renderFidelityVsK,
  renderGradcamVsEntropy,
} from "../viz/evaluation.js";
import { leafInfo, stateShade } from "../viz/ecg-states.js";
import type { ReportFigure, ReportTable, TableRow } from "./html.js";

/** The paper's PTB-XL super-class results (10-fold CV): surrogate forest vs CNN. */
export const PAPER = {
  fidelity: { mean: 0.949, std: 0.005 },
  accuracy: { surrogate: 0.882, cnn: 0.884 },
  auroc: { surrogate: 0.796, cnn: 0.814 },
} as const;

const WAVES = ["P", "QRS", "T", "TP"];

function p1(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "n/a" : `${(v * 100).toFixed(1)}%`;
}
function pm(m: { mean: number; std: number } | undefined): string {
  return m === undefined ? "n/a" : `${p1(m.mean)} ± ${(m.std * 100).toFixed(1)}`;
}
function f3(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(3);
}

/** Extra inputs the evaluation result does not carry, gathered while the report runs. */
export interface ReportExtras {
  /** Cluster x wave alignment (delineated or annotated waves). */
  alignment?: AlignmentResult;
  /** Mean hard proportions by class (classes x K) and class sizes. */
  proportionsByClass?: { classes: string[]; proportions: number[][]; counts: number[] };
  /** Sampling rate of the records the prototypes were taken from. */
  fs?: number;
  /** (Grad-CAM, entropy) samples for the scatter plot, if Grad-CAM was computed. */
  gradcamPoints?: { gradcam: number; entropy: number; group?: string }[];
  /** Two-level explainers, per leaf over the evaluated ECGs. */
  leaves?: {
    /** Mean share of each ECG's steps. */
    share: number[];
    /** Leaves x classes: mean share in the ECGs the network gives the class / mean share in all. */
    enrichment: number[][];
    classes: string[];
    /** Mean state entropy over the leaf's steps. */
    entropy: number[];
    /** Mean wave-level entropy of the ECGs. */
    waveEntropy: number;
  };
}

/** A caption about clusters, said of leaves for a two-level explainer. */
function leafWords(r: EvaluationResult, caption: string): string {
  return r.leaves ? caption.replace(/\bcluster(?!s)/g, "leaf") : caption;
}

/** Names and colours of the per-cluster figures' rows: a two-level explainer's leaves. */
function leafRows(r: EvaluationResult): { rowNames?: string[]; rowColors?: string[] } {
  if (!r.leaves) return {};
  const info = leafInfo(r.leaves);
  return {
    rowNames: r.leaves.names,
    rowColors: info.map((l) => stateShade(l.wave, l.state, l.states)),
  };
}

/** The evaluation table: paper vs ours. */
export function evaluationTable(r: EvaluationResult, extra: ReportExtras = {}): TableRow[] {
  const rows: TableRow[] = [];
  // A two-level explainer: "ours" is the surrogate on the leaves, "waves" the same surrogate on
  // the wave proportions (each wave's states merged), side by side.
  const wl = r.leaves ? r.waveLevel : undefined;
  const wlScores = wl?.surrogate && wl.cnn ? { s: wl.surrogate, c: wl.cnn } : undefined;
  rows.push({ metric: "ECGs evaluated (folds)", ours: `${r.n} (${r.folds.join(", ")})` });
  if (wl) {
    rows.push({
      metric: "clusters K",
      ours: `${r.k} leaves (wave cluster · state)`,
      waves: `${wl.k} wave clusters`,
    });
  } else rows.push({ metric: "clusters K", ours: String(r.k) });
  if (r.fidelity) {
    rows.push({
      metric: "surrogate fidelity (agreement with CNN)",
      paper: pm(PAPER.fidelity),
      ours: pm(r.fidelity),
      ...(wl ? { waves: pm(wl.fidelity) } : {}),
      note: `random forest on hard ${wl ? "leaf " : ""}proportions, mean ± std over held-out folds`,
    });
  }
  if (r.surrogate && r.cnn) {
    rows.push({
      metric: "accuracy, surrogate",
      paper: p1(PAPER.accuracy.surrogate),
      ours: p1(r.surrogate.accuracy),
      ...(wlScores ? { waves: p1(wlScores.s.accuracy) } : {}),
    });
    rows.push({ metric: "accuracy, CNN", paper: p1(PAPER.accuracy.cnn), ours: p1(r.cnn.accuracy) });
    rows.push({
      metric: "AUROC, surrogate",
      paper: p1(PAPER.auroc.surrogate),
      ours: p1(r.surrogate.auroc),
      ...(wlScores ? { waves: p1(wlScores.s.auroc) } : {}),
      note: `macro; from thresholded labels: ${p1(r.surrogate.aurocLabels)}${wlScores ? ` (waves ${p1(wlScores.s.aurocLabels)})` : ""}`,
    });
    rows.push({
      metric: "AUROC, CNN",
      paper: p1(PAPER.auroc.cnn),
      ours: p1(r.cnn.auroc),
      note: `macro; from thresholded labels: ${p1(r.cnn.aurocLabels)}`,
    });
    rows.push({
      metric: "macro F1, surrogate / CNN",
      ours: `${p1(r.surrogate.f1)} / ${p1(r.cnn.f1)}`,
      ...(wlScores ? { waves: `${p1(wlScores.s.f1)} / ${p1(wlScores.c.f1)}` } : {}),
    });
  }
  if (r.soft) rows.push({ metric: "fidelity with soft proportions", ours: pm(r.soft.fidelity) });
  if (r.atHalf)
    rows.push({
      metric: "fidelity against the CNN's labels cut at 0.5",
      ours: pm(r.atHalf.fidelity),
      note: `the CNN's own thresholds: ${r.atHalf.cnnThresholds.map((t) => t.toFixed(2)).join(", ")}`,
    });
  if (r.byMargin) {
    const sum = (key: "pairs" | "disagreements", near = false) =>
      r.byMargin!.filter((b) => !near || b.hi <= 0.1).reduce((t, b) => t + b[key], 0);
    rows.push({
      metric: "disagreements where the CNN is within 0.1 of its threshold",
      ours: p1(sum("disagreements", true) / sum("disagreements")),
      note: `share of all disagreements; these pairs are ${p1(sum("pairs", true) / sum("pairs"))} of all (ECG, class) pairs`,
    });
  }
  if (r.regression) {
    const g = r.regression;
    const w = wl?.regression;
    rows.push({
      metric: "age: surrogate R² vs CNN",
      ours: `${f3(g.r2.mean)} ± ${f3(g.r2.std)}`,
      ...(w ? { waves: `${f3(w.r2.mean)} ± ${f3(w.r2.std)}` } : {}),
    });
    rows.push({
      metric: "age: surrogate MAE vs CNN (years)",
      ours: `${f3(g.mae.mean)} ± ${f3(g.mae.std)}`,
      ...(w ? { waves: `${f3(w.mae.mean)} ± ${f3(w.mae.std)}` } : {}),
    });
    rows.push({
      metric: "age: MAE vs true age, surrogate / CNN",
      ours: `${f3(g.surrogateTrue.mae)} / ${f3(g.cnnTrue.mae)}`,
      note:
        g.surrogateTrue.n === undefined ? undefined : `${g.surrogateTrue.n} ECGs with a known age`,
    });
  }
  if (extra.alignment) {
    const a = extra.alignment;
    // Alignment is the wave clusters' (a two-level explainer's leaves share their wave's).
    const al: TableRow[] = [];
    al.push({
      metric: "landmark alignment: NMI at the P, R and T peaks",
      ours: f3(a.landmarks.nmi),
      note: `${a.records} ECGs; target >= 0.5`,
    });
    al.push({
      metric: "P / QRS / T peaks in their most frequent cluster",
      ours: LANDMARK_WAVES.map((w) => p1(a.landmarks.purity[w])).join(" / "),
      note: `clusters ${LANDMARK_WAVES.map((w) => `C${a.landmarks.cluster[w]}`).join(" / ")}; target >= 55 % each`,
    });
    al.push({ metric: "cluster x wave NMI (samples)", ours: f3(a.nmi) });
    al.push({ metric: "cluster x wave purity (samples)", ours: p1(a.purity) });
    al.push({
      metric: "best-cluster Jaccard P / QRS / T / TP",
      ours: WAVES.map((w) => f3(a.jaccard[w as keyof typeof a.jaccard])).join(" / "),
    });
    rows.push(...(wl ? al.map((row) => ({ ...row, ours: "", waves: row.ours })) : al));
  }
  if (wl)
    rows.push({
      metric: "mean entropy (all ECGs)",
      ours: f3(r.uncertainty.overall),
      waves: f3(extra.leaves?.waveEntropy),
      note: "leaves: of the state within the step's wave; waves: of the wave cluster",
    });
  else rows.push({ metric: "mean entropy (all ECGs)", ours: f3(r.uncertainty.overall) });
  const unstable = leastStable(r.uncertainty);
  if (unstable.length)
    rows.push({
      metric: "least stable class x wave (entropy / the wave's over all ECGs)",
      ours: unstable.map((u) => `${u.cls} ${u.wave} ${u.ratio.toFixed(1)}x`).join(", "),
    });
  rows.push({
    metric: "segmentation stability under noise",
    ours: `${p1(r.stability.agreement)} agreement, NMI ${f3(r.stability.nmi)}`,
    note: `noise ${r.stability.noise} x lead std, ${r.stability.records} ECGs`,
  });
  if (r.gradcam) {
    rows.push({
      metric: `Grad-CAM (${r.gradcam.tap}) vs entropy, Pearson r`,
      ours: f3(r.gradcam.entropy),
      note: `vs cluster importance: ${f3(r.gradcam.importance)}; ${gradcamSample(r.gradcam)}`,
    });
    const del = r.gradcam.deletion;
    const at = del?.fractions.indexOf(0.1) ?? -1;
    if (del && at >= 0)
      rows.push({
        metric:
          "drop of the top class's output, 10 % of samples blanked: Grad-CAM / clusters / random",
        ours: [del.gradcam[at], del.clusters[at], del.random[at]].map((v) => f3(v)).join(" / "),
        note: `deletion curves, ${del.records} ECGs (figure below)`,
      });
  }
  if (r.fidelityByK?.plateau !== undefined) {
    const points = [...r.fidelityByK.perK];
    if (r.fidelity && !points.some((p) => p.k === r.k)) points.push({ k: r.k, ...r.fidelity });
    rows.push({
      metric: "K where fidelity stops improving",
      ours: String(fidelityPlateau(points)),
    });
  }
  return rows;
}

/** The dataset figures, in reading order; figures whose inputs are missing are left out. */
export function reportFigures(r: EvaluationResult, extra: ReportExtras = {}): ReportFigure[] {
  const figs: ReportFigure[] = [];
  const waves = extra.alignment ? clusterWaveNames(extra.alignment.contingency) : undefined;
  const fs = extra.fs ?? 100;
  const rowStyle = leafRows(r);
  const protos: Prototype[] = r.prototypes.clusters
    .map((c, k) => ({ c, k }))
    .filter(({ c }) => c.segments > 0 && c.waveform.every(Number.isFinite))
    .map(({ c, k }) => ({
      cluster: k,
      name: rowStyle.rowNames?.[k],
      color: rowStyle.rowColors?.[k],
      wave: r.leaves ? undefined : waves?.[k],
      // The waveform stretches each segment to `waveform.length` points over its median duration.
      fs: (c.waveform.length - 1) / (Math.max(1, c.duration - 1) / fs),
      t0Ms: 0,
      mean: c.waveform,
      count: c.segments,
      lead: r.prototypes.lead,
    }));
  if (protos.length) {
    figs.push({
      id: "prototypes",
      title: r.leaves ? "Leaf prototypes" : "Cluster prototypes",
      caption: `Median waveform of lead ${r.prototypes.lead} under each ${r.leaves ? "leaf (wave cluster · state)" : "cluster"}: every segment is stretched to the ${r.leaves ? "leaf" : "cluster"}'s median duration, then the point-wise median is taken. n = segments.`,
      svg: renderPrototypes(protos),
    });
  }
  if (extra.proportionsByClass) {
    figs.push({
      id: "proportions",
      title: "Cluster proportions by class",
      caption:
        "Mean share of each ECG's time spent in each cluster, over the ECGs carrying each label.",
      svg: renderProportionsByClass({ ...extra.proportionsByClass, clusterWaves: waves }),
    });
  }
  if (r.correlation.length && r.classes.length > 1) {
    figs.push(
      r.leaves
        ? {
            id: "correlation",
            title: "Which leaves drive each class",
            caption:
              "Pearson correlation of each leaf's proportion (wave cluster · state) with the CNN's probability for each class: red, the more of the ECG in this leaf, the more the network says the class; blue, the less. Rows are grouped by wave cluster, each swatch the wave's colour shaded by the state as in the ECG figures.",
            svg: renderLabelCorrelation({
              classes: r.classes,
              correlation: r.correlation,
              title: "Leaf proportion vs the CNN's probability (Pearson r)",
              ...rowStyle,
            }),
          }
        : {
            id: "correlation",
            title: "Cluster proportions vs predicted labels",
            caption:
              "Pearson correlation of each cluster's proportion with the CNN's probability for each class.",
            svg: renderLabelCorrelation({
              classes: r.classes,
              correlation: r.correlation,
              clusterWaves: waves,
            }),
          },
    );
  }
  const imp = r.importance;
  const measures: { name: string; values: number[]; std?: number[] }[] = [];
  if (imp.permutation.mean.some(Number.isFinite)) {
    measures.push({
      name: "permutation (surrogate)",
      values: imp.permutation.mean,
      std: imp.permutation.std,
    });
  }
  if (imp.deletion.some(Number.isFinite))
    measures.push({ name: "deletion (CNN output)", values: imp.deletion });
  if (imp.impurity.some(Number.isFinite))
    measures.push({ name: "impurity (forest)", values: imp.impurity });
  if (measures.length) {
    figs.push({
      id: "importance",
      title: r.leaves ? "Leaf importance" : "Cluster importance",
      caption: leafWords(
        r,
        (r.task === "age"
          ? "Permutation: drop of the surrogate's R² against the CNN's predicted age when the cluster's proportion is shuffled (held-out folds, ± std). Deletion: mean |change| of the predicted age (years) when the cluster's segments are blanked."
          : "Permutation: drop of the surrogate's agreement with the CNN when the cluster's proportion is shuffled (held-out folds, ± std). Deletion: mean |change| of the CNN's outputs when the cluster's segments are blanked.") +
          " Impurity: the forest's mean decrease in impurity.",
      ),
      svg: renderClusterImportance({
        measures,
        clusterWaves: waves,
        ...rowStyle,
        ...(r.leaves ? { title: "Leaf importance" } : {}),
      }),
    });
  }
  if (extra.alignment) {
    figs.push({
      id: "contingency",
      title: "Cluster x wave contingency",
      caption: `Share of each cluster's samples falling in each wave (${extra.alignment.records} ECGs; waves from the delineator or expert annotations). NMI ${f3(extra.alignment.nmi)}.`,
      svg: renderContingency({ table: extra.alignment.contingency, clusterWaves: waves }),
    });
  }
  const cw = r.uncertainty.byClassWave;
  const classes = Object.keys(cw);
  if (classes.length && classes.some((c) => WAVES.some((w) => Number.isFinite(cw[c][w])))) {
    figs.push({
      id: "entropy",
      title: "Uncertainty by class and wave",
      caption: r.leaves
        ? "Mean normalised entropy of the state assignment (within each step's wave cluster), per wave (delineated), over the ECGs of each class."
        : "Mean normalised entropy of the cluster assignment, per wave (delineated), over the ECGs of each class.",
      svg: renderEntropyByClassWave({
        classes,
        mean: classes.map((c) => WAVES.map((w) => cw[c][w] ?? NaN)),
      }),
    });
  }
  if (r.fidelityByK?.perK.length) {
    // The explainer of the report is a point of the curve too.
    const points = [...r.fidelityByK.perK];
    if (r.fidelity && !points.some((p) => p.k === r.k)) {
      points.push({ k: r.k, mean: r.fidelity.mean, std: r.fidelity.std });
    }
    figs.push({
      id: "fidelity-k",
      title: "Fidelity vs K",
      caption:
        "Surrogate fidelity (mean ± std over folds) for each number of clusters: the explainer's own K in orange, the K where fidelity stops improving (smallest K within one fold std of the best) ringed in green; the dashed line is the paper's figure.",
      svg: renderFidelityVsK({
        points,
        explainerK: r.k,
        plateau: fidelityPlateau(points),
        paper: r.task === "age" ? undefined : PAPER.fidelity,
      }),
    });
  }
  if (extra.gradcamPoints?.length) {
    figs.push({
      id: "gradcam",
      title: "Grad-CAM vs entropy",
      caption:
        "Per sample of the Grad-CAM sample of ECGs: Grad-CAM (scaled to each ECG's maximum) against the assignment entropy.",
      svg: renderGradcamVsEntropy({ points: extra.gradcamPoints, correlation: r.gradcam?.entropy }),
    });
  }
  const del = r.gradcam?.deletion;
  if (del) {
    figs.push({
      id: "deletion",
      title: "Deletion curves",
      caption: `Mean drop of the top class's output (${del.records} ECGs) when the samples each attribution ranks highest are blanked to each lead's median: Grad-CAM at ${r.gradcam!.tap}; the clusters, each sample ranked by how much blanking its whole cluster lowers that output in this ECG (K occlusions, so an occlusion-based ranking); random order, the baseline. The faster a curve rises, the more the attribution points at what the network uses.`,
      svg: renderDeletionCurves({
        fractions: del.fractions,
        curves: [
          { name: `Grad-CAM (${r.gradcam!.tap})`, drop: del.gradcam, color: "#D55E00" },
          { name: "clusters", drop: del.clusters, color: "#0072B2" },
          { name: "random", drop: del.random, color: "#777777", dash: "5 4" },
        ],
      }),
    });
  }
  return figs;
}

/** Per-class scores of the surrogate and the CNN, as an extra table. */
export function perClassTable(r: EvaluationResult): ReportTable | undefined {
  if (!r.surrogate || !r.cnn) return undefined;
  return {
    title: "Per class",
    header: ["class", "fidelity", "AUROC surrogate", "AUROC CNN", "mean entropy"],
    rows: r.classes.map((c, i) => [
      c,
      p1(r.fidelityPerClass?.[i]),
      p1(r.surrogate?.aurocPerClass[i]),
      p1(r.cnn?.aurocPerClass[i]),
      f3(r.uncertainty.byClass[c]),
    ]),
  };
}

/**
 * Possible label errors (evaluate's `labelErrors`): ECG-class pairs where the cluster profile (the
 * out-of-fold surrogate) and the CNN both contradict the recorded label.
 */
export function labelErrorsTable(r: EvaluationResult): ReportTable | undefined {
  if (!r.labelErrors.length) return undefined;
  return {
    title: "Possible label errors",
    header: ["ECG", "class", "recorded label", "surrogate (cluster profile)", "CNN"],
    rows: r.labelErrors.map((e) => [
      e.id,
      e.class,
      e.label ? "yes" : "no",
      e.surrogate.toFixed(2),
      e.cnn.toFixed(2),
    ]),
    caption:
      "ECGs whose cluster proportions (the surrogate forest, trained on other folds) and the CNN both contradict the recorded label, most confident first: candidates for a second reading, not verdicts.",
  };
}

/** Where Grad-CAM and TLC disagree (evaluate's `gradcam.disagreements`). */
export function gradcamDisagreementsTable(r: EvaluationResult): ReportTable | undefined {
  const g = r.gradcam;
  if (!g?.disagreements.length) return undefined;
  return {
    title: `Where Grad-CAM (${g.tap}) and TLC disagree`,
    header: ["ECG", "r with cluster importance", "r with entropy"],
    rows: g.disagreements.map((d) => [d.id, f3(d.importance), f3(d.entropy)]),
    caption:
      "ECGs whose Grad-CAM map (top class) correlates least with the deletion importance of each sample's cluster: Grad-CAM points at parts of the beat whose clusters matter little to the CNN's output.",
  };
}

/**
 * A two-level explainer's leaves, one row each: its wave cluster and state, its share of the
 * steps, the class it is most enriched in, its importance and its state entropy.
 */
export function leafTable(r: EvaluationResult, extra: ReportExtras = {}): ReportTable | undefined {
  if (!r.leaves) return undefined;
  const info = leafInfo(r.leaves);
  const L = extra.leaves;
  const enriched = (l: number): string => {
    const row = L?.enrichment[l];
    if (!row || !L) return "n/a";
    let best = -1;
    row.forEach((v, j) => {
      if (Number.isFinite(v) && (best < 0 || v > row[best])) best = j;
    });
    return best < 0 ? "n/a" : `${L.classes[best]} ×${row[best].toFixed(2)}`;
  };
  const perm = r.importance.permutation;
  return {
    title: "Leaves (wave cluster · state)",
    class: "leaves",
    header: [
      "leaf",
      "wave cluster",
      "state",
      "share of steps",
      r.task === "age" ? "enriched in" : "enriched in (predicted class)",
      "permutation importance",
      "deletion importance",
      "state entropy",
    ],
    rows: info.map((l, i) => [
      String(i),
      l.waveName,
      `${l.state}: ${l.stateName}`,
      p1(L?.share[i]),
      r.task === "age" ? "n/a" : enriched(i),
      Number.isFinite(perm.mean[i]) ? `${f3(perm.mean[i])} ± ${f3(perm.std[i])}` : "n/a",
      f3(r.importance.deletion[i]),
      f3(L?.entropy[i]),
    ]),
    caption:
      "Every step of an ECG has a leaf: its wave cluster (where in the beat) and its state within that wave (what the network made of it), named by the class it is most enriched in. Share: mean share of each ECG's steps. Enriched in: the class whose ECGs (as the network calls them) hold the most of this leaf, relative to all ECGs (×1 = as often as anywhere). Permutation: drop of the surrogate's agreement with the CNN when the leaf's proportion is shuffled (held-out folds). Deletion: mean |change| of the CNN's outputs when the leaf's steps are blanked. State entropy: mean over the leaf's steps, 0 = certain, 1 = uniform over the wave's states.",
  };
}
