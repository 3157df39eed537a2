// @ts-check
/**
 * Drawing the open ECG: one lead over the visible window [t0, t1) with its cluster segments as
 * background rects, ECG paper, the entropy band, the Grad-CAM band (when on), axes and the hover
 * crosshair; the whole-record overview strip; the cluster legend. draw() rebuilds everything from
 * `state` each time.
 */
import { $, colour, el, html, inkOn, leafInfo, openEcg, shade, shownStates, state } from "./dom.js";

export const M = { left: 52, right: 12, top: 24, bottom: 26 };
export const BAND = 34; // entropy (and Grad-CAM) band height
export const CAM_COLOUR = "#d55e00"; // as in the figures (src/viz)
export const STRIP = 18; // state strip height (state view)

/** The Grad-CAM map drawn now (overlay on and fetched for the open ECG), else null. */
export function shownGradcam() {
  const c = state.current;
  return state.gradcam && c && c.cam && c.cam.values.length === c.signal.samples ? c.cam : null;
}

export function leadData() {
  return openEcg().signal.data[state.lead];
}

function yRange(data) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  if (hi - lo < 1e-6) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

function niceStep(span, target) {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

const ENTROPY_SCALES = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

/** Top of the entropy band for a record: the smallest of ENTROPY_SCALES above its maximum. */
export function entropyScale(entropy) {
  let max = 0;
  for (const h of entropy) if (h > max) max = h;
  return ENTROPY_SCALES.find((s) => s >= max) ?? 1;
}

export function draw() {
  const svg = $("ecg");
  const c = state.current;
  svg.replaceChildren();
  if (!c) return;
  const W = svg.clientWidth || 800;
  const H = svg.clientHeight || 380;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const fs = c.signal.fs;
  const data = leadData();
  const [lo, hi] = yRange(data);
  const cam = shownGradcam();
  const states = shownStates();
  const traceBottom = H - M.bottom - BAND - 8 - (cam ? BAND + 8 : 0) - (states ? STRIP + 6 : 0);
  const x = (i) => M.left + ((i - state.t0) / (state.t1 - state.t0)) * (W - M.left - M.right);
  const y = (v) => M.top + ((hi - v) / (hi - lo)) * (traceBottom - M.top);
  const plotW = W - M.left - M.right;

  const defs = el("defs");
  const clip = el("clipPath", { id: "plot-clip" });
  clip.append(el("rect", { x: M.left, y: 0, width: plotW, height: H }));
  defs.append(clip);
  svg.append(defs);

  // clusters: one rect per segment in view, the full height of trace and entropy band
  const gClusters = el("g", { class: "clusters", "clip-path": "url(#plot-clip)" });
  for (const s of c.view.segments) {
    if (s.end <= state.t0 || s.start >= state.t1) continue;
    const x0 = x(Math.max(s.start, state.t0));
    const x1 = x(Math.min(s.end, state.t1));
    gClusters.append(
      el("rect", {
        class: "cluster",
        "data-cluster": s.cluster,
        x: x0.toFixed(2),
        y: M.top,
        width: Math.max(0.5, x1 - x0).toFixed(2),
        height: traceBottom - M.top,
        fill: colour(s.cluster),
        "fill-opacity": 0.28,
      }),
    );
  }
  svg.append(gClusters);

  // ECG paper: 0.2 s / 0.5 unit major lines, 0.04 s / 0.1 unit minor when there is room
  const gGrid = el("g", { class: "grid" });
  const secs = (state.t1 - state.t0) / fs;
  const pxPerSec = plotW / secs;
  const minor = pxPerSec * 0.04 >= 5;
  const tStep = minor ? 0.04 : 0.2;
  for (let t = Math.ceil(state.t0 / fs / tStep) * tStep; t * fs <= state.t1; t += tStep) {
    const major = Math.abs(t / 0.2 - Math.round(t / 0.2)) < 1e-6;
    const X = x(t * fs);
    gGrid.append(
      el("line", {
        x1: X,
        x2: X,
        y1: M.top,
        y2: traceBottom,
        stroke: major ? "var(--paper-major)" : "var(--paper-minor)",
      }),
    );
  }
  const vStep = ((traceBottom - M.top) / (hi - lo)) * 0.1 >= 5 ? 0.1 : 0.5;
  for (let v = Math.ceil(lo / vStep) * vStep; v <= hi; v += vStep) {
    const major = Math.abs(v / 0.5 - Math.round(v / 0.5)) < 1e-6;
    gGrid.append(
      el("line", {
        x1: M.left,
        x2: W - M.right,
        y1: y(v),
        y2: y(v),
        stroke: major ? "var(--paper-major)" : "var(--paper-minor)",
      }),
    );
  }
  svg.append(gGrid);

  // the trace: every sample when zoomed in, min/max per pixel column otherwise
  const i0 = Math.max(0, Math.floor(state.t0));
  const i1 = Math.min(data.length, Math.ceil(state.t1) + 1);
  const perPx = (i1 - i0) / plotW;
  const pts = [];
  if (perPx <= 2) {
    for (let i = i0; i < i1; i++) pts.push(`${x(i).toFixed(1)},${y(data[i]).toFixed(1)}`);
  } else {
    for (let px = 0; px < plotW; px++) {
      const a = Math.floor(i0 + px * perPx);
      const b = Math.min(i1, Math.floor(i0 + (px + 1) * perPx));
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = a; i < b; i++) {
        if (data[i] < mn) mn = data[i];
        if (data[i] > mx) mx = data[i];
      }
      if (mn === Infinity) continue;
      const X = (M.left + px + 0.5).toFixed(1);
      pts.push(`${X},${y(mx).toFixed(1)}`, `${X},${y(mn).toFixed(1)}`);
    }
  }
  svg.append(
    el("polyline", {
      class: "trace",
      points: pts.join(" "),
      fill: "none",
      stroke: "#1d2330",
      "stroke-width": 1.3,
      "stroke-linejoin": "round",
      "clip-path": "url(#plot-clip)",
    }),
  );

  // a per-sample series in [0, top] as a filled area in a band, 0 at its bottom
  const eStep = Math.max(1, Math.floor(perPx / 2));
  const bandArea = (values, top, bandBottom) => {
    const pts = [`${x(i0).toFixed(1)},${bandBottom}`];
    const iEnd = Math.min(i1, values.length);
    for (let i = i0; i < iEnd; i += eStep) {
      // the highest value of the step, so a short burst is never skipped
      let h = 0;
      for (let j = i; j < Math.min(i + eStep, iEnd); j++) h = Math.max(h, values[j]);
      pts.push(`${x(i).toFixed(1)},${(bandBottom - Math.min(1, h / top) * BAND).toFixed(1)}`);
    }
    pts.push(`${x(iEnd - 1).toFixed(1)},${bandBottom}`);
    return pts.join(" ");
  };

  // state view: a strip under the trace, each leaf run in its wave's colour shaded by its state
  const stripBottom = states ? drawStateStrip(svg, states, traceBottom + 6, x) : traceBottom;

  // entropy band: the per-sample entropy as a filled area, 0 at the bottom, 1 at the top (the
  // state's, within its wave, in the state view)
  const bandTop = stripBottom + 8;
  const bandBottom = bandTop + BAND;
  const ent = states ? states.entropy : c.view.entropy;
  const top = entropyScale(ent);
  svg.append(el("rect", { x: M.left, y: bandTop, width: plotW, height: BAND, fill: "#f3f4f6" }));
  svg.append(
    el("polygon", {
      class: "entropy",
      points: bandArea(ent, top, bandBottom),
      fill: "#7a8294",
      "fill-opacity": 0.75,
      "clip-path": "url(#plot-clip)",
    }),
  );
  if (states) {
    for (const [line, dy] of /** @type {const} */ ([
      ["state", -2],
      ["entropy", 10],
    ])) {
      svg.append(
        el(
          "text",
          { x: 2, y: bandTop + BAND / 2 + dy, class: "axis", "font-size": 10, fill: "#5d6677" },
          line,
        ),
      );
    }
  } else {
    svg.append(
      el(
        "text",
        { x: 2, y: bandTop + BAND / 2 + 4, class: "axis", "font-size": 11, fill: "#5d6677" },
        "entropy",
      ),
    );
  }
  // the band's scale: normalised entropy runs from 0 (certain) to 1 (uniform over clusters);
  // a confident record is drawn on a finer scale, and the top label says which
  for (const [v, yy] of [
    [top, bandTop + 9],
    [0, bandBottom],
  ]) {
    svg.append(
      el(
        "text",
        {
          class: v ? "entropy-top" : "entropy-zero",
          x: M.left - 6,
          y: yy,
          "text-anchor": "end",
          "font-size": 10,
          fill: "#5d6677",
        },
        String(v),
      ),
    );
  }

  const lastBottom = cam ? drawGradcamBand(svg, cam, bandBottom + 8, plotW, bandArea) : bandBottom;

  // axes
  const gAxis = el("g", { class: "axis", "font-size": 11, fill: "#5d6677" });
  const ts = niceStep(secs, Math.max(2, Math.floor(plotW / 90)));
  for (let t = Math.ceil(state.t0 / fs / ts) * ts; t * fs <= state.t1 + 1e-9; t += ts) {
    gAxis.append(
      el("text", { x: x(t * fs), y: H - 8, "text-anchor": "middle" }, `${+t.toFixed(3)} s`),
    );
  }
  const vs = niceStep(hi - lo, Math.max(4, Math.floor((traceBottom - M.top) / 45)));
  for (let v = Math.ceil(lo / vs) * vs; v <= hi; v += vs) {
    gAxis.append(
      el("text", { x: M.left - 6, y: y(v) + 4, "text-anchor": "end" }, `${+v.toFixed(2)}`),
    );
  }
  svg.append(gAxis);
  const unit = c.signal.units[state.lead] || "";
  svg.append(
    el(
      "text",
      {
        id: "lead-label",
        x: M.left + 6,
        y: M.top - 8,
        "font-size": 13,
        "font-weight": 600,
        fill: "#1d2330",
      },
      `Lead ${c.signal.leads[state.lead]}${unit ? ` (${unit})` : ""} · block ${c.view.block}${states ? " · states" : ""}`,
    ),
  );

  // hover crosshair
  if (state.hover !== null) {
    const X = x(state.hover);
    svg.append(
      el("line", {
        class: "crosshair",
        x1: X,
        x2: X,
        y1: M.top,
        y2: lastBottom,
        stroke: "#2457c5",
        "stroke-dasharray": "3 3",
      }),
    );
    svg.append(el("circle", { cx: X, cy: y(data[state.hover]), r: 3.5, fill: "#2457c5" }));
  }
  $("window").textContent = `${(state.t0 / fs).toFixed(2)}–${(state.t1 / fs).toFixed(2)} s`;
  drawOverview();
}

