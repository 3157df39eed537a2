// @ts-check
/* global FormData, URLSearchParams */
/**
 * The ecg-tlc explorer page (plain ES modules, no dependencies, works offline): the dataset list
 * with its filters, opening an ECG (dataset record or upload), switching block (the explainer's
 * own, from /api/health) and lead. The drawing is in chart.js, zoom/pan/hover in interact.js, the
 * Grad-CAM overlay in gradcam.js, shared state and helpers in dom.js.
 */
import { draw, drawLegend } from "./chart.js";
import { $, getJson, html, messageOf, state } from "./dom.js";
import {
  gradcamTap,
  gradcamTarget,
  loadGradcam,
  resetGradcamTarget,
  setGradcam,
  setGradcamTap,
  setupGradcam,
} from "./gradcam.js";
import { setupInteraction } from "./interact.js";

const PAGE = 50;

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

/** @typedef {import("./dom.js").RecordView} RecordView */
/** @typedef {import("./dom.js").OpenEcg} OpenEcg */

async function loadRecords() {
  /** @type {import("./dom.js").RecordPage} */
  let page;
  try {
    page = await getJson(`api/records?${filterParams()}`);
  } catch (err) {
    $("index-note").textContent = messageOf(err);
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
    tr.append(...(isAge() ? ageCells(r) : labelCells(r)));
    tr.append(html("td", {}, r.meanEntropy === undefined ? "…" : r.meanEntropy.toFixed(3)));
    tr.tabIndex = 0;
    tr.addEventListener("click", () => openRecord(r.id));
    tr.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        openRecord(r.id);
      }
    });
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

/** The label and prediction cells of a classification model's row. */
function labelCells(r) {
  const pred = html("td", {}, r.predicted ? r.predicted.join(", ") || "none" : "…");
  if (r.correct === true) pred.className = "right";
  if (r.correct === false) pred.className = "wrong";
  return [html("td", {}, r.labels.join(", ") || "–"), pred];
}

/** An age model's row: the true age and the predicted one. */
function ageCells(r) {
  return [html("td", {}, years(r.age)), html("td", {}, r.outputs ? years(r.outputs.age, 1) : "…")];
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let refreshTimer;
function refreshIfIdle() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(loadRecords, 0);
}

/* ---------- opening an ECG ---------- */

/**
 * An upload explained again (the server keeps nothing): the view of `block`, as for a record.
 * @param {() => FormData} uploadForm
 * @param {string} block
 * @returns {Promise<RecordView>}
 */
function explainUpload(uploadForm, block) {
  return getJson(`api/explain?block=${encodeURIComponent(block)}`, {
    method: "POST",
    body: uploadForm(),
  });
}

/** @param {string} id */
async function openRecord(id) {
  setBusy(`Explaining ${id}…`);
  try {
    /** @type {RecordView} */
    const body = await getJson(
      `api/records/${encodeURIComponent(id)}/explanation?block=${state.block}`,
    );
    showEcg({
      kind: "dataset",
      id,
      title: id,
      labels: body.labels,
      age: body.age ?? undefined,
      fold: body.fold,
      outputs: body.outputs,
      predicted: body.predicted,
      topClass: body.topClass,
      blocks: body.blocks,
      signal: body.signal,
      view: body.view,
      states: body.states,
      clusterWaves: body.clusterWaves,
    });
    for (const tr of $("records").tBodies[0].rows) {
      tr.classList.toggle("selected", tr.dataset.id === id);
    }
    saveLocation();
  } catch (err) {
    setBusy("");
    $("record-meta").textContent = `Could not open ${id}: ${messageOf(err)}`;
  }
}

/** An age model: one output, years, and no labels to predict. */
function isAge() {
  const h = state.health;
  return Boolean(h && h.classes.length === 1 && h.classes[0] === "age");
}

/** "71 y" for a known age, "–" otherwise. */
function years(v, digits = 0) {
  return typeof v === "number" && Number.isFinite(v) ? `${v.toFixed(digits)} y` : "–";
}

