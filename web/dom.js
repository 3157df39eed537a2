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
export const $ = (id) => document.getElementById(id);

export const state = {
  health: null,
  offset: 0,
  /**
   * The open ECG: { kind: "dataset"|"upload", id, title, labels, outputs, signal, explanation?,
   * uploadForm?, view, cam? (its Grad-CAM map: { target, tap, max, values per sample in [0, 1] }) }
   */
  current: null,
  block: "combined",
  /** Grad-CAM overlay on; the class a shared link asks for, applied to the next ECG opened. */
  gradcam: false,
  gradcamWanted: null,
  lead: 1,
  /** Visible window in samples [t0, t1). */
  t0: 0,
  t1: 0,
  hover: null,
};

export function colour(k) {
  return PALETTE[k % PALETTE.length];
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
