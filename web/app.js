/* global FormData, ResizeObserver, URLSearchParams, requestAnimationFrame */
/**
 * The ecg-tlc explorer page: plain ES module, no dependencies, works offline. State lives in
 * `state`; every change calls draw(), which rebuilds the SVG of the visible window from it.
 * Data from the server is only ever inserted with textContent/attributes, never as HTML.
 */

const SVG = "http://www.w3.org/2000/svg";
/** Cluster colours (Tableau 10), drawn at low opacity behind the trace. */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];
const PAGE = 50;

const $ = (id) => document.getElementById(id);

const state = {
  health: null,
  offset: 0,
  /** The open ECG: { kind: "dataset"|"upload", id, title, labels, outputs, signal, explanation?, view } */
  current: null,
  block: "combined",
  lead: 1,
  /** Visible window in samples [t0, t1). */
  t0: 0,
  t1: 0,
  hover: null,
};

function colour(k) {
  return PALETTE[k % PALETTE.length];
}

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function html(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

async function getJson(url, init) {
  const res = await fetch(url, init);
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`${res.status} ${res.statusText}`);
  }
  if (!res.ok) throw new Error(body && body.error ? body.error : `${res.status} ${res.statusText}`);
  return body;
}

/* ---------- dataset list ---------- */

function filterParams() {
  const p = new URLSearchParams();
  for (const [id, key] of [
    ["f-class", "class"],
    ["f-fold", "fold"],
    ["f-match", "match"],
    ["f-sort", "sort"],
    ["f-min", "minEntropy"],
    ["f-max", "maxEntropy"],
  ]) {
    const v = $(id).value;
    if (v !== "") p.set(key, v);
  }
  p.set("offset", String(state.offset));
  p.set("limit", String(PAGE));
  return p;
}

async function loadRecords() {
  let page;
  try {
    page = await getJson(`api/records?${filterParams()}`);
  } catch (err) {
    $("index-note").textContent = err.message;
    return;
  }
  const body = $("records").tBodies[0];
  body.replaceChildren();
  for (const r of page.items) {
    const tr = html("tr", { "data-id": r.id });
    if (state.current && state.current.kind === "dataset" && state.current.id === r.id) {
      tr.classList.add("selected");
    }
    tr.append(html("td", {}, r.id));
    tr.append(html("td", {}, r.labels.join(", ") || "–"));
    const pred = html("td", {}, r.predicted ? r.predicted.join(", ") || "none" : "…");
    if (r.correct === true) pred.className = "right";
    if (r.correct === false) pred.className = "wrong";
    tr.append(pred);
    tr.append(html("td", {}, r.meanEntropy === undefined ? "…" : r.meanEntropy.toFixed(3)));
    tr.addEventListener("click", () => openRecord(r.id));
    body.append(tr);
  }
  const first = page.total ? page.offset + 1 : 0;
  const last = Math.min(page.total, page.offset + page.limit);
  $("page-info").textContent = `${first}–${last} of ${page.total}`;
  $("prev").disabled = page.offset === 0;
  $("next").disabled = last >= page.total;
  $("index-note").textContent =
    page.indexed < page.records
      ? `Prediction and entropy known for ${page.indexed} of ${page.records} records (computing in the background); filters on them apply to those.`
      : `${page.records} records.`;
  if (page.indexed < page.records) setTimeout(refreshIfIdle, 3000);
}

let refreshTimer = 0;
function refreshIfIdle() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(loadRecords, 0);
}

/* ---------- opening an ECG ---------- */

/** Runs of one cluster (the page's copy of the server's segmentsOf, for uploads). */
function segmentsOf(clusters, entropy) {
  const out = [];
  let start = 0;
  let sum = 0;
  for (let i = 0; i < clusters.length; i++) {
    sum += entropy[i];
    if (i + 1 === clusters.length || clusters[i + 1] !== clusters[i]) {
      out.push({ start, end: i + 1, cluster: clusters[i], entropy: sum / (i + 1 - start) });
      start = i + 1;
      sum = 0;
    }
  }
  return out;
}

