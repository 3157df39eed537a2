/**
 * The per-ECG figure's header (record, scale, prediction vs label per class) and legend (cluster
 * colours with the wave each aligns with, the entropy band, Grad-CAM). Millimetre units.
 */
import { attrs, clusterColor, fmt, pct, text } from "./svg.js";
import { predictedLabels } from "../explain/explanation.js";
import type { EcgFigureOptions, FigureExplanation } from "./ecg-options.js";

/** Where the header goes and what scale it states (millimetres, samples at `fs`). */
export interface HeaderLayout {
  x0: number;
  plotW: number;
  fs: number;
  /** Samples shown, of `total`. */
  n: number;
  total: number;
  unit: string;
  mmPerS: number;
  mmPerMv: number;
}

export function header(
  e: FigureExplanation,
  opts: EcgFigureOptions,
  { x0, plotW, fs, n, total, unit, mmPerS, mmPerMv }: HeaderLayout,
): string {
  let s = `<g class="header">`;
  s += text(x0, 6, opts.title ?? `Record ${e.record}`, { "font-size": 4.2, "font-weight": "bold" });
  const meanH = e.meanEntropy ?? mean(e.entropy);
  const shown =
    n < total
      ? `first ${(n / fs).toFixed(1)} s of ${(total / fs).toFixed(1)} s`
      : `${(n / fs).toFixed(1)} s`;
  s += text(x0, 11, `${fs} Hz, ${shown}, ${mmPerS} mm/s, ${mmPerMv} mm/${unit}`, {
    "font-size": 2.8,
    fill: "#333333",
    class: "scale",
  });
  const both = opts.leaves && e.meanStateEntropy !== undefined;
  const entropyLine = both
    ? `mean entropy: waves ${meanH.toFixed(3)}, states ${e.meanStateEntropy!.toFixed(3)}`
    : `mean entropy ${meanH.toFixed(3)}`;
  s += text(x0, 15.5, entropyLine, { "font-size": 2.8, fill: "#333333" });
  // Prediction vs label, one column per class, right-aligned to the plot; an age model's one
  // output is years, not a probability to threshold.
  const classes = Object.keys(e.outputs);
  if (classes.length === 1 && classes[0] === "age")
    return s + ageBox(e.outputs.age, opts.trueAge, x0 + plotW) + `</g>`;
  const labels = new Set(opts.trueLabels ?? []);
  const predicted = new Set(
    predictedLabels({ classes, thresholds: opts.thresholds ?? [] }, e.outputs),
  );
  // Labels in another vocabulary (LUDB's rhythm, CinC's SNOMED codes) or none: unknown, not "no".
  const labelled = classes.some((c) => labels.has(c));
  const colW = 19;
  const left = x0 + plotW - classes.length * colW;
  s += text(left - 1, 10.5, "predicted", {
    "font-size": 2.5,
    "text-anchor": "end",
    fill: "#333333",
  });
  s += text(left - 1, 15, "label", { "font-size": 2.5, "text-anchor": "end", fill: "#333333" });
  classes.forEach((cls, i) => {
    const p = e.outputs[cls];
    const pred = predicted.has(cls);
    const lab = labels.has(cls);
    const cx = left + i * colW + colW / 2;
    const agree = !labelled || pred === lab;
    s += `<g class="prediction"${attrs({ "data-class": cls, "data-predicted": pred ? 1 : 0, "data-label": labelled ? (lab ? 1 : 0) : "" })}>`;
    s += `<rect${attrs({ x: left + i * colW + 0.5, y: 2, width: colW - 1, height: 15, fill: agree ? "#f2f2f2" : "#fde0dc", stroke: agree ? "#bbbbbb" : "#D55E00", "stroke-width": 0.2 })}/>`;
    s += text(cx, 5.8, cls, { "font-size": 2.8, "font-weight": "bold", "text-anchor": "middle" });
    s += text(cx, 10.5, `${pred ? "yes" : "no"} ${p.toFixed(2)}`, {
      "font-size": 2.6,
      "text-anchor": "middle",
      "font-weight": pred ? "bold" : "normal",
    });
    s += text(cx, 15, !labelled ? "–" : lab ? "yes" : "no", {
      "font-size": 2.6,
      "text-anchor": "middle",
    });
    s += `</g>`;
  });
  return s + `</g>`;
}

