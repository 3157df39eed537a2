/**
 * The evaluation as a Markdown report, the paper's numbers beside ours (Boubekki et al. 2025,
 * METHOD.md "What the paper states").
 */
import type { AlignmentResult } from "./alignment.js";
import type { EvaluationResult } from "./evaluate.js";
import { leastStable } from "./analyses/uncertainty.js";

/** The paper's figures (PTB-XL super-classes, 10-fold CV), in percent. */
export const PAPER = {
  fidelity: { mean: 94.9, std: 0.5 },
  accuracy: { surrogate: 88.2, cnn: 88.4 },
  auroc: { surrogate: 79.6, cnn: 81.4 },
} as const;

const pct = (v: number | undefined, digits = 1) =>
  v === undefined || !Number.isFinite(v) ? "n/a" : (100 * v).toFixed(digits);
const num = (v: number | undefined, digits = 3) =>
  v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(digits);

/**
 * "100 ECGs, Pearson per ECG (mean)", naming the maps that are zero at every step (no correlation,
 * left out of the mean) when there are any.
 */
export function gradcamSample(g: { records: number; zeroMaps?: number }): string {
  if (!g.zeroMaps) return `${g.records} ECGs, Pearson per ECG (mean)`;
  return (
    `${g.records} ECGs (${g.zeroMaps} maps zero at every step, left out), ` +
    `Pearson per ECG (mean over the other ${g.records - g.zeroMaps})`
  );
}

/** Three significant digits: entropies can be tiny (a peaked posterior) and still differ. */
const sig = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v)
    ? "n/a"
    : Math.abs(v) >= 0.01
      ? v.toFixed(3)
      : v.toPrecision(3);

const WAVES = ["P", "QRS", "T", "TP"] as const;

/** An entropy and, in brackets, its ratio to a reference entropy. */
const relative = (v: number | undefined, ref: number | undefined) =>
  v === undefined || ref === undefined || !Number.isFinite(v / ref)
    ? sig(v)
    : `${sig(v)} (${(v / ref).toFixed(1)}x)`;

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Markdown for an alignment result (the align command, or the LUDB part of a report). */
export function renderAlignment(a: AlignmentResult, title = "Landmark alignment"): string {
  const out = [
    `## ${title}`,
    "",
    `${a.records} records. Sample level: NMI ${num(a.nmi)}, purity ${pct(a.purity)} %. ` +
      `Landmarks (P, R, T peaks): NMI ${num(a.landmarks.nmi)} (target >= 0.5).`,
    "",
    table(
      [
        "wave",
        "best-cluster Jaccard",
        "peaks in most frequent cluster (target >= 55 %)",
        "that cluster",
      ],
      WAVES.map((w) => [
        w,
        num(a.jaccard[w as keyof typeof a.jaccard]),
        w === "TP" ? "" : `${pct(a.landmarks.purity[w as "P"])} %`,
        w === "TP" ? "" : a.landmarks.cluster[w as "P"],
      ]),
    ),
    "",
    "Contingency (samples, clusters x waves):",
    "",
    table(
      ["cluster", ...WAVES],
      a.contingency.map((row, c) => [c, ...row]),
    ),
  ];
  return out.join("\n");
}

/** Markdown lines naming, per wave, the records whose peaks mostly leave that wave's cluster. */
export function renderApart(
  apart: Record<"P" | "QRS" | "T", string[]>,
  records: number,
  most = 20,
): string {
  const lines = (["P", "QRS", "T"] as const).map((w) => {
    const ids = apart[w];
    const shown = ids.slice(0, most).join(", ") + (ids.length > most ? ", ..." : "");
    return `- ${w}: ${ids.length} of ${records} records${ids.length ? ` (${shown})` : ""}`;
  });
  return [
    "Records keeping at most half of a wave's peaks in that wave's cluster (the network files",
    "these waves apart; per-wave purity counts them as misses):",
    "",
    ...lines,
  ].join("\n");
}

