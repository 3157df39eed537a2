/**
 * Dataset figures: what each cluster means over a whole dataset. Each function takes plain,
 * JSON-serialisable numbers (as the eval module produces them) and returns a standalone SVG.
 */
import { heatmap, linearScale, title, xAxis, yAxis } from "./charts.js";
import { attrs, clusterColor, escapeXml, fmt, niceTicks, pct, svgDocument, text } from "./svg.js";

/** Colours of the wave labels (Okabe-Ito), shared by every figure that shows waves. */
export const WAVE_COLORS: Record<string, string> = {
  P: "#0072B2",
  QRS: "#D55E00",
  T: "#009E73",
  TP: "#999999",
};

function clusterName(c: number, waves?: (string | undefined)[]): string {
  const w = waves?.[c];
  return w ? `C${c} (${w})` : `C${c}`;
}

export interface Prototype {
  cluster: number;
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
    const color = clusterColor(p.cluster);
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
    const label = `${clusterName(p.cluster)}${p.wave ? ` ${p.wave}` : ""}${p.count === undefined ? "" : `, n=${p.count}`}`;
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

/** Mean entropy by class (groups) and wave (bars), with +- std whiskers when given. */
export function renderEntropyByClassWave(input: {
  classes: string[];
  waves?: string[];
  mean: number[][];
  std?: number[][];
  title?: string;
}): string {
  const waves = input.waves ?? ["P", "QRS", "T", "TP"];
  const x0 = 60;
  const groupW = Math.max(60, waves.length * 18 + 20);
  const width = x0 + input.classes.length * groupW + 110;
  const height = 300;
  const y0 = 40;
  const y1 = height - 50;
  let hi = 0;
  input.mean.forEach((r, i) =>
    r.forEach((v, j) => {
      const top = v + (input.std?.[i]?.[j] ?? 0);
      if (Number.isFinite(top)) hi = Math.max(hi, top);
    }),
  );
  // Domain up to the next nice tick above the tallest bar (entropies can be tiny when the
  // clusters are well separated), never beyond 1.
  const t = niceTicks(0, Math.max(hi, 1e-3), 5);
  const step = t.length > 1 ? t[1] - t[0] : 0.1;
  const sy = linearScale(
    [0, Math.min(1, Math.max(step, Math.ceil(hi / step - 1e-9) * step))],
    [y1, y0],
  );
  let body = title(input.title ?? "Assignment entropy by class and wave");
  body += yAxis(sy, x0, x0 + input.classes.length * groupW, "mean normalised entropy");
  const barW = (groupW - 20) / waves.length;
  input.classes.forEach((cls, i) => {
    const gx = x0 + i * groupW + 10;
    waves.forEach((w, j) => {
      const v = input.mean[i]?.[j] ?? NaN;
      if (!Number.isFinite(v)) return;
      const x = gx + j * barW;
      body += `<rect${attrs({ class: "bar", "data-class": cls, "data-wave": w, "data-value": v, x, y: sy(v), width: barW - 2, height: Math.max(0, y1 - sy(v)), fill: WAVE_COLORS[w] ?? "#777777" })}><title>${escapeXml(`${cls}, ${w}: ${v.toFixed(3)}`)}</title></rect>`;
      const s = input.std?.[i]?.[j];
      if (s !== undefined && Number.isFinite(s)) {
        const cx = x + (barW - 2) / 2;
        body += `<path d="M${fmt(cx)} ${fmt(sy(Math.max(0, v - s)))}V${fmt(sy(v + s))}M${fmt(cx - 3)} ${fmt(sy(v + s))}h6" stroke="#333333"/>`;
      }
    });
    body += text(gx + (groupW - 20) / 2, y1 + 16, cls, {
      "text-anchor": "middle",
      "font-size": 12,
    });
  });
  body += `<path d="M${fmt(x0)} ${fmt(y1)}H${fmt(x0 + input.classes.length * groupW)}" stroke="#333333"/>`;
  waves.forEach((w, j) => {
    const lx = x0 + input.classes.length * groupW + 20;
    const ly = y0 + 10 + j * 18;
    body += `<rect${attrs({ x: lx, y: ly - 9, width: 10, height: 10, fill: WAVE_COLORS[w] ?? "#777777" })}/>`;
    body += text(lx + 14, ly, w, { "font-size": 11 });
  });
  return svgDocument(width, height, body, {
    title: "Entropy by class and wave",
    extra: { class: "fig-entropy" },
  });
}

/** Surrogate fidelity vs K (mean +- std over folds), the chosen K marked, the paper's figure as a line. */
export function renderFidelityVsK(input: {
  points: { k: number; mean: number; std: number }[];
  chosen?: number;
  paper?: { k?: number; mean: number; std?: number };
  title?: string;
}): string {
  const pts = [...input.points].sort((a, b) => a.k - b.k);
  const width = 560;
  const height = 320;
  const x0 = 70;
  const x1 = width - 30;
  const y0 = 40;
  const y1 = height - 55;
  const ks = pts.map((p) => p.k);
  let lo = Math.min(...pts.map((p) => p.mean - p.std), input.paper?.mean ?? Infinity);
  let hi = Math.max(...pts.map((p) => p.mean + p.std), input.paper?.mean ?? -Infinity);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  const pad = Math.max(0.005, (hi - lo) * 0.15);
  const sy = linearScale([Math.max(0, lo - pad), Math.min(1, hi + pad)], [y1, y0]);
  const kLo = Math.min(...ks) - 1;
  const kHi = Math.max(...ks) + 1;
  const sx = linearScale([kLo, kHi], [x0, x1]);
  let body = title(input.title ?? "Surrogate fidelity vs number of clusters K");
  body += yAxis(sy, x0, x1, "fidelity (agreement with CNN)", (v) => `${(v * 100).toFixed(1)}%`);
  body += xAxis(sx, y1, "K (clusters)", (v) => String(v), 6, ks);
  if (input.paper) {
    const py = sy(input.paper.mean);
    body += `<path class="paper-line" d="M${fmt(x0)} ${fmt(py)}H${fmt(x1)}" stroke="#CC79A7" stroke-dasharray="6 4" stroke-width="1.5"/>`;
    body += text(
      x1 - 4,
      py - 5,
      `paper: ${pct(input.paper.mean)}${input.paper.k ? ` (K=${input.paper.k})` : ""}`,
      {
        "text-anchor": "end",
        "font-size": 11,
        fill: "#882255",
      },
    );
  }
  let d = "";
  pts.forEach((p, i) => (d += `${i ? "L" : "M"}${fmt(sx(p.k))} ${fmt(sy(p.mean))}`));
  body += `<path class="fidelity-line" d="${d}" fill="none" stroke="#0072B2" stroke-width="2"/>`;
  for (const p of pts) {
    const x = sx(p.k);
    body += `<path d="M${fmt(x)} ${fmt(sy(p.mean - p.std))}V${fmt(sy(p.mean + p.std))}M${fmt(x - 4)} ${fmt(sy(p.mean - p.std))}h8M${fmt(x - 4)} ${fmt(sy(p.mean + p.std))}h8" stroke="#0072B2"/>`;
    const chosen = p.k === input.chosen;
    body += `<circle${attrs({ class: "point", "data-k": p.k, "data-mean": p.mean, cx: x, cy: sy(p.mean), r: chosen ? 6 : 3.5, fill: chosen ? "#D55E00" : "#0072B2" })}><title>${escapeXml(`K=${p.k}: ${pct(p.mean, 2)} +- ${pct(p.std, 2)}`)}</title></circle>`;
    if (chosen)
      body += text(x, sy(p.mean + p.std) - 8, `chosen K=${p.k}`, {
        "text-anchor": "middle",
        "font-size": 11,
        fill: "#D55E00",
      });
  }
  return svgDocument(width, height, body, {
    title: "Fidelity vs K",
    extra: { class: "fig-fidelity" },
  });
}

/** Grad-CAM vs entropy: one point per (ECG, time step) sample, coloured by group (class or wave). */
export function renderGradcamVsEntropy(input: {
  points: { gradcam: number; entropy: number; group?: string }[];
  correlation?: number;
  maxPoints?: number;
  title?: string;
}): string {
  const width = 560;
  const height = 360;
  const x0 = 70;
  const x1 = width - 120;
  const y0 = 40;
  const y1 = height - 55;
  // Deterministic thinning by a hash of the index (not every m-th point, which would alias with
  // periodic inputs such as waves in beat order), so big datasets give small figures.
  const max = input.maxPoints ?? 3000;
  const keep = Math.min(1, max / Math.max(1, input.points.length));
  const pts = input.points.filter(
    (_, i) => keep >= 1 || (Math.imul(i + 1, 2654435761) >>> 0) / 4294967296 < keep,
  );
  const gmax = Math.max(1e-12, ...pts.map((p) => p.gradcam));
  const sx = linearScale([0, gmax <= 1 ? 1 : gmax], [x0, x1]);
  const sy = linearScale([0, 1], [y1, y0]);
  const groups = [...new Set(pts.map((p) => p.group ?? ""))];
  const colorOf = (g: string) => WAVE_COLORS[g] ?? clusterColor(groups.indexOf(g));
  const r = input.correlation;
  let body = title(
    input.title ?? `Grad-CAM vs entropy${r === undefined ? "" : ` (r = ${r.toFixed(2)})`}`,
  );
  body += yAxis(sy, x0, x1, "entropy", (v) => v.toFixed(1));
  body += xAxis(sx, y1, "Grad-CAM (normalised per ECG)", (v) => v.toFixed(1));
  let dots = "";
  for (const p of pts) {
    dots += `<circle cx="${fmt(sx(p.gradcam))}" cy="${fmt(sy(p.entropy))}" r="1.8" fill="${colorOf(p.group ?? "")}" fill-opacity="0.45"/>`;
  }
  body += `<g class="points" data-n="${pts.length}">${dots}</g>`;
  groups.forEach((g, j) => {
    if (!g) return;
    body += `<circle cx="${fmt(x1 + 20)}" cy="${fmt(y0 + 10 + j * 18)}" r="5" fill="${colorOf(g)}"/>`;
    body += text(x1 + 30, y0 + 14 + j * 18, g, { "font-size": 11 });
  });
  return svgDocument(width, height, body, {
    title: "Grad-CAM vs entropy",
    extra: { class: "fig-gradcam" },
  });
}

/** Correlation of each cluster's proportion with each class's predicted probability (K x classes). */
export function renderLabelCorrelation(input: {
  classes: string[];
  correlation: number[][];
  clusterWaves?: (string | undefined)[];
  title?: string;
}): string {
  const cellW = 62;
  const cellH = 22;
  const x = 120;
  const y = 60;
  let body = title(input.title ?? "Cluster proportion vs predicted probability (Pearson r)");
  body += heatmap({
    rows: input.correlation.map((_, c) => clusterName(c, input.clusterWaves)),
    cols: input.classes,
    values: input.correlation,
    diverging: true,
    rowSwatches: input.correlation.map((_, c) => clusterColor(c)),
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
export function renderClusterImportance(input: {
  measures: { name: string; values: number[]; std?: number[] }[];
  clusterWaves?: (string | undefined)[];
  title?: string;
}): string {
  const k = Math.max(0, ...input.measures.map((m) => m.values.length));
  const rowH = 20;
  const panelW = 190;
  const x0 = 100;
  const y0 = 55;
  const width = x0 + input.measures.length * (panelW + 30) + 10;
  const height = y0 + k * rowH + 40;
  let body = title(input.title ?? "Cluster importance");
  for (let c = 0; c < k; c++) {
    const y = y0 + c * rowH;
    body += `<rect${attrs({ x: x0 - 86, y: y + 5, width: 10, height: 10, fill: clusterColor(c) })}/>`;
    body += text(x0 - 72, y + 14, clusterName(c, input.clusterWaves), { "font-size": 11 });
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
      body += `<rect${attrs({ class: "bar", "data-measure": m.name, "data-cluster": c, "data-value": v, x: a, y: y + 3, width: Math.max(0.5, b - a), height: rowH - 6, fill: clusterColor(c), stroke: "#555555", "stroke-width": 0.5 })}><title>${escapeXml(`${clusterName(c, input.clusterWaves)}: ${m.name} ${v.toFixed(4)}`)}</title></rect>`;
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
