/**
 * The per-ECG figure: the leads on ECG paper (25 mm/s, 10 mm/mV), the background coloured by the
 * TLC cluster of each segment, the assignment entropy as a band under each lead, an optional
 * Grad-CAM curve, the prediction beside the label, and a legend naming the wave each cluster
 * aligns with. One SVG user unit is one millimetre of paper.
 */
import { STANDARD_LEADS, type EcgRecord } from "../types.js";
import { attrs, clusterColor, escapeXml, fmt, svgDocument, text } from "./svg.js";
import { bandCurve, baseline, paperGrid, tracePath } from "./trace.js";
import { clusterLegend, header } from "./ecg-legend.js";
import {
  leafInfo,
  leafLegend,
  STATE_ENTROPY_COLOUR,
  STATE_STRIP,
  stateEntropyKey,
  stateStrip,
} from "./ecg-states.js";
import { segmentsOf } from "../explain/explanation.js";
import type { EcgFigureOptions, FigureExplanation } from "./ecg-options.js";

export type { EcgFigureOptions, FigureExplanation } from "./ecg-options.js";

const STANDARD_COLUMNS = [
  ["I", "II", "III"],
  ["aVR", "aVL", "aVF"],
  ["V1", "V2", "V3"],
  ["V4", "V5", "V6"],
];

/**
 * Largest standard gain at which 99 % of every lead's excursions from its median fit in half a
 * row (a few outlier samples may be clipped at the row's edge).
 */
export function autoGain(record: EcgRecord, samples: number, rowH: number): number {
  let amp = 0;
  for (let l = 0; l < record.leads.length; l++) {
    const off = l * record.samples;
    const base = baseline(record.signal, off, 0, samples);
    const dev: number[] = [];
    for (let i = 0; i < samples; i++) {
      const v = record.signal[off + i];
      if (Number.isFinite(v)) dev.push(Math.abs(v - base));
    }
    dev.sort((a, b) => a - b);
    if (dev.length)
      amp = Math.max(amp, dev[Math.min(dev.length - 1, Math.floor(dev.length * 0.99))]);
  }
  const half = rowH / 2 - 1;
  const choices = [10, 5, 2.5, 2, 1, 0.5];
  for (const g of choices) if (amp * g <= half) return g;
  return choices[choices.length - 1];
}

const MARGIN_LEFT = 12; // room for the 1 mV calibration pulse
const MARGIN_RIGHT = 4;
const HEADER = 20;
const BAND = 4; // entropy band under each lead
const BAND_GAP = 0.5;

function leadIndex(record: EcgRecord, name: string): number {
  const want = name.toLowerCase();
  return record.leads.findIndex((l) => l.toLowerCase() === want);
}

/** "AVR" -> "aVR": the usual spelling of a standard lead, any other name unchanged. */
function displayName(lead: string): string {
  return STANDARD_LEADS.find((l) => l.toLowerCase() === lead.toLowerCase()) ?? lead;
}

function clusterCount(
  e: FigureExplanation,
  segs: FigureExplanation["segments"],
  waves?: unknown[],
): number {
  let k = Math.max(e.proportions?.length ?? 0, waves?.length ?? 0);
  for (const s of segs) k = Math.max(k, s.cluster + 1);
  return k;
}

interface Panel {
  lead: number; // index into record.leads, -1 when the record lacks it
  name: string;
  x: number; // left edge, mm
  y: number; // top of the signal area, mm
  h: number; // signal area height, mm
  from: number; // first explanation sample shown
  to: number; // end (exclusive)
}

/** Cluster background of the samples [from, to) over a block of height h starting at y. */
function segmentRects(
  segs: FigureExplanation["segments"],
  from: number,
  to: number,
  x: number,
  y: number,
  h: number,
  fs: number,
  mmPerS: number,
  waves?: (string | undefined)[],
): string {
  let out = "";
  for (const s of segs) {
    const a = Math.max(s.start, from);
    const b = Math.min(s.end, to);
    if (b <= a) continue;
    const wave = waves?.[s.cluster];
    const tip = `cluster ${s.cluster}${wave ? ` (${wave})` : ""}, ${(s.start / fs).toFixed(2)}-${(s.end / fs).toFixed(2)} s, entropy ${s.entropy.toFixed(2)}`;
    out += `<rect${attrs({
      class: "seg",
      "data-cluster": s.cluster,
      "data-start": s.start,
      "data-end": s.end,
      x: x + ((a - from) / fs) * mmPerS,
      y,
      width: ((b - a) / fs) * mmPerS,
      height: h,
      fill: clusterColor(s.cluster),
      "fill-opacity": 0.35,
    })}><title>${escapeXml(tip)}</title></rect>`;
  }
  return out;
}

