/**
 * Generic chart pieces for the dataset figures (pixel user units): linear scales, axes with nice
 * ticks, a labelled heatmap. The domain figures in dataset.ts compose these.
 */
import { attrs, escapeXml, fmt, heatColor, heatTextColor, niceTicks, text } from "./svg.js";

export interface Scale {
  (v: number): number;
  domain: [number, number];
  range: [number, number];
}

/** d3's scaleLinear in one line: maps [d0, d1] onto [r0, r1] (a zero-width domain maps to r0). */
export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const f = ((v: number) => r0 + (v - d0) * k) as Scale;
  f.domain = domain;
  f.range = range;
  return f;
}

/** Frame of a plot inside a figure: margins around the plotting area. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function plotArea(f: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: f.left, x1: f.width - f.right, y0: f.top, y1: f.height - f.bottom };
}

/** Tick labels with as many decimals as the tick step needs (0.02 -> "0.04", 5 -> "10"). */
export function tickFormat(ticks: number[]): (v: number) => string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = step > 0 ? Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9))) : 0;
  return (v) => v.toFixed(decimals);
}

/** Left axis with gridlines across the plot and an optional label. */
export function yAxis(
  s: Scale,
  x0: number,
  x1: number,
  label?: string,
  format?: (v: number) => string,
  count = 5,
): string {
  const [lo, hi] = s.domain;
  let out = `<g class="y-axis" font-size="11">`;
  const ticks = niceTicks(Math.min(lo, hi), Math.max(lo, hi), count);
  format ??= tickFormat(ticks);
  for (const t of ticks) {
    const y = s(t);
    out += `<path d="M${fmt(x0)} ${fmt(y)}H${fmt(x1)}" stroke="#e5e5e5" stroke-width="1"/>`;
    out += text(x0 - 5, y + 4, format(t), { "text-anchor": "end", fill: "#333333" });
  }
  out += `<path d="M${fmt(x0)} ${fmt(s.range[0])}V${fmt(s.range[1])}" stroke="#333333" stroke-width="1"/>`;
  if (label) {
    const ym = (s.range[0] + s.range[1]) / 2;
    out += `<text${attrs({ x: 14, y: ym, transform: `rotate(-90 14 ${fmt(ym)})`, "text-anchor": "middle", "font-size": 12 })}>${escapeXml(label)}</text>`;
  }
  return out + `</g>`;
}

/** Bottom axis with numeric ticks. */
export function xAxis(
  s: Scale,
  y: number,
  label?: string,
  format?: (v: number) => string,
  count = 6,
  ticks?: number[],
): string {
  const [lo, hi] = s.domain;
  let out = `<g class="x-axis" font-size="11">`;
  out += `<path d="M${fmt(s.range[0])} ${fmt(y)}H${fmt(s.range[1])}" stroke="#333333" stroke-width="1"/>`;
  const tv = ticks ?? niceTicks(Math.min(lo, hi), Math.max(lo, hi), count);
  format ??= tickFormat(tv);
  for (const t of tv) {
    const x = s(t);
    out += `<path d="M${fmt(x)} ${fmt(y)}v4" stroke="#333333"/>`;
    out += text(x, y + 15, format(t), { "text-anchor": "middle", fill: "#333333" });
  }
  if (label)
    out += text((s.range[0] + s.range[1]) / 2, y + 32, label, {
      "text-anchor": "middle",
      "font-size": 12,
    });
  return out + `</g>`;
}

/** Figure title at the top left. */
export function title(t: string, x = 10, y = 20): string {
  return text(x, y, t, { "font-size": 14, "font-weight": "bold", class: "figure-title" });
}

export interface HeatmapSpec {
  rows: string[];
  cols: string[];
  /** rows x cols values shown in the cells. */
  values: number[][];
  /** Colour position in [0, 1] (for a diverging map: [-1, 1]) of each cell; defaults to values. */
  colour?: number[][];
  format?: (v: number) => string;
  diverging?: boolean;
  rowSwatches?: string[];
  x: number;
  y: number;
  cellW: number;
  cellH: number;
}

/** Diverging blue-white-red ramp for correlations in [-1, 1] (readable by colour-blind viewers). */
export function divergingColor(v: number): string {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  // negative: #2166AC (blue), positive: #B2182B (red), as ColorBrewer RdBu ends.
  const [r, g, b] = t < 0 ? [33, 102, 172] : [178, 24, 43];
  const a = Math.abs(t);
  return `rgb(${Math.round(255 + (r - 255) * a)},${Math.round(255 + (g - 255) * a)},${Math.round(255 + (b - 255) * a)})`;
}

/** A labelled heatmap; each cell is a `rect.cell` with data-row/data-col and its value as text. */
export function heatmap(h: HeatmapSpec): string {
  const fmtV = h.format ?? ((v: number) => (Number.isFinite(v) ? v.toFixed(2) : "n/a"));
  let out = `<g class="heatmap" font-size="11">`;
  h.cols.forEach((c, j) => {
    out += text(h.x + (j + 0.5) * h.cellW, h.y - 6, c, {
      "text-anchor": "middle",
      "font-weight": "bold",
    });
  });
  h.rows.forEach((r, i) => {
    const y = h.y + i * h.cellH;
    if (h.rowSwatches?.[i]) {
      out += `<rect${attrs({ x: h.x - 14, y: y + h.cellH / 2 - 5, width: 10, height: 10, fill: h.rowSwatches[i], stroke: "#666666", "stroke-width": 0.5 })}/>`;
    }
    out += text(h.x - (h.rowSwatches ? 18 : 6), y + h.cellH / 2 + 4, r, { "text-anchor": "end" });
    h.cols.forEach((_, j) => {
      const v = h.values[i]?.[j] ?? NaN;
      const c = h.colour?.[i]?.[j] ?? v;
      const fill = h.diverging ? divergingColor(c) : heatColor(c);
      const ink = h.diverging ? (Math.abs(c) > 0.6 ? "#ffffff" : "#000000") : heatTextColor(c);
      out += `<rect${attrs({ class: "cell", "data-row": i, "data-col": j, "data-value": Number.isFinite(v) ? v : "NaN", x: h.x + j * h.cellW, y, width: h.cellW, height: h.cellH, fill, stroke: "#ffffff", "stroke-width": 1 })}/>`;
      out += text(h.x + (j + 0.5) * h.cellW, y + h.cellH / 2 + 4, fmtV(v), {
        "text-anchor": "middle",
        fill: ink,
      });
    });
  });
  return out + `</g>`;
}
