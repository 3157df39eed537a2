/**
 * Dataset figures: what each cluster means over a whole dataset. Each function takes plain,
 * JSON-serialisable numbers (as the eval module produces them) and returns a standalone SVG.
 */
import { heatmap, linearScale, title, xAxis } from "./charts.js";
import { attrs, clusterColor, escapeXml, fmt, pct, svgDocument, text } from "./svg.js";

/** Colours of the wave labels (Okabe-Ito), shared by every figure that shows waves. */
export const WAVE_COLORS: Record<string, string> = {
  P: "#0072B2",
  QRS: "#D55E00",
  T: "#009E73",
  TP: "#999999",
};

export function clusterName(c: number, waves?: (string | undefined)[]): string {
  const w = waves?.[c];
  return w ? `C${c} (${w})` : `C${c}`;
}

/**
 * How the per-cluster figures name and colour their rows: by default "C3 (QRS)" in the cluster's
 * colour; a two-level explainer's leaves bring their own names ("C1 QRS · CD-like") and colours
 * (the wave's, shaded by the state).
 */
export interface RowStyle {
  rowNames?: string[];
  rowColors?: string[];
}

function rowName(c: number, style: RowStyle & { clusterWaves?: (string | undefined)[] }): string {
  return style.rowNames?.[c] ?? clusterName(c, style.clusterWaves);
}

function rowColor(c: number, style: RowStyle): string {
  return style.rowColors?.[c] ?? clusterColor(c);
}

/** Left margin (px) that fits the longest row name at 11 px, at least `min`. */
function labelMargin(names: string[], min: number, extra: number): number {
  return Math.max(min, Math.ceil(Math.max(0, ...names.map((n) => n.length)) * 6.3) + extra);
}

export interface Prototype {
  cluster: number;
  /** Its name when not "C{cluster}" (a leaf's), and its colour when not the cluster's. */
  name?: string;
  color?: string;
  /** Wave the cluster aligns with, if known. */
  wave?: string;
  /** Sampling rate of `mean`, Hz. */
  fs: number;
  /** Mean waveform in a window centred on the cluster's segments (one lead). */
  mean: ArrayLike<number>;
  /** Pointwise standard deviation, same length as `mean`. */
  std?: ArrayLike<number>;
  /** Time of the first point in ms (default: centred on 0, the segment centre). */
  t0Ms?: number;
  /** Segments averaged. */
  count?: number;
  lead?: string;
  /** Signal units for the axis, e.g. "mV" or "NU". */
  units?: string;
}

