/**
 * Evaluation figures: uncertainty by class and wave, surrogate fidelity vs K, Grad-CAM vs entropy.
 * Standalone SVG strings from plain numbers, like the cluster figures of dataset.ts.
 */
import { linearScale, plotArea, title, xAxis, yAxis } from "./charts.js";
import { WAVE_COLORS } from "./dataset.js";
import { attrs, clusterColor, escapeXml, fmt, niceTicks, pct, svgDocument, text } from "./svg.js";

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
  const heading = input.title ?? "Assignment entropy by class and wave";
  // Wide enough for the title when there are few classes (one for an age model): about 9 px a
  // character at 14 px bold.
  const width = Math.max(x0 + input.classes.length * groupW + 110, 20 + 9 * heading.length);
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
  let body = title(heading);
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

/**
 * Surrogate fidelity vs K (mean +- std over folds), the paper's figure as a line; marked: the
 * explained K (the explainer's own) and the K where fidelity stops improving (the plateau rule),
 * which need not be the same.
 */
export function renderFidelityVsK(input: {
  points: { k: number; mean: number; std: number }[];
  /** The K of the explainer being evaluated. */
  explainerK?: number;
  /** The K where fidelity stops improving (`fidelityPlateau`). */
  plateau?: number;
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
    // Labelled at the left end: fidelity rises with K, so the curve is lowest there.
    body += text(
      x0 + 6,
      py - 5,
      `paper: ${pct(input.paper.mean)}${input.paper.k ? ` (K=${input.paper.k})` : ""}`,
      {
        "text-anchor": "start",
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
    const own = p.k === input.explainerK;
    const plateau = p.k === input.plateau;
    body += `<circle${attrs({ class: "point", "data-k": p.k, "data-mean": p.mean, cx: x, cy: sy(p.mean), r: own ? 6 : 3.5, fill: own ? "#D55E00" : "#0072B2" })}><title>${escapeXml(`K=${p.k}: ${pct(p.mean, 2)} +- ${pct(p.std, 2)}`)}</title></circle>`;
    if (plateau) {
      body += `<circle${attrs({ class: "plateau", cx: x, cy: sy(p.mean), r: 9, fill: "none", stroke: "#009E73", "stroke-width": 2 })}/>`;
    }
    // The explainer's label below its point, the plateau's above: neighbours never collide.
    const label = (y: number, l: string, fill: string) =>
      (body += text(x, y, l, { "text-anchor": "middle", "font-size": 11, fill }));
    if (own) label(sy(p.mean - p.std) + 16, `this explainer: K=${p.k}`, "#D55E00");
    if (plateau) label(sy(p.mean + p.std) - 8, `plateau: K=${p.k}`, "#007A5A");
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

/**
 * Deletion curves: mean drop of the top class's output against the share of samples blanked, one
 * line per attribution (Grad-CAM, the clusters, random order), as RISE plots its deletion metric.
 */
export function renderDeletionCurves(input: {
  fractions: number[];
  curves: { name: string; drop: number[]; color: string; dash?: string }[];
  title?: string;
}): string {
  const width = 560;
  const height = 320;
  const { x0, x1, y0, y1 } = plotArea({ width, height, left: 70, right: 150, top: 40, bottom: 55 });
  const all = input.curves.flatMap((c) => c.drop).filter(Number.isFinite);
  const lo = Math.min(0, ...all);
  const hi = Math.max(1e-6, ...all);
  const pad = (hi - lo) * 0.08;
  const sx = linearScale([0, Math.max(...input.fractions)], [x0, x1]);
  const sy = linearScale([lo - pad, hi + pad], [y1, y0]);
  let body = title(input.title ?? "Deletion curves: what the network loses when samples go");
  body += yAxis(sy, x0, x1, "drop of the top class's output", (v) => v.toFixed(2));
  body += xAxis(sx, y1, "share of samples blanked (highest attribution first)", (v) => pct(v, 0));
  input.curves.forEach((c, j) => {
    const pts: [number, number][] = [
      [0, 0],
      ...input.fractions.map((f, i): [number, number] => [f, c.drop[i]]),
    ];
    const d = pts.map(([f, v], i) => `${i ? "L" : "M"}${fmt(sx(f))} ${fmt(sy(v))}`).join("");
    body += `<path${attrs({ class: "deletion-curve", "data-name": c.name, d, fill: "none", stroke: c.color, "stroke-width": 2, "stroke-dasharray": c.dash })}/>`;
    for (const [f, v] of pts.slice(1))
      body += `<circle cx="${fmt(sx(f))}" cy="${fmt(sy(v))}" r="3" fill="${c.color}"><title>${escapeXml(`${c.name}, ${pct(f, 0)} blanked: ${v.toFixed(3)}`)}</title></circle>`;
    body += `<path${attrs({ d: `M${fmt(x1 + 16)} ${fmt(y0 + 10 + j * 20)}h20`, stroke: c.color, "stroke-width": 2, "stroke-dasharray": c.dash })}/>`;
    body += text(x1 + 42, y0 + 14 + j * 20, c.name, { "font-size": 11 });
  });
  return svgDocument(width, height, body, {
    title: "Deletion curves",
    extra: { class: "fig-deletion" },
  });
}