function uploadView(e, block) {
  if (block === "combined" || !e.blocks || !e.blocks[block]) {
    return {
      block: "combined",
      clusters: e.clusters,
      entropy: e.entropy,
      proportions: e.proportions,
      segments: e.segments,
      meanEntropy: e.meanEntropy,
    };
  }
  const b = e.blocks[block];
  const mean = b.entropy.reduce((a, x) => a + x, 0) / Math.max(1, b.entropy.length);
  return {
    block,
    clusters: b.clusters,
    entropy: b.entropy,
    proportions: b.proportions,
    segments: segmentsOf(b.clusters, b.entropy),
    meanEntropy: mean,
  };
}

/** Names of the clusters of a block for an upload (what the server learnt from its dataset). */
function uploadWaves(block) {
  const h = state.health;
  if (!h) return null;
  return (h.blockWaves && h.blockWaves[block]) || (block === "combined" ? h.clusterWaves : null);
}

async function openRecord(id) {
  setBusy(`Explaining ${id}…`);
  try {
    const body = await getJson(
      `api/records/${encodeURIComponent(id)}/explanation?block=${state.block}`,
    );
    showEcg({
      kind: "dataset",
      id,
      title: id,
      labels: body.labels,
      fold: body.fold,
      outputs: body.outputs,
      predicted: body.predicted,
      blocks: body.blocks,
      signal: body.signal,
      view: body.view,
      clusterWaves: body.clusterWaves,
    });
    for (const tr of $("records").tBodies[0].rows) {
      tr.classList.toggle("selected", tr.dataset.id === id);
    }
  } catch (err) {
    setBusy("");
    $("record-meta").textContent = `Could not open ${id}: ${err.message}`;
  }
}

function predictedOf(outputs) {
  const h = state.health;
  if (!h || (h.classes.length === 1 && h.classes[0] === "age")) return [];
  return h.classes.filter((c, i) => (outputs[c] ?? 0) >= (h.thresholds ? h.thresholds[i] : 0.5));
}

function showEcg(current) {
  const samePlace =
    state.current && state.current.kind === current.kind && state.current.id === current.id;
  state.current = current;
  if (!samePlace) {
    state.t0 = 0;
    state.t1 = current.signal.samples;
    const leads = current.signal.leads;
    const select = $("lead");
    select.replaceChildren(...leads.map((name, i) => html("option", { value: i }, name)));
    // lead II is the usual rhythm lead; keep the user's choice when the new record has it
    const keep = state.leadName && leads.indexOf(state.leadName);
    const ii = leads.findIndex((l) => l.toUpperCase() === "II");
    state.lead = keep !== undefined && keep >= 0 ? keep : ii >= 0 ? ii : 0;
    select.value = String(state.lead);
    state.leadName = leads[state.lead];
  }
  for (const b of $("blocks").querySelectorAll("button")) {
    b.disabled = !current.blocks.includes(b.dataset.block);
    b.classList.toggle("active", b.dataset.block === current.view.block);
  }
  $("record-title").textContent = current.title;
  const parts = [
    `${current.signal.fs} Hz`,
    `${(current.signal.samples / current.signal.fs).toFixed(1)} s`,
    `${current.signal.leads.length} leads`,
  ];
  if (current.fold !== undefined && current.fold !== null) parts.push(`fold ${current.fold}`);
  parts.push(`mean entropy ${current.view.meanEntropy.toFixed(3)} (${current.view.block})`);
  $("record-meta").textContent = parts.join(" · ");
  const outputs = $("outputs");
  outputs.replaceChildren();
  const predicted = new Set(current.predicted);
  for (const [cls, p] of Object.entries(current.outputs)) {
    const chip = html("span", { class: "chip", "data-class": cls });
    chip.textContent =
      state.health && state.health.classes[0] === "age"
        ? `${cls} ${p.toFixed(1)}`
        : `${cls} ${(p * 100).toFixed(0)}%`;
    if (predicted.has(cls)) chip.classList.add("pred");
    if (current.labels.includes(cls)) chip.classList.add("label");
    chip.title = `${predicted.has(cls) ? "predicted" : "not predicted"}${current.labels.includes(cls) ? ", labelled" : ""}`;
    outputs.append(chip);
  }
  const labelChip = html(
    "span",
    { class: "chip", id: "truth" },
    `label: ${current.labels.length ? current.labels.join(", ") : "unknown"}`,
  );
  outputs.append(labelChip);
  setBusy("");
  drawLegend();
  draw();
  // on a narrow screen the viewer sits below the list: bring it into view (no-op on a wide one)
  if (!samePlace) $("record-title").scrollIntoView({ block: "nearest" });
}