/**
 * The state strip at `top`: one rect per leaf run in view, its wave's colour shaded by its state,
 * the state's number written where it fits; returns its bottom.
 * @param {Element} svg
 * @param {import("./dom.js").StateView} states
 * @param {number} top
 * @param {(i: number) => number} x
 */
function drawStateStrip(svg, states, top, x) {
  const info = leafInfo(states);
  const g = el("g", { class: "states", "clip-path": "url(#plot-clip)" });
  for (const s of states.segments) {
    if (s.end <= state.t0 || s.start >= state.t1) continue;
    const leaf = info[s.cluster];
    if (!leaf) continue;
    const x0 = x(Math.max(s.start, state.t0));
    const w = Math.max(0.5, x(Math.min(s.end, state.t1)) - x0);
    const fill = shade(leaf.wave, leaf.state, leaf.states);
    g.append(
      el("rect", {
        class: "state",
        "data-leaf": s.cluster,
        "data-state": leaf.state,
        x: x0.toFixed(2),
        y: top,
        width: w.toFixed(2),
        height: STRIP,
        fill,
        stroke: "#ffffff",
        "stroke-width": 0.6,
      }),
    );
    if (w >= 12) {
      g.append(
        el(
          "text",
          {
            class: "state-number",
            x: (x0 + w / 2).toFixed(1),
            y: top + STRIP - 5,
            "text-anchor": "middle",
            "font-size": 11,
            fill: inkOn(fill),
          },
          String(leaf.state),
        ),
      );
    }
  }
  svg.append(g);
  svg.append(
    el(
      "text",
      { x: 2, y: top + STRIP / 2 + 4, class: "axis", "font-size": 10, fill: "#5d6677" },
      "state",
    ),
  );
  return top + STRIP;
}