/** Cluster prototypes: the typical waveform under each cluster, mean +- std, small multiples. */
export function renderPrototypes(
  protos: Prototype[],
  opts: { columns?: number; title?: string } = {},
): string {
  const cols = Math.max(1, Math.min(opts.columns ?? 4, protos.length || 1));
  const pw = 170;
  const ph = 120;
  const rows = Math.ceil(protos.length / cols);
  const width = 20 + cols * (pw + 20);
  const height = 40 + rows * (ph + 45);
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of protos) {
    for (let i = 0; i < p.mean.length; i++) {
      const s = p.std ? Number(p.std[i]) || 0 : 0;
      lo = Math.min(lo, p.mean[i] - s);
      hi = Math.max(hi, p.mean[i] + s);
    }
  }
  if (!(hi > lo)) [lo, hi] = [-1, 1];
  const withStd = protos.some((p) => p.std);
  let body = title(
    opts.title ??
      `Cluster prototypes: typical waveform under each cluster${withStd ? " (mean +- 1 std)" : ""}`,
  );
  protos.forEach((p, idx) => {
    const x = 40 + (idx % cols) * (pw + 20);
    const y = 45 + Math.floor(idx / cols) * (ph + 45);
    const n = p.mean.length;
    const spanMs = ((n - 1) / p.fs) * 1000;
    const t0 = p.t0Ms ?? -spanMs / 2;
    // A shared amplitude scale across panels, so prototypes compare at a glance.
    const sx = linearScale([t0, t0 + spanMs], [x, x + pw]);
    const sy = linearScale([lo, hi], [y + ph, y]);
    const tOf = (i: number) => (i / p.fs) * 1000 + t0;
    const color = p.color ?? clusterColor(p.cluster);
    body += `<g class="prototype" data-cluster="${p.cluster}">`;
    body += `<rect${attrs({ x, y, width: pw, height: ph, fill: "#fafafa", stroke: "#cccccc" })}/>`;
    if (t0 < 0 && t0 + spanMs > 0)
      body += `<path d="M${fmt(sx(0))} ${fmt(y)}V${fmt(y + ph)}" stroke="#bbbbbb" stroke-dasharray="3 3"/>`;
    if (p.std) {
      let up = "";
      let down = "";
      for (let i = 0; i < n; i++)
        up += `${i ? "L" : "M"}${fmt(sx(tOf(i)))} ${fmt(sy(p.mean[i] + Number(p.std[i])))}`;
      for (let i = n - 1; i >= 0; i--)
        down += `L${fmt(sx(tOf(i)))} ${fmt(sy(p.mean[i] - Number(p.std[i])))}`;
      body += `<path class="std" d="${up}${down}Z" fill="${color}" fill-opacity="0.3"/>`;
    }
    let d = "";
    for (let i = 0; i < n; i++) d += `${i ? "L" : "M"}${fmt(sx(tOf(i)))} ${fmt(sy(p.mean[i]))}`;
    body += `<path class="mean" d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
    const label = `${p.name ?? `${clusterName(p.cluster)}${p.wave ? ` ${p.wave}` : ""}`}${p.count === undefined ? "" : `, n=${p.count}`}`;
    body += `<rect${attrs({ x, y: y - 14, width: 10, height: 10, fill: color })}/>`;
    body += text(x + 14, y - 5, label, { "font-size": 12, "font-weight": "bold" });
    body += text(x, y + ph + 14, `${Math.round(t0)} ms`, { "font-size": 10, fill: "#555555" });
    body += text(x + pw, y + ph + 14, `${Math.round(t0 + spanMs)} ms`, {
      "font-size": 10,
      fill: "#555555",
      "text-anchor": "end",
    });
    body += text(x + pw / 2, y + ph + 14, p.lead ? `lead ${p.lead}` : "", {
      "font-size": 10,
      fill: "#555555",
      "text-anchor": "middle",
    });
    body += `</g>`;
  });
  const units = protos[0]?.units ?? "";
  body += text(
    10,
    height - 8,
    `amplitude range ${lo.toFixed(2)} to ${hi.toFixed(2)} ${units}, same scale in every panel${protos.some((p) => p.t0Ms !== undefined) ? "" : "; 0 ms = segment centre"}`,
    {
      "font-size": 11,
      fill: "#555555",
    },
  );
  return svgDocument(width, height, body, {
    title: "Cluster prototypes",
    extra: { class: "fig-prototypes" },
  });
}

/** Mean cluster proportions per class: one stacked bar per class (rows: classes x K). */
export function renderProportionsByClass(input: {
  classes: string[];
  proportions: number[][];
  clusterWaves?: (string | undefined)[];
  counts?: number[];
  title?: string;
}): string {
  const k = Math.max(0, ...input.proportions.map((r) => r.length));
  const barH = 26;
  const x0 = 120;
  const w = 480;
  const y0 = 45;
  const legendRows = Math.ceil(k / 5);
  const width = x0 + w + 30;
  const height = y0 + input.classes.length * (barH + 10) + 40 + legendRows * 18;
  let body = title(input.title ?? "Cluster proportions by class (mean share of each ECG's time)");
  const sx = linearScale([0, 1], [x0, x0 + w]);
  input.classes.forEach((cls, i) => {
    const y = y0 + i * (barH + 10);
    const row = input.proportions[i] ?? [];
    const total = row.reduce((s, v) => s + (Number.isFinite(v) ? v : 0), 0) || 1;
    const lab = input.counts ? `${cls} (n=${input.counts[i]})` : cls;
    body += text(x0 - 8, y + barH / 2 + 4, lab, { "text-anchor": "end", "font-size": 12 });
    let acc = 0;
    row.forEach((v, c) => {
      const share = (Number.isFinite(v) ? v : 0) / total; // rows are normalised to fill the bar
      const xa = sx(acc);
      const xb = sx(acc + share);
      body += `<rect${attrs({ class: "bar", "data-class": cls, "data-cluster": c, "data-value": v, x: xa, y, width: Math.max(0, xb - xa), height: barH, fill: clusterColor(c), stroke: "#ffffff", "stroke-width": 0.5 })}><title>${escapeXml(`${cls}: ${clusterName(c, input.clusterWaves)} ${pct(v)}`)}</title></rect>`;
      if (xb - xa > 30)
        body += text((xa + xb) / 2, y + barH / 2 + 4, pct(v, 0), {
          "text-anchor": "middle",
          "font-size": 10,
        });
      acc += share;
    });
  });
  const ya = y0 + input.classes.length * (barH + 10) - 4;
  body += xAxis(sx, ya, undefined, (v) => `${Math.round(v * 100)}%`, 5);
  for (let c = 0; c < k; c++) {
    const lx = x0 + (c % 5) * 96;
    const ly = ya + 28 + Math.floor(c / 5) * 18;
    body += `<rect${attrs({ x: lx, y: ly - 9, width: 10, height: 10, fill: clusterColor(c) })}/>`;
    body += text(lx + 14, ly, clusterName(c, input.clusterWaves), { "font-size": 11 });
  }
  return svgDocument(width, height, body, {
    title: "Cluster proportions by class",
    extra: { class: "fig-proportions" },
  });
}

/** Cluster x wave contingency heatmap, rows normalised (the share of each cluster's samples per wave). */
export function renderContingency(input: {
  table: number[][];
  waves?: string[];
  clusterWaves?: (string | undefined)[];
  normalize?: "row" | "column" | "none";
  title?: string;
}): string {
  const waves = input.waves ?? ["P", "QRS", "T", "TP"];
  const norm = input.normalize ?? "row";
  const t = input.table;
  const colSums = waves.map((_, j) => t.reduce((s, r) => s + (r[j] ?? 0), 0));
  const values = t.map((r) => {
    const rs = r.reduce((s, v) => s + v, 0);
    return waves.map((_, j) =>
      norm === "row"
        ? rs
          ? (r[j] ?? 0) / rs
          : NaN
        : norm === "column"
          ? colSums[j]
            ? (r[j] ?? 0) / colSums[j]
            : NaN
          : (r[j] ?? 0),
    );
  });
  const max = Math.max(1e-12, ...values.flat().filter(Number.isFinite));
  const colour = values.map((r) => r.map((v) => (norm === "none" ? v / max : v)));
  const cellW = 70;
  const cellH = 24;
  const x = 120;
  const y = 70;
  const rowsSum = t.map((r) => r.reduce((s, v) => s + v, 0));
  const all = rowsSum.reduce((s, v) => s + v, 0) || 1;
  const rows = t.map((_, c) => `${clusterName(c, input.clusterWaves)} ${pct(rowsSum[c] / all, 0)}`);
  let body = title(input.title ?? "Cluster x wave contingency");
  const what =
    norm === "row"
      ? "share of each cluster's samples per wave"
      : norm === "column"
        ? "share of each wave's samples per cluster"
        : "sample counts";
  body += text(10, 38, `${what}; rows: cluster (wave), share of all`, {
    "font-size": 11,
    fill: "#555555",
  });
  body += heatmap({
    rows,
    cols: waves,
    values,
    colour,
    format:
      norm === "none"
        ? (v) => String(Math.round(v))
        : (v) => (Number.isFinite(v) ? pct(v, 0) : "n/a"),
    rowSwatches: t.map((_, c) => clusterColor(c)),
    x,
    y,
    cellW,
    cellH,
  });
  const width = x + waves.length * cellW + 30;
  const height = y + t.length * cellH + 20;
  return svgDocument(Math.max(width, 480), height, body, {
    title: "Cluster x wave contingency",
    extra: { class: "fig-contingency" },
  });
}

/** Correlation of each cluster's proportion with each class's predicted probability (K x classes). */
export function renderLabelCorrelation(
  input: {
    classes: string[];
    correlation: number[][];
    clusterWaves?: (string | undefined)[];
    title?: string;
  } & RowStyle,
): string {
  const cellW = 62;
  const cellH = 22;
  const rows = input.correlation.map((_, c) => rowName(c, input));
  const x = labelMargin(rows, 120, 24);
  const y = 60;
  let body = title(input.title ?? "Cluster proportion vs predicted probability (Pearson r)");
  body += heatmap({
    rows,
    cols: input.classes,
    values: input.correlation,
    diverging: true,
    rowSwatches: input.correlation.map((_, c) => rowColor(c, input)),
    x,
    y,
    cellW,
    cellH,
  });
  const width = Math.max(430, x + input.classes.length * cellW + 30);
  return svgDocument(width, y + input.correlation.length * cellH + 20, body, {
    title: "Label correlation",
    extra: { class: "fig-correlation" },
  });
}

/**
 * Per-cluster importance, one panel per measure (e.g. permutation importance in the surrogate,
 * deletion: change of the CNN's output when the cluster's segments are blanked). Bars may be
 * negative (a shuffled proportion can help by chance).
 */
export function renderClusterImportance(
  input: {
    measures: { name: string; values: number[]; std?: number[] }[];
    clusterWaves?: (string | undefined)[];
    title?: string;
  } & RowStyle,
): string {
  const k = Math.max(0, ...input.measures.map((m) => m.values.length));
  const rowH = 20;
  const panelW = 190;
  const names = Array.from({ length: k }, (_, c) => rowName(c, input));
  const x0 = labelMargin(names, 100, 16);
  const y0 = 55;
  const width = x0 + input.measures.length * (panelW + 30) + 10;
  const height = y0 + k * rowH + 40;
  let body = title(input.title ?? "Cluster importance");
  for (let c = 0; c < k; c++) {
    const y = y0 + c * rowH;
    body += `<rect${attrs({ x: 14, y: y + 5, width: 10, height: 10, fill: rowColor(c, input) })}/>`;
    body += text(28, y + 14, names[c], { "font-size": 11 });
  }
  input.measures.forEach((m, i) => {
    const px = x0 + 10 + i * (panelW + 30);
    const finite = m.values.map((v, c) => v + (m.std?.[c] ?? 0)).filter(Number.isFinite);
    const lows = m.values.map((v, c) => v - (m.std?.[c] ?? 0)).filter(Number.isFinite);
    const lo = Math.min(0, ...lows);
    const hi = Math.max(1e-12, ...finite);
    const sx = linearScale([lo, hi], [px, px + panelW]);
    body += text(px + panelW / 2, y0 - 10, m.name, {
      "text-anchor": "middle",
      "font-size": 12,
      "font-weight": "bold",
    });
    m.values.forEach((v, c) => {
      if (!Number.isFinite(v)) return;
      const y = y0 + c * rowH;
      const a = sx(Math.min(0, v));
      const b = sx(Math.max(0, v));
      body += `<rect${attrs({ class: "bar", "data-measure": m.name, "data-cluster": c, "data-value": v, x: a, y: y + 3, width: Math.max(0.5, b - a), height: rowH - 6, fill: rowColor(c, input), stroke: "#555555", "stroke-width": 0.5 })}><title>${escapeXml(`${names[c]}: ${m.name} ${v.toFixed(4)}`)}</title></rect>`;
      const s = m.std?.[c];
      if (s !== undefined && Number.isFinite(s) && s > 0) {
        body += `<path d="M${fmt(sx(v - s))} ${fmt(y + rowH / 2)}H${fmt(sx(v + s))}" stroke="#333333"/>`;
      }
    });
    body += `<path d="M${fmt(sx(0))} ${fmt(y0)}V${fmt(y0 + k * rowH)}" stroke="#333333"/>`;
    body += xAxis(sx, y0 + k * rowH + 2, undefined, undefined, 3);
  });
  return svgDocument(width, height, body, {
    title: "Cluster importance",
    extra: { class: "fig-importance" },
  });
}