async function setBlock(block) {
  state.block = block;
  const c = state.current;
  if (!c) return;
  if (c.kind === "dataset") {
    await openRecord(c.id);
  } else {
    c.view = uploadView(c.explanation, block);
    c.clusterWaves = uploadWaves(c.view.block);
    showEcg(c);
  }
}

/* ---------- upload ---------- */

async function upload(event) {
  event.preventDefault();
  const files = [...$("upload-files").files];
  const msg = $("upload-message");
  msg.className = "message";
  if (files.length === 0) {
    msg.textContent = "Choose the .hea and its signal file, or one CSV.";
    msg.className = "message error";
    return;
  }
  const fd = new FormData();
  const csv = files.length === 1 && /\.(csv|txt|tsv)$/i.test(files[0].name);
  if (csv) {
    fd.append("file", files[0], files[0].name);
    fd.append("fs", $("upload-fs").value);
  } else {
    for (const f of files) fd.append("files", f, f.name);
  }
  msg.textContent = "Uploading and explaining…";
  $("upload-submit").disabled = true;
  try {
    const e = await getJson("api/explain?signal=1", { method: "POST", body: fd });
    // cluster names learnt from the dataset so far
    state.health = await getJson("api/health").catch(() => state.health);
    msg.textContent = `Explained ${e.record}.`;
    const blocks = ["combined", ...Object.keys(e.blocks || {})];
    const block = blocks.includes(state.block) ? state.block : "combined";
    showEcg({
      kind: "upload",
      id: `upload:${e.record}:${Date.now()}`,
      title: `${e.record} (uploaded)`,
      labels: [],
      outputs: e.outputs,
      predicted: predictedOf(e.outputs),
      blocks,
      signal: e.signal,
      explanation: e,
      view: uploadView(e, block),
      clusterWaves: uploadWaves(block),
    });
  } catch (err) {
    msg.textContent = err.message;
    msg.className = "message error";
  } finally {
    $("upload-submit").disabled = false;
  }
}

/* ---------- drawing ---------- */

const M = { left: 52, right: 12, top: 24, bottom: 26 };
const BAND = 34; // entropy band height

function leadData() {
  const c = state.current;
  return c.signal.data[state.lead];
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

function draw() {
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
  const traceBottom = H - M.bottom - BAND - 8;
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

  // entropy band: the per-sample entropy as a filled area, 0 at the bottom, 1 at the top
  const bandTop = traceBottom + 8;
  const bandBottom = bandTop + BAND;
  const ent = c.view.entropy;
  const ep = [`${x(i0).toFixed(1)},${bandBottom}`];
  const eStep = Math.max(1, Math.floor(perPx / 2));
  for (let i = i0; i < Math.min(i1, ent.length); i += eStep) {
    ep.push(`${x(i).toFixed(1)},${(bandBottom - ent[i] * BAND).toFixed(1)}`);
  }
  ep.push(`${x(Math.min(i1, ent.length) - 1).toFixed(1)},${bandBottom}`);
  svg.append(el("rect", { x: M.left, y: bandTop, width: plotW, height: BAND, fill: "#f3f4f6" }));
  svg.append(
    el("polygon", {
      class: "entropy",
      points: ep.join(" "),
      fill: "#7a8294",
      "fill-opacity": 0.75,
      "clip-path": "url(#plot-clip)",
    }),
  );
  svg.append(
    el(
      "text",
      { x: 2, y: bandTop + BAND / 2 + 4, class: "axis", "font-size": 11, fill: "#5d6677" },
      "entropy",
    ),
  );
  // the band's scale: normalised entropy runs from 0 (certain) to 1 (uniform over clusters)
  for (const [v, yy] of [
    [1, bandTop + 9],
    [0, bandBottom],
  ]) {
    svg.append(
      el(
        "text",
        { x: M.left - 6, y: yy, "text-anchor": "end", "font-size": 10, fill: "#5d6677" },
        String(v),
      ),
    );
  }

  // axes
  const gAxis = el("g", { class: "axis", "font-size": 11, fill: "#5d6677" });
  const ts = niceStep(secs, Math.max(2, Math.floor(plotW / 90)));
  for (let t = Math.ceil(state.t0 / fs / ts) * ts; t * fs <= state.t1 + 1e-9; t += ts) {
    gAxis.append(
      el("text", { x: x(t * fs), y: H - 8, "text-anchor": "middle" }, `${+t.toFixed(3)} s`),
    );
  }
  const vs = niceStep(hi - lo, 5);
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
      `Lead ${c.signal.leads[state.lead]}${unit ? ` (${unit})` : ""} · block ${c.view.block}`,
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
        y2: bandBottom,
        stroke: "#2457c5",
        "stroke-dasharray": "3 3",
      }),
    );
    svg.append(el("circle", { cx: X, cy: y(data[state.hover]), r: 3.5, fill: "#2457c5" }));
  }
  $("window").textContent = `${(state.t0 / fs).toFixed(2)}–${(state.t1 / fs).toFixed(2)} s`;
  drawOverview();
}

