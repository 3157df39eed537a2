// @ts-check
/**
 * What every part of the explorer page shares: the one `state` object, DOM helpers, cluster
 * colours and the JSON fetch that turns a server `{error}` into an Error with its message.
 * Server data only ever goes into the page as textContent or attributes, never as HTML.
 */

export const SVG = "http://www.w3.org/2000/svg";
/** Cluster colours (Tableau 10), drawn at low opacity behind the trace. */
export const PALETTE = [
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
/** @typedef {import("../src/server/views.js").Health} Health */
/** @typedef {import("../src/server/views.js").RecordView} RecordView */
/** @typedef {import("../src/server/views.js").GradcamJson} GradcamJson */
/** @typedef {import("../src/server/views.js").SignalJson} SignalJson */
/** @typedef {import("../src/server/explainer.js").BlockView} BlockView */
/** @typedef {import("../src/server/views.js").StateView} StateView */
/** @typedef {import("../src/server/catalog.js").RecordPage} RecordPage */

/**
 * The open ECG: a dataset record's or an upload's view (the server's `RecordView`), and what the
 * page keeps beside it.
 * @typedef {object} OpenEcg
 * @property {"dataset" | "upload"} kind
 * @property {string} id dataset id, or "upload:NAME:TIME"
 * @property {string} title
 * @property {string[]} labels true labels (none for an upload)
 * @property {number} [age]
 * @property {number | null} [fold]
 * @property {Record<string, number>} outputs
 * @property {string[]} predicted
 * @property {string} topClass the default Grad-CAM target
 * @property {string[]} blocks
 * @property {SignalJson} signal
 * @property {BlockView} view
 * @property {StateView | null} states its leaves (wave cluster · state), two-level explainers only
 * @property {(string | null)[] | null} clusterWaves
 * @property {() => FormData} [uploadForm] an upload's form, sent again for each request on it
 * @property {GradcamJson} [cam] its Grad-CAM map, once fetched
 */

/**
 * The elements the page looks up by id: inputs, selects, buttons and tables among them.
 * @typedef {HTMLElement & {
 *   value: string,
 *   checked: boolean,
 *   disabled: boolean,
 *   files: FileList | null,
 *   tBodies: HTMLCollectionOf<HTMLTableSectionElement>,
 * }} PageElement
 */

/**
 * An element of the page by id (index.html has them all: a missing one is a bug, not a state).
 * @param {string} id
 * @returns {PageElement}
 */
export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return /** @type {any} */ (node);
}

/**
 * The page's one mutable state, owned here: every module reads and writes these fields only.
 * @type {{
 *   health: Health | null,
 *   offset: number,
 *   current: OpenEcg | null,
 *   block: string,
 *   level: "waves" | "states",
 *   gradcam: boolean,
 *   gradcamWanted: string | null,
 *   lead: number,
 *   leadName: string | undefined,
 *   t0: number,
 *   t1: number,
 *   hover: number | null,
 * }}
 */
export const state = {
  health: null,
  offset: 0,
  current: null,
  block: "combined",
  /** What the page shows of a two-level explainer: the wave clusters, or their states too. */
  level: "waves",
  /** Grad-CAM overlay on; the class a shared link asks for, applied to the next ECG opened. */
  gradcam: false,
  gradcamWanted: null,
  lead: 1,
  leadName: undefined,
  /** Visible window in samples [t0, t1). */
  t0: 0,
  t1: 0,
  hover: null,
};

export function colour(k) {
  return PALETTE[k % PALETTE.length];
}

/**
 * Wave cluster k's colour shaded for state q of n (as the figures do): the first state mixed half
 * with white, the last 45 % with black, the others evenly between.
 * @param {number} k
 * @param {number} q
 * @param {number} n
 */
export function shade(k, q, n) {
  const t = n > 1 ? -0.5 + (0.95 * q) / (n - 1) : 0;
  const v = Number.parseInt(colour(k).slice(1), 16);
  const rgb = [(v >> 16) & 255, (v >> 8) & 255, v & 255].map((c) =>
    Math.round(t < 0 ? c + (255 - c) * -t : c * (1 - t)),
  );
  return `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Dark or white text, whichever reads on `hex` (relative luminance, WCAG).
 * @param {string} hex
 */
export function inkOn(hex) {
  const v = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [(v >> 16) & 255, (v >> 8) & 255, v & 255].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.35 ? "#1d2330" : "#ffffff";
}

/**
 * Each leaf's wave cluster, state within it (and the wave's number of states) and names.
 * @param {StateView} s
 * @returns {{ wave: number, state: number, states: number, name: string, stateName: string }[]}
 */
export function leafInfo(s) {
  /** @type {Map<number, number>} */
  const first = new Map();
  /** @type {Map<number, number>} */
  const count = new Map();
  s.waves.forEach((w, l) => {
    if (!first.has(w)) first.set(w, l);
    count.set(w, (count.get(w) ?? 0) + 1);
  });
  return s.names.map((name, l) => {
    const w = s.waves[l];
    const at = name.lastIndexOf(" · ");
    return {
      wave: w,
      state: l - (first.get(w) ?? l),
      states: count.get(w) ?? 1,
      name,
      stateName: at < 0 ? name : name.slice(at + 3),
    };
  });
}

/** The open ECG's states when the page shows them (state view, and the block has them). */
export function shownStates() {
  const c = state.current;
  return state.level === "states" && c && c.states ? c.states : null;
}

export function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function html(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * JSON from the API; a server `{error}` becomes an Error with its message. The caller states what
 * it expects (`@type`), from src/server/views.ts.
 * @param {string} url
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
export async function getJson(url, init) {
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

/**
 * The message of a caught error (anything can be thrown).
 * @param {unknown} err
 */
export function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

/** The open ECG; only called where one is open (a bug otherwise). */
export function openEcg() {
  if (!state.current) throw new Error("no ECG is open");
  return state.current;
}