/** The Grad-CAM band under the entropy band (map scaled to its maximum); returns its bottom. */
function drawGradcamBand(svg, cam, bandTop, plotW, bandArea) {
  const bandBottom = bandTop + BAND;
  const g = el("g", { class: "gradcam-band" });
  g.append(el("rect", { x: M.left, y: bandTop, width: plotW, height: BAND, fill: "#fbf3ee" }));
  g.append(
    el("polygon", {
      class: "gradcam",
      points: bandArea(cam.values, 1, bandBottom),
      fill: CAM_COLOUR,
      "fill-opacity": 0.6,
      stroke: CAM_COLOUR,
      "stroke-width": 0.8,
      "clip-path": "url(#plot-clip)",
    }),
  );
  const label = { "font-size": 10, fill: "#5d6677" };
  g.append(el("text", { x: 2, y: bandTop + BAND / 2 + 4, ...label }, "Grad-CAM"));
  g.append(el("text", { x: M.left - 6, y: bandTop + 9, "text-anchor": "end", ...label }, "max"));
  g.append(el("text", { x: M.left - 6, y: bandBottom, "text-anchor": "end", ...label }, "0"));
  g.append(
    el(
      "text",
      {
        class: "gradcam-caption",
        x: M.left + plotW - 4,
        y: bandTop + 11,
        "text-anchor": "end",
        ...label,
        fill: "#8a3a00",
      },
      `${cam.target} · ${cam.tap}`,
    ),
  );
  svg.append(g);
  return bandBottom;
}