export function renderMarkdown(
  r: EvaluationResult,
  alignment?: AlignmentResult,
  setup: [string, string][] = [],
): string {
  const out: string[] = [
    `# TLC evaluation`,
    "",
    `${r.n} ECGs, folds ${r.folds.join(", ")}, K = ${r.k}, task ${r.task}; ${r.seconds.toFixed(0)} s.`,
    "",
    ...(setup.length ? [...setup.map(([k, v]) => `- ${k}: ${v}`), ""] : []),
  ];
  if (r.fidelity && r.surrogate && r.cnn) {
    out.push(
      "## Surrogate fidelity (random forest on cluster proportions, cross-validated by strat_fold)",
      "",
      table(
        ["", "paper", "ours"],
        [
          [
            "Fidelity (forest vs CNN labels), %",
            `${PAPER.fidelity.mean} +- ${PAPER.fidelity.std}`,
            `${pct(r.fidelity.mean)} +- ${pct(r.fidelity.std)}`,
          ],
          [
            "Accuracy, surrogate / CNN, %",
            `${PAPER.accuracy.surrogate} / ${PAPER.accuracy.cnn}`,
            `${pct(r.surrogate.accuracy)} / ${pct(r.cnn.accuracy)}`,
          ],
          [
            "Macro AUROC from labels, surrogate / CNN, %",
            `${PAPER.auroc.surrogate} / ${PAPER.auroc.cnn}`,
            `${pct(r.surrogate.aurocLabels)} / ${pct(r.cnn.aurocLabels)}`,
          ],
          [
            "Macro AUROC from scores, surrogate / CNN, %",
            "-",
            `${pct(r.surrogate.auroc)} / ${pct(r.cnn.auroc)}`,
          ],
          ["Macro F1, surrogate / CNN, %", "-", `${pct(r.surrogate.f1)} / ${pct(r.cnn.f1)}`],
        ],
      ),
      "",
      "The paper's CNN AUROC (81.4 %) beside its 88.4 % accuracy suggests AUROC from thresholded labels; both are shown.",
      "",
      `Per fold: ${Object.entries(r.fidelity.perFold)
        .map(([f, v]) => `${f}: ${pct(v)}`)
        .join(
          ", ",
        )}. Per class: ${r.classes.map((c, i) => `${c} ${pct(r.fidelityPerClass?.[i])}`).join(", ")}.`,
      "",
    );
    if (r.soft)
      out.push(
        `On soft proportions instead: fidelity ${pct(r.soft.fidelity.mean)} +- ${pct(r.soft.fidelity.std)} %, ` +
          `surrogate AUROC ${pct(r.soft.surrogate.auroc)} (scores) / ${pct(r.soft.surrogate.aurocLabels)} (labels).`,
        "",
      );
    if (r.scoreSurrogate)
      out.push(
        `A forest regressing the CNN's probabilities (cut at the CNN's thresholds) instead of its labels: fidelity ` +
          `${pct(r.scoreSurrogate.fidelity.mean)} +- ${pct(r.scoreSurrogate.fidelity.std)} %, accuracy ${pct(r.scoreSurrogate.surrogate.accuracy)} %, ` +
          `AUROC ${pct(r.scoreSurrogate.surrogate.auroc)} (scores) / ${pct(r.scoreSurrogate.surrogate.aurocLabels)} (labels) beside the CNN's ${pct(r.cnn.auroc)} / ${pct(r.cnn.aurocLabels)}.`,
        "",
      );
    if (r.atHalf)
      out.push(
        `Against the CNN's labels cut at 0.5 instead of its own thresholds (${r.atHalf.cnnThresholds.map((t) => t.toFixed(2)).join(", ")}): ` +
          `fidelity ${pct(r.atHalf.fidelity.mean)} +- ${pct(r.atHalf.fidelity.std)} %.`,
        "",
      );
    if (r.byMargin) {
      const pairs = r.byMargin.reduce((t, x) => t + x.pairs, 0);
      const all = r.byMargin.reduce((t, x) => t + x.disagreements, 0);
      out.push(
        "Where surrogate and CNN disagree, by the distance of the CNN's probability from its threshold:",
        "",
        table(
          [
            "distance",
            "share of (ECG, class) pairs %",
            "disagreeing %",
            "share of all disagreements %",
          ],
          r.byMargin.map((b) => [
            Number.isFinite(b.hi) ? `${b.lo}-${b.hi}` : `>= ${b.lo}`,
            pct(b.pairs / pairs),
            pct(b.disagreements / b.pairs),
            pct(b.disagreements / all),
          ]),
        ),
        "",
      );
    }
  }
  if (r.regression) {
    const g = r.regression;
    out.push(
      "## Age: random-forest regressor on cluster proportions",
      "",
      table(
        ["", "R^2", "MAE (years)"],
        [
          [
            "surrogate vs CNN age (mean +- std over folds)",
            `${num(g.r2.mean)} +- ${num(g.r2.std)}`,
            `${num(g.mae.mean, 2)} +- ${num(g.mae.std, 2)}`,
          ],
          [
            `surrogate vs true age (${g.surrogateTrue.n} ECGs with a known age)`,
            num(g.surrogateTrue.r2),
            num(g.surrogateTrue.mae, 2),
          ],
          [`CNN vs true age (the same ${g.cnnTrue.n})`, num(g.cnnTrue.r2), num(g.cnnTrue.mae, 2)],
        ],
      ),
      "",
    );
  }
  out.push(
    r.task === "age"
      ? "## Cluster proportion x predicted age (Pearson)"
      : "## Cluster proportion x class probability (Pearson)",
    "",
    table(
      ["cluster", ...r.classes],
      r.correlation.map((row, c) => [c, ...row.map((v) => num(v, 2))]),
    ),
    "",
    "## Cluster importance",
    "",
    table(
      [
        "cluster",
        r.task === "age" ? "permutation (R^2 drop)" : "permutation (agreement drop)",
        r.task === "age"
          ? "deletion (mean abs. change of the predicted age)"
          : "deletion (mean abs. output change)",
        "impurity",
      ],
      Array.from({ length: r.k }, (_, c) => [
        c,
        `${num(r.importance.permutation.mean[c])} +- ${num(r.importance.permutation.std[c])}`,
        num(r.importance.deletion[c]),
        num(r.importance.impurity[c]),
      ]),
    ),
    "",
    "## Uncertainty (mean normalised entropy)",
    "",
    "In brackets: the ratio to the same wave (or to all samples) over all ECGs; above 1 the " +
      "network's representation is less stable there than usual.",
    "",
    table(
      ["class", "all", "P", "QRS", "T", "TP"],
      Object.entries(r.uncertainty.byClassWave).map(([c, w]) => [
        c,
        relative(r.uncertainty.byClass[c], r.uncertainty.overall),
        ...WAVES.map((x) => relative(w[x], r.uncertainty.byWave[x])),
      ]),
    ),
    "",
    `All ECGs: ${sig(r.uncertainty.overall)}; by wave: ${Object.entries(r.uncertainty.byWave)
      .map(([w, v]) => `${w} ${sig(v)}`)
      .join(", ")}. Least stable: ${
      leastStable(r.uncertainty)
        .map((c) => `${c.cls} at ${c.wave} (${c.ratio.toFixed(1)}x)`)
        .join(", ") || "n/a"
    }.`,
    "",
    "## Stability under noise",
    "",
    `Gaussian noise of ${r.stability.noise} x each lead's std on ${r.stability.records} ECGs: ` +
      `${pct(r.stability.agreement)} % of samples keep their cluster, NMI ${num(r.stability.nmi)}.`,
    "",
  );
  const del = r.gradcam?.deletion;
  if (r.gradcam)
    out.push(
      "## Grad-CAM beside TLC",
      "",
      `Grad-CAM of the top class at ${r.gradcam.tap} on ${gradcamSample(r.gradcam)}: ` +
        `with entropy ${num(r.gradcam.entropy)}, ` +
        `with the deletion importance of the sample's cluster ${num(r.gradcam.importance)}.`,
      `Largest disagreements: ${r.gradcam.disagreements.map((d) => `${d.id} (${num(d.importance, 2)})`).join(", ") || "none"}.`,
      ...(del
        ? [
            "",
            `Deletion curves on ${del.records} ECGs: mean drop of the top class's output when the samples each attribution ranks highest are blanked (higher is more faithful; random order is the baseline; the clusters' ranking is itself K occlusions of this ECG).`,
            "",
            table(
              ["samples blanked", "Grad-CAM", "clusters", "random"],
              del.fractions.map((f, j) => [
                `${pct(f, 0)} %`,
                num(del.gradcam[j]),
                num(del.clusters[j]),
                num(del.random[j]),
              ]),
            ),
          ]
        : []),
      ...(r.gradcam.tap !== "B4" && r.gradcam.zeroMaps > r.gradcam.records / 10
        ? [
            "",
            `A map is zero at every step where the gradient-weighted activations are negative throughout, ` +
              `which is common below the last block; \`--gradcam-tap B4\` compares at the last block instead.`,
          ]
        : []),
      "",
    );
  if (r.fidelityByK)
    out.push(
      "## Fidelity by K",
      "",
      table(
        ["K", "fidelity %"],
        r.fidelityByK.perK.map((x) => [x.k, `${pct(x.mean)} +- ${pct(x.std)}`]),
      ),
      "",
      `Fidelity stops improving at K = ${r.fidelityByK.plateau ?? "n/a"}.`,
      "",
    );
  if (r.labelErrors.length)
    out.push(
      "## Possible label errors (cluster profile and CNN both against the label)",
      "",
      table(
        ["ECG", "class", "label", "surrogate", "CNN"],
        r.labelErrors.map((e) => [e.id, e.class, e.label, num(e.surrogate, 2), num(e.cnn, 2)]),
      ),
      "",
    );
  out.push(
    "## Cluster prototypes",
    "",
    `Median waveform on lead ${r.prototypes.lead} under each cluster (in the JSON); median segment duration in samples: ` +
      r.prototypes.clusters
        .map((p, c) => `${c}: ${num(p.duration, 0)} (${p.segments} segments)`)
        .join(", ") +
      ".",
    "",
  );
  if (alignment) out.push(renderAlignment(alignment), "");
  return out.join("\n");
}