function drawOverview() {
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

function drawLegend() {
  const legend = $("legend");
  legend.replaceChildren();
  const c = state.current;
  if (!c) return;
  const waves = (c && c.clusterWaves) || [];
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

/* ---------- interaction: zoom, pan, hover ---------- */

function clampWindow(t0, t1) {
  const n = state.current.signal.samples;
  const minSpan = Math.min(n, Math.max(8, state.current.signal.fs * 0.2));
  let span = Math.max(minSpan, Math.min(n, t1 - t0));
  t0 = Math.max(0, Math.min(n - span, t0));
  state.t0 = t0;
  state.t1 = t0 + span;
}

function zoom(factor, centre) {
  if (!state.current) return;
  const c = centre ?? (state.t0 + state.t1) / 2;
  clampWindow(c - (c - state.t0) * factor, c + (state.t1 - c) * factor);
  draw();
}

function pan(fraction) {
  if (!state.current) return;
  const d = (state.t1 - state.t0) * fraction;
  clampWindow(state.t0 + d, state.t1 + d);
  draw();
}

function sampleAt(clientX) {
  const svg = $("ecg");
  const r = svg.getBoundingClientRect();
  const plotW = r.width - M.left - M.right;
  const f = (clientX - r.left - M.left) / plotW;
  return state.t0 + f * (state.t1 - state.t0);
}

function showTooltip(ev) {
  const c = state.current;
  if (!c) return;
  const i = Math.round(sampleAt(ev.clientX));
  const tip = $("tooltip");
  if (i < Math.ceil(state.t0) || i >= Math.min(state.t1, c.signal.samples)) {
    tip.hidden = true;
    if (state.hover !== null) {
      state.hover = null;
      draw();
    }
    return;
  }
  state.hover = i;
  const k = c.view.clusters[i];
  const waves = (c && c.clusterWaves) || [];
  const unit = c.signal.units[state.lead] || "";
  tip.textContent = "";
  for (const line of [
    `t = ${(i / c.signal.fs).toFixed(3)} s`,
    `${c.signal.leads[state.lead]}: ${leadData()[i].toFixed(3)} ${unit}`,
    `cluster ${k}${waves[k] ? ` (${waves[k]})` : ""}`,
    `entropy ${Number(c.view.entropy[i]).toFixed(3)}`,
  ]) {
    tip.append(html("div", {}, line));
  }
  tip.hidden = false;
  const box = $("chart").getBoundingClientRect();
  const left = ev.clientX - box.left + 14;
  tip.style.left = `${Math.min(left, box.width - tip.offsetWidth - 4)}px`;
  tip.style.top = `${ev.clientY - box.top + 14}px`;
  draw();
}

function setupInteraction() {
  const svg = $("ecg");
  svg.addEventListener(
    "wheel",
    (ev) => {
      if (!state.current) return;
      ev.preventDefault();
      zoom(ev.deltaY > 0 ? 1.25 : 0.8, sampleAt(ev.clientX));
    },
    { passive: false },
  );
  let drag = null;
  svg.addEventListener("pointerdown", (ev) => {
    if (!state.current) return;
    drag = { x: ev.clientX, t0: state.t0, t1: state.t1 };
    svg.setPointerCapture(ev.pointerId);
    svg.classList.add("dragging");
  });
  svg.addEventListener("pointermove", (ev) => {
    if (drag) {
      const r = svg.getBoundingClientRect();
      const d = ((drag.x - ev.clientX) / (r.width - M.left - M.right)) * (drag.t1 - drag.t0);
      clampWindow(drag.t0 + d, drag.t1 + d);
      draw();
    }
    showTooltip(ev);
  });
  const end = () => {
    drag = null;
    svg.classList.remove("dragging");
  };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);
  svg.addEventListener("pointerleave", () => {
    $("tooltip").hidden = true;
    state.hover = null;
    if (state.current) draw();
  });
  const ov = $("overview");
  const jump = (ev) => {
    if (!state.current) return;
    const r = ov.getBoundingClientRect();
    const f = (ev.clientX - r.left - M.left) / (r.width - M.left - M.right);
    const centre = f * state.current.signal.samples;
    const span = state.t1 - state.t0;
    clampWindow(centre - span / 2, centre + span / 2);
    draw();
  };
  ov.addEventListener("pointerdown", (ev) => {
    ov.setPointerCapture(ev.pointerId);
    jump(ev);
  });
  ov.addEventListener("pointermove", (ev) => {
    if (ev.buttons) jump(ev);
  });
  $("zoom-in").addEventListener("click", () => zoom(0.5));
  $("zoom-out").addEventListener("click", () => zoom(2));
  $("pan-left").addEventListener("click", () => pan(-0.5));
  $("pan-right").addEventListener("click", () => pan(0.5));
  $("zoom-reset").addEventListener("click", () => {
    if (!state.current) return;
    clampWindow(0, state.current.signal.samples);
    draw();
  });
  document.addEventListener("keydown", (ev) => {
    if (!state.current || ev.target instanceof window.HTMLInputElement) return;
    if (ev.key === "ArrowLeft") pan(-0.25);
    else if (ev.key === "ArrowRight") pan(0.25);
    else if (ev.key === "+" || ev.key === "=") zoom(0.5);
    else if (ev.key === "-") zoom(2);
  });
  $("lead").addEventListener("change", () => {
    state.lead = Number($("lead").value);
    state.leadName = state.current.signal.leads[state.lead];
    draw();
  });
  for (const b of $("blocks").querySelectorAll("button")) {
    b.addEventListener("click", () => setBlock(b.dataset.block));
  }
  new ResizeObserver(() => requestAnimationFrame(draw)).observe($("chart"));
}

function setBusy(text) {
  if (text) $("record-meta").textContent = text;
}

/* ---------- start ---------- */

async function start() {
  setupInteraction();
  $("upload-form").addEventListener("submit", upload);
  const filters = $("filters");
  filters.addEventListener("change", () => {
    state.offset = 0;
    loadRecords();
  });
  filters.addEventListener("submit", (ev) => ev.preventDefault());
  $("prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE);
    loadRecords();
  });
  $("next").addEventListener("click", () => {
    state.offset += PAGE;
    loadRecords();
  });
  try {
    state.health = await getJson("api/health");
  } catch (err) {
    $("status").textContent = `server unreachable: ${err.message}`;
    return;
  }
  const h = state.health;
  $("status").textContent = `${h.classes.join(" · ")} · K = ${h.k} clusters · ${h.records} records`;
  // the dataset's own label vocabulary (it may differ from the model's outputs)
  const labels = h.labels && h.labels.length ? h.labels : h.classes;
  for (const c of labels) $("f-class").append(html("option", { value: c }, c));
  for (const f of h.folds || []) $("f-fold").append(html("option", { value: f }, String(f)));
  if (h.records === 0) {
    $("browse").hidden = true;
  } else {
    await loadRecords();
  }
}

start();