/** @param {OpenEcg} current */
function showEcg(current) {
  const before = state.current;
  const samePlace = before && before.kind === current.kind && before.id === current.id;
  // another block of the same ECG: its Grad-CAM map stays valid
  if (samePlace) current.cam = before.cam;
  state.current = current;
  if (!samePlace) {
    resetGradcamTarget(current);
    state.t0 = 0;
    state.t1 = current.signal.samples;
    const leads = current.signal.leads;
    const select = $("lead");
    select.replaceChildren(...leads.map((name, i) => html("option", { value: i }, name)));
    // lead II is the usual rhythm lead; keep the user's choice when the new record has it
    const keep = state.leadName ? leads.indexOf(state.leadName) : -1;
    const ii = leads.findIndex((l) => l.toUpperCase() === "II");
    state.lead = keep >= 0 ? keep : ii >= 0 ? ii : 0;
    select.value = String(state.lead);
    state.leadName = leads[state.lead];
  }
  for (const b of $("blocks").querySelectorAll("button")) {
    const active = b.dataset.block === current.view.block;
    b.disabled = !current.blocks.includes(b.dataset.block ?? "");
    b.classList.toggle("active", active);
    b.setAttribute("aria-pressed", String(active));
  }
  showLevel();
  $("record-title").textContent = current.title;
  const parts = [
    `${current.signal.fs} Hz`,
    `${(current.signal.samples / current.signal.fs).toFixed(1)} s`,
    `${current.signal.leads.length} leads`,
  ];
  if (current.fold !== undefined && current.fold !== null) parts.push(`fold ${current.fold}`);
  parts.push(`mean entropy ${current.view.meanEntropy.toFixed(3)} (${current.view.block})`);
  if (current.states) parts.push(`mean state entropy ${current.states.meanEntropy.toFixed(3)}`);
  $("record-meta").textContent = parts.join(" · ");
  const outputs = $("outputs");
  outputs.replaceChildren();
  const predicted = new Set(current.predicted);
  for (const [cls, p] of Object.entries(current.outputs)) {
    const chip = html("span", { class: "chip", "data-class": cls });
    chip.textContent = isAge()
      ? `predicted age: ${years(p, 1)}`
      : `${cls} ${(p * 100).toFixed(0)}%`;
    if (predicted.has(cls)) chip.classList.add("pred");
    if (current.labels.includes(cls)) chip.classList.add("label");
    chip.title = `${predicted.has(cls) ? "predicted" : "not predicted"}${current.labels.includes(cls) ? ", labelled" : ""}`;
    outputs.append(chip);
  }
  const labelChip = html(
    "span",
    { class: "chip", id: "truth" },
    isAge()
      ? `true age: ${years(current.age)}`
      : `label: ${current.labels.length ? current.labels.join(", ") : "unknown"}`,
  );
  outputs.append(labelChip);
  setBusy("");
  drawLegend();
  draw();
  if (state.gradcam) loadGradcam();
  // on a narrow screen the viewer sits below the list: bring it into view (no-op on a wide one)
  if (!samePlace) $("record-title").scrollIntoView({ block: "nearest" });
}

/** The open dataset record, block and lead in the URL's hash, so a view can be shared or reloaded. */
function saveLocation() {
  const c = state.current;
  if (!c || c.kind !== "dataset") return;
  const p = new URLSearchParams({ record: c.id, block: c.view.block, lead: state.leadName ?? "" });
  if (state.level === "states") p.set("view", "states");
  if (state.gradcam) {
    p.set("gradcam", gradcamTarget());
    if (gradcamTap() && gradcamTap() !== state.health?.gradcamTap) p.set("camtap", gradcamTap());
  }
  window.history.replaceState(null, "", `#${p}`);
}

/** One button per block the explainer holds; none when it only has the combined clusters. */
function buildBlocks(blocks) {
  const group = $("blocks");
  group.replaceChildren(
    ...blocks.map((block) => {
      const b = html("button", { type: "button", "data-block": block }, block);
      b.classList.toggle("active", block === state.block);
      b.setAttribute("aria-pressed", String(block === state.block));
      b.addEventListener("click", () => setBlock(block));
      return b;
    }),
  );
  group.hidden = blocks.length < 2;
}

/**
 * The level buttons of a two-level explainer: the wave clusters, or their states too (a leaf per
 * sample: wave cluster · state). Hidden for a single-level explainer.
 * @param {import("./dom.js").Health} h
 */
function buildLevels(h) {
  const group = $("levels");
  group.hidden = !h.leaves;
  if (!h.leaves) return;
  group.replaceChildren(
    .../** @type {const} */ (["waves", "states"]).map((level) => {
      const b = html("button", { type: "button", "data-level": level }, level);
      b.title =
        level === "waves"
          ? "wave clusters: where in the beat each step is"
          : "states within each wave cluster: what the network made of each step";
      b.addEventListener("click", () => setLevel(level));
      return b;
    }),
  );
  showLevel();
}

/** The level buttons' state, and the chart's room for the state strip. */
function showLevel() {
  const c = state.current;
  for (const b of $("levels").querySelectorAll("button")) {
    const active = b.dataset.level === state.level;
    b.classList.toggle("active", active);
    b.setAttribute("aria-pressed", String(active));
    // the states are the combined clusters' (another block has none)
    b.disabled = b.dataset.level === "states" && Boolean(c) && !c?.states;
  }
  $("ecg").classList.toggle("with-states", state.level === "states" && Boolean(c?.states));
  $("states-hint").hidden = !state.health?.leaves;
}

/** @param {"waves" | "states"} level */
function setLevel(level) {
  state.level = level;
  showLevel();
  drawLegend();
  draw();
  saveLocation();
}

/** @param {string} block */
async function setBlock(block) {
  state.block = block;
  const c = state.current;
  if (!c) return;
  if (c.kind === "dataset") {
    await openRecord(c.id);
  } else if (c.uploadForm) {
    const body = await explainUpload(c.uploadForm, block);
    c.view = body.view;
    c.states = body.states;
    c.clusterWaves = body.clusterWaves;
    showEcg(c);
  }
}

/* ---------- upload ---------- */