export function drawOverview() {
  const svg = $("overview");
  svg.replaceChildren();
  const c = state.current;
  if (!c) return;
  const W = svg.clientWidth || 800;
  const H = svg.clientHeight || 48;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const n = c.signal.samples;
  const x = (i) => M.left + (i / n) * (W - M.left - M.right);
  for (const s of c.view.segments) {
    svg.append(
      el("rect", {
        x: x(s.start),
        y: 0,
        width: Math.max(0.5, x(s.end) - x(s.start)),
        height: H,
        fill: colour(s.cluster),
        "fill-opacity": 0.25,
      }),
    );
  }
  const data = leadData();
  const [lo, hi] = yRange(data);
  const pts = [];
  const plotW = W - M.left - M.right;
  for (let px = 0; px < plotW; px += 1) {
    const i = Math.min(n - 1, Math.floor((px / plotW) * n));
    pts.push(
      `${(M.left + px).toFixed(1)},${(2 + ((hi - data[i]) / (hi - lo)) * (H - 4)).toFixed(1)}`,
    );
  }
  svg.append(
    el("polyline", { points: pts.join(" "), fill: "none", stroke: "#1d2330", "stroke-width": 0.8 }),
  );
  svg.append(
    el("rect", {
      class: "window",
      x: x(state.t0),
      y: 0.5,
      width: Math.max(2, x(state.t1) - x(state.t0)),
      height: H - 1,
      fill: "rgba(36,87,197,0.08)",
      stroke: "#2457c5",
    }),
  );
}

export function drawLegend() {
  const legend = $("legend");
  legend.replaceChildren();
  legend.classList.remove("leaves");
  const c = state.current;
  if (!c) return;
  const waves = (c && c.clusterWaves) || [];
  const states = shownStates();
  if (states) {
    drawLeafLegend(legend, states, c.view.proportions, waves);
    return;
  }
  c.view.proportions.forEach((p, k) => {
    const item = html("span", { class: "item", "data-cluster": k });
    const sw = html("span", { class: "swatch" });
    sw.style.background = colour(k);
    sw.style.opacity = "0.7";
    item.append(
      sw,
      document.createTextNode(
        `cluster ${k}${waves[k] ? ` (${waves[k]})` : ""}: ${(p * 100).toFixed(1)}%`,
      ),
    );
    legend.append(item);
  });
}

/**
 * The state view's legend: per wave cluster (its colour, name and share), the leaves present in
 * the ECG, each with its state's shade and number, name and share.
 * @param {HTMLElement} legend
 * @param {import("./dom.js").StateView} states
 * @param {number[]} waveShares
 * @param {(string | null)[]} waves
 */
function drawLeafLegend(legend, states, waveShares, waves) {
  legend.classList.add("leaves");
  const info = leafInfo(states);
  waveShares.forEach((p, k) => {
    const present = info
      .map((l, i) => ({ l, i, share: states.proportions[i] ?? 0 }))
      .filter(({ l, share }) => l.wave === k && share > 0);
    if (!present.length) return;
    const row = html("div", { class: "wave-row", "data-cluster": k });
    const head = html("span", { class: "item wave" });
    const sw = html("span", { class: "swatch" });
    sw.style.background = colour(k);
    sw.style.opacity = "0.7";
    head.append(
      sw,
      document.createTextNode(
        `cluster ${k}${waves[k] ? ` (${waves[k]})` : ""}: ${(p * 100).toFixed(1)}%`,
      ),
    );
    row.append(head);
    for (const { l, i, share } of present) {
      const item = html("span", { class: "item leaf", "data-leaf": i, title: l.name });
      const box = html("span", { class: "swatch state" }, String(l.state));
      const fill = shade(l.wave, l.state, l.states);
      box.style.background = fill;
      box.style.color = inkOn(fill);
      item.append(box, document.createTextNode(`${l.stateName}: ${(share * 100).toFixed(1)}%`));
      row.append(item);
    }
    legend.append(row);
  });
}