/** The predicted age beside the true one (when known), right-aligned at `right`. */
function ageBox(predicted: number, truth: number | undefined, right: number): string {
  const w = 30;
  const cx = right - w / 2;
  const known = truth !== undefined && Number.isFinite(truth);
  let s = `<g class="prediction"${attrs({ "data-class": "age", "data-predicted": fmt(predicted), "data-label": known ? fmt(truth) : "" })}>`;
  s += `<rect${attrs({ x: right - w + 0.5, y: 2, width: w - 1, height: 15, fill: "#f2f2f2", stroke: "#bbbbbb", "stroke-width": 0.2 })}/>`;
  s += text(cx, 5.8, "age", { "font-size": 2.8, "font-weight": "bold", "text-anchor": "middle" });
  s += text(cx, 10.5, `predicted ${predicted.toFixed(1)} y`, {
    "font-size": 2.6,
    "text-anchor": "middle",
    "font-weight": "bold",
  });
  s += text(cx, 15, known ? `true ${truth.toFixed(0)} y` : "true age unknown", {
    "font-size": 2.6,
    "text-anchor": "middle",
  });
  return s + `</g>`;
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Number(v[i]) || 0;
  return v.length ? s / v.length : NaN;
}

export function clusterLegend(
  e: FigureExplanation,
  k: number,
  waves: (string | undefined)[] | undefined,
  x0: number,
  y: number,
  width: number,
  hasCam: boolean,
): { svg: string; height: number } {
  const itemW = 36;
  const perRow = Math.max(1, Math.floor(width / itemW));
  let s = `<g class="legend">`;
  s += text(x0, y + 2.5, "Clusters (background): wave it aligns with, share of this ECG", {
    "font-size": 2.6,
    "font-weight": "bold",
  });
  for (let c = 0; c < k; c++) {
    const x = x0 + (c % perRow) * itemW;
    const yy = y + 5 + Math.floor(c / perRow) * 5;
    const wave = waves?.[c];
    const share = e.proportions?.[c];
    s += `<g class="legend-item" data-cluster="${c}">`;
    s += `<rect${attrs({ x, y: yy, width: 5, height: 3.5, fill: clusterColor(c), "fill-opacity": 0.6, stroke: "#666666", "stroke-width": 0.1 })}/>`;
    const label = `C${c}${wave ? ` ${wave}` : ""}${share === undefined ? "" : ` ${pct(share)}`}`;
    s += text(x + 6.5, yy + 2.9, label, { "font-size": 2.8 });
    s += `</g>`;
  }
  const rows = Math.ceil(k / perRow);
  const yk = y + 5 + rows * 5 + 1;
  s += `<rect x="${fmt(x0)}" y="${fmt(yk)}" width="5" height="3.5" fill="#555555" fill-opacity="0.75"/>`;
  s += text(
    x0 + 6.5,
    yk + 2.9,
    "band under each lead: assignment entropy (0 at the bottom to 1 at the top)",
    {
      "font-size": 2.8,
    },
  );
  let h = yk + 4 - y;
  if (hasCam) {
    s += `<path d="M${fmt(x0)} ${fmt(yk + 6.5)}h5" stroke="#D55E00" stroke-width="0.5"/>`;
    s += text(x0 + 6.5, yk + 7.6, "Grad-CAM in the band, scaled to its maximum", {
      "font-size": 2.8,
    });
    h += 5;
  }
  return { svg: s + `</g>`, height: h };
}