/** Renders the figure as a standalone SVG string. */
export function renderEcgFigure(
  record: EcgRecord,
  explanation: FigureExplanation,
  opts: EcgFigureOptions = {},
): string {
  const mmPerS = opts.mmPerS ?? 25;
  const fs = explanation.fs || record.fs;
  const total = Math.min(
    explanation.samples || record.samples,
    Math.round((record.samples * fs) / record.fs),
  );
  const hasStandard = STANDARD_COLUMNS.flat().every((l) => leadIndex(record, l) >= 0);
  const layout = opts.layout === "column" || !hasStandard ? "column" : "standard";
  // A 12-lead printout shows 10 s; long records (Holter, MIT-BIH) are cut so the figure stays a
  // figure: the standard layout shows the first 10 s, the column layout up to `maxSeconds`.
  const maxSeconds = layout === "standard" ? 10 : (opts.maxSeconds ?? 60);
  const n = Math.min(total, Math.round(maxSeconds * fs));
  const seconds = n / fs;
  const plotW = seconds * mmPerS;
  const segs = explanation.segments;
  const waves = opts.clusterWaves;
  const k = clusterCount(explanation, segs, waves);
  // Record samples are read at the record's own rate; explanations are per source sample too.
  const rs = record.fs / fs;
  const panels: Panel[] = [];
  const blocks: { from: number; to: number; x: number; y: number; h: number }[] = [];
  const rowH = layout === "standard" ? 30 : 24;
  const mmPerMv =
    typeof opts.mmPerMv === "number" && opts.mmPerMv > 0
      ? opts.mmPerMv
      : autoGain(record, n * rs, rowH);
  // Two-level explainers: a state strip between each lead and its entropy band.
  const leaves = opts.leaves && explanation.leaves?.length ? leafInfo(opts.leaves) : undefined;
  const leafSegs =
    leaves && explanation.leaves ? segmentsOf(explanation.leaves, explanation.stateEntropy) : [];
  const strip = leaves ? STATE_STRIP + BAND_GAP : 0;
  const rowStep = rowH + BAND_GAP + strip + BAND + 2;
  const x0 = MARGIN_LEFT;
  const y0 = HEADER;
  let plotH: number;
  if (layout === "standard") {
    const colN = Math.floor(n / 4);
    STANDARD_COLUMNS.forEach((names, c) => {
      const from = c * colN;
      const to = c === 3 ? n : (c + 1) * colN;
      const x = x0 + (from / fs) * mmPerS;
      names.forEach((name, r) =>
        panels.push({
          lead: leadIndex(record, name),
          name,
          x,
          y: y0 + r * rowStep,
          h: rowH,
          from,
          to,
        }),
      );
      blocks.push({ from, to, x, y: y0, h: 3 * rowStep - 2 });
    });
    const rhythm = opts.rhythmLead ?? "II";
    const ry = y0 + 3 * rowStep;
    panels.push({
      lead: leadIndex(record, rhythm),
      name: rhythm,
      x: x0,
      y: ry,
      h: rowH,
      from: 0,
      to: n,
    });
    blocks.push({ from: 0, to: n, x: x0, y: ry, h: rowStep - 2 });
    plotH = 4 * rowStep - 2;
  } else {
    record.leads.forEach((name, i) =>
      panels.push({
        lead: i,
        name: displayName(name),
        x: x0,
        y: y0 + i * rowStep,
        h: rowH,
        from: 0,
        to: n,
      }),
    );
    plotH = record.leads.length * rowStep - 2;
    blocks.push({ from: 0, to: n, x: x0, y: y0, h: plotH });
  }

  // Grad-CAM is scaled to its own maximum: only its shape over time is comparable across ECGs.
  let camScale = 0;
  if (opts.gradcam) {
    let m = 0;
    for (let i = 0; i < opts.gradcam.length; i++) m = Math.max(m, Number(opts.gradcam[i]) || 0);
    camScale = m > 0 ? 1 / m : 0;
  }

  let body = "<defs>";
  panels.forEach((p, i) => {
    body += `<clipPath id="row${i}"><rect${attrs({ x: p.x, y: p.y, width: ((p.to - p.from) / fs) * mmPerS, height: p.h })}/></clipPath>`;
  });
  body += "</defs>";
  body += `<g class="segments">`;
  for (const b of blocks)
    body += segmentRects(segs, b.from, b.to, b.x, b.y, b.h, fs, mmPerS, waves);
  body += `</g>`;
  // Bands get a white ground so the entropy reads against paper, not against cluster colours.
  body += `<g class="band-ground">`;
  for (const p of panels) {
    body += `<rect${attrs({ x: p.x, y: p.y + p.h + BAND_GAP, width: ((p.to - p.from) / fs) * mmPerS, height: strip + BAND, fill: "#ffffff" })}/>`;
  }
  body += `</g>`;
  body += `<g class="paper" data-mm-per-s="${mmPerS}" data-mm-per-mv="${mmPerMv}">${paperGrid(x0, y0, Math.round(plotW), Math.ceil(plotH))}</g>`;
  // Over the paper: a strip of solid shades reads better without grid lines across it.
  if (leaves) {
    body += `<g class="states">`;
    for (const p of panels) {
      const geom = { x: p.x, y: p.y + p.h + BAND_GAP, fs, mmPerS };
      body += stateStrip(leafSegs, leaves, p.from, p.to, geom);
    }
    body += `</g>`;
  }

  const unit = record.units[0] ?? "mV";
  for (const [pi, p] of panels.entries()) {
    const bandBottom = p.y + p.h + BAND_GAP + strip + BAND;
    body += `<g class="lead" data-lead="${escapeXml(p.name)}">`;
    if (p.lead >= 0) {
      const off = p.lead * record.samples;
      const from = Math.round(p.from * rs);
      const to = Math.min(record.samples, Math.round(p.to * rs));
      const base = baseline(record.signal, off, from, to);
      const d = tracePath(record.signal, off, from, to, record.fs, {
        x0: p.x,
        y0: p.y + p.h / 2,
        mmPerS,
        mmPerUnit: mmPerMv,
        base,
      });
      body += `<path class="trace"${attrs({ "data-lead": p.name, "data-baseline": base.toPrecision(6) })} d="${d}" clip-path="url(#row${pi})" fill="none" stroke="#000000" stroke-width="0.25" stroke-linejoin="round"/>`;
    }
    body += text(p.x + 1, p.y + 3.5, p.name, {
      "font-size": 3,
      "font-weight": "bold",
      class: "lead-name",
    });
    const bg = { x0: p.x, yBottom: bandBottom, h: BAND, mmPerS };
    body += `<path class="entropy" d="${bandCurve(explanation.entropy, p.from, p.to, fs, bg, "area")}" fill="#555555" fill-opacity="0.75"/>`;
    if (leaves && explanation.stateEntropy) {
      body += `<path class="state-entropy" d="${bandCurve(explanation.stateEntropy, p.from, p.to, fs, bg, "line")}" fill="none" stroke="${STATE_ENTROPY_COLOUR}" stroke-width="0.3"/>`;
    }
    if (opts.gradcam && camScale > 0) {
      body += `<path class="gradcam" d="${bandCurve(opts.gradcam, p.from, p.to, fs, bg, "line", camScale)}" fill="none" stroke="#D55E00" stroke-width="0.3"/>`;
    }
    body += `<rect${attrs({ x: p.x, y: bandBottom - BAND, width: ((p.to - p.from) / fs) * mmPerS, height: BAND, fill: "none", stroke: "#999999", "stroke-width": 0.1 })}/>`;
    // Calibration pulse: 1 mV (or 1 unit) high, 0.2 s wide, as printed on clinical ECGs.
    if (p.x === x0) {
      const cy = p.y + p.h / 2 + mmPerMv / 2;
      const cx = 3;
      body += `<path class="calibration" d="M${fmt(cx)} ${fmt(cy)}H${fmt(cx + 1)}V${fmt(cy - mmPerMv)}H${fmt(cx + 1 + 0.2 * mmPerS)}V${fmt(cy)}H${fmt(cx + 2 + 0.2 * mmPerS)}" fill="none" stroke="#000000" stroke-width="0.25"/>`;
    }
    body += `</g>`;
  }
  // Column boundaries of the 4x3 layout, as short separators between rows.
  if (layout === "standard") {
    for (const b of blocks.slice(1, 4)) {
      body += `<path d="M${fmt(b.x)} ${fmt(y0)}V${fmt(y0 + b.h)}" stroke="#000000" stroke-width="0.3"/>`;
    }
  }

  body += header(explanation, opts, { x0, plotW, fs, n, total, unit, mmPerS, mmPerMv });
  const legendY = y0 + plotH + 5;
  const { svg: legend, height: legendH } = clusterLegend(
    explanation,
    k,
    waves,
    x0,
    legendY,
    plotW,
    opts.gradcam !== undefined,
  );
  body += legend;
  let below = legendH;
  if (leaves) {
    const shares = explanation.leafProportions ?? [];
    const l = leafLegend(shares, leaves, x0, legendY + below + 2, plotW);
    body += l.svg + stateEntropyKey(x0, legendY + below + 2 + l.height + 1);
    below += 2 + l.height + 5;
  }

  const width = x0 + plotW + MARGIN_RIGHT;
  const height = legendY + below + 2;
  return svgDocument(width, height, body, {
    title: opts.title ?? `ECG ${explanation.record}: time-localized clusters`,
    pxPerUnit: opts.pxPerMm ?? 4,
    extra: {
      class: "ecg-figure",
      "data-layout": layout,
      "data-clusters": k,
      ...(leaves ? { "data-leaves": leaves.length } : {}),
    },
  });
}