async function upload(event) {
  event.preventDefault();
  const files = [...($("upload-files").files ?? [])];
  const msg = $("upload-message");
  msg.className = "message";
  if (files.length === 0) {
    msg.textContent = "Choose the .hea and its signal file, or one CSV.";
    msg.className = "message error";
    return;
  }
  const csv = files.length === 1 && /\.(csv|txt|tsv)$/i.test(files[0].name);
  const fs = $("upload-fs").value;
  const units = $("upload-units").value;
  // the same form again for each Grad-CAM the user asks of this upload (the server keeps nothing)
  const uploadForm = () => {
    const fd = new FormData();
    if (csv) {
      fd.append("file", files[0], files[0].name);
      fd.append("fs", fs);
      fd.append("units", units);
    } else {
      for (const f of files) fd.append("files", f, f.name);
    }
    return fd;
  };
  msg.textContent = "Uploading and explaining…";
  $("upload-submit").disabled = true;
  try {
    const blocks = state.health?.blocks ?? ["combined"];
    const block = blocks.includes(state.block) ? state.block : "combined";
    const body = await explainUpload(uploadForm, block);
    // cluster names learnt from the dataset so far
    state.health = await getJson("api/health").catch(() => state.health);
    msg.textContent = `Explained ${body.id}.`;
    for (const tr of $("records").tBodies[0].rows) tr.classList.remove("selected");
    window.history.replaceState(null, "", window.location.pathname);
    showEcg({
      kind: "upload",
      id: `upload:${body.id}:${Date.now()}`,
      title: `${body.id} (uploaded)`,
      labels: [],
      outputs: body.outputs,
      predicted: body.predicted,
      topClass: body.topClass,
      blocks: body.blocks,
      signal: body.signal,
      uploadForm,
      view: body.view,
      states: body.states,
      clusterWaves: body.clusterWaves,
    });
  } catch (err) {
    msg.textContent = messageOf(err);
    msg.className = "message error";
  } finally {
    $("upload-submit").disabled = false;
  }
}

function setBusy(text) {
  if (text) $("record-meta").textContent = text;
}

/* ---------- start ---------- */

async function start() {
  setupInteraction();
  $("lead").addEventListener("change", () => {
    state.lead = Number($("lead").value);
    state.leadName = state.current?.signal.leads[state.lead];
    draw();
    saveLocation();
  });
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
  /** @type {import("./dom.js").Health} */
  let h;
  try {
    h = await getJson("api/health");
  } catch (err) {
    $("status").textContent = `server unreachable: ${messageOf(err)}`;
    return;
  }
  state.health = h;
  const leaves = h.leaves ? ` · ${h.leaves.names.length} leaves (wave · state)` : "";
  $("status").textContent =
    `${h.classes.join(" · ")} · K = ${h.k} clusters${leaves} · ${h.records} records`;
  buildBlocks(h.blocks);
  buildLevels(h);
  setupGradcam(h, saveLocation);
  if (isAge()) {
    $("th-label").textContent = "age";
    $("th-predicted").textContent = "predicted";
  }
  // "prediction = label" only means something when the dataset's labels are the model's classes
  $("f-match-label").hidden = isAge() || h.labelsComparable === false;
  // the dataset's own label vocabulary (it may differ from the model's outputs)
  const labels = h.labels && h.labels.length ? h.labels : h.classes;
  for (const c of labels) $("f-class").append(html("option", { value: c }, c));
  for (const f of h.folds || []) $("f-fold").append(html("option", { value: f }, String(f)));
  if (h.records === 0) {
    $("browse").hidden = true;
  } else {
    await loadRecords();
    await openFromLocation();
    window.addEventListener("hashchange", openFromLocation);
  }
}

/** Opens what the URL's hash names (a pasted link, a reload, the back button). */
async function openFromLocation() {
  const p = new URLSearchParams(window.location.hash.slice(1));
  const id = p.get("record");
  const h = state.health;
  if (!id || !h) return;
  const block = p.get("block");
  if (block && h.blocks.includes(block)) state.block = block;
  const level = p.get("view") === "states" && h.leaves ? "states" : "waves";
  const levelChanged = level !== state.level;
  state.level = level;
  const lead = p.get("lead");
  if (lead) state.leadName = lead;
  const cam = p.get("gradcam");
  const c = state.current;
  const sameRecord = c && c.kind === "dataset" && c.id === id;
  if (cam && h.gradcam && h.classes.includes(cam)) {
    setGradcamTap(p.get("camtap") ?? h.gradcamTap ?? "");
    if (sameRecord) $("gradcam-target").value = cam;
    else state.gradcamWanted = cam;
    if (!state.gradcam) setGradcam(true);
    else if (sameRecord) loadGradcam();
  }
  if (sameRecord && c.view.block === state.block) {
    const i = c.signal.leads.indexOf(state.leadName ?? "");
    if (i >= 0 && i !== state.lead) {
      state.lead = i;
      $("lead").value = String(i);
      draw();
    }
    if (levelChanged) {
      showLevel();
      drawLegend();
      draw();
    }
    return;
  }
  await openRecord(id);
}

start();
