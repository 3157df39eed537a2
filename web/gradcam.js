// @ts-check
/* global URLSearchParams */
/**
 * The Grad-CAM overlay: a toggle (off by default), a class selector, set to the open ECG's top
 * class unless the user picks another, and a block selector (the server's default block first).
 * The map comes from the server (which caches it) per record, class and block; chart.js draws it
 * as a band under the entropy band, on the same time axis. A map that is zero at every step (common
 * below the last block) is said in words, since an empty band would look like a failure.
 */
import { draw } from "./chart.js";
import { $, getJson, html, messageOf, state } from "./dom.js";

function note(text, error = false) {
  const n = $("gradcam-note");
  n.textContent = text;
  n.classList.toggle("error", error);
}

/** The class the overlay explains. */
export function gradcamTarget() {
  return $("gradcam-target").value;
}

/** The block the map is taken at. */
export function gradcamTap() {
  return $("gradcam-tap").value;
}

/** Selects block `tap` when the server offers it. */
export function setGradcamTap(tap) {
  const h = state.health;
  if (h && (h.gradcamTaps ?? []).includes(tap)) $("gradcam-tap").value = tap;
}

/** Shows the controls when the server offers Grad-CAM; `changed` runs after every user change. */
/**
 * @param {import("./dom.js").Health} health
 * @param {() => void} changed
 */
export function setupGradcam(health, changed) {
  if (!health.gradcam) return;
  $("gradcam-controls").hidden = false;
  $("gradcam-hint").hidden = false;
  const select = $("gradcam-target");
  select.replaceChildren(...health.classes.map((c) => html("option", { value: c }, c)));
  const taps = $("gradcam-tap");
  const offered = health.gradcamTaps ?? [];
  taps.replaceChildren(...offered.map((t) => html("option", { value: t }, t)));
  taps.hidden = offered.length < 2;
  if (health.gradcamTap) taps.value = health.gradcamTap;
  $("gradcam-on").addEventListener("change", () => {
    setGradcam($("gradcam-on").checked);
    changed();
  });
  for (const s of [select, taps]) {
    s.addEventListener("change", () => {
      loadGradcam();
      changed();
    });
  }
}

/** Turns the overlay on (fetching the open ECG's map) or off. */
export function setGradcam(on) {
  state.gradcam = on;
  $("gradcam-on").checked = on;
  $("gradcam-target").disabled = !on;
  $("gradcam-tap").disabled = !on;
  // the chart grows by one band rather than squeezing the trace
  $("ecg").classList.toggle("with-gradcam", on);
  if (on) {
    loadGradcam();
  } else {
    note("");
    draw();
  }
}

/** For a newly opened ECG: select its top class, or the class a shared link asked for. */
/** @param {import("./dom.js").OpenEcg} current */
export function resetGradcamTarget(current) {
  const h = state.health;
  if (!h || !h.gradcam) return;
  const wanted = state.gradcamWanted;
  state.gradcamWanted = null;
  $("gradcam-target").value = wanted && h.classes.includes(wanted) ? wanted : current.topClass;
}

/** Fetches (if needed) and draws the open ECG's map for the selected class. */
export async function loadGradcam() {
  const c = state.current;
  if (!c || !state.gradcam) return;
  const target = gradcamTarget();
  const tap = gradcamTap();
  if (c.cam && c.cam.target === target && (!tap || c.cam.tap === tap)) {
    showNote(c.cam);
    draw();
    return;
  }
  note(`Grad-CAM of ${target}…`);
  /** @type {import("./dom.js").GradcamJson} */
  let cam;
  try {
    if (c.kind === "dataset") {
      const q = new URLSearchParams({ target });
      if (tap) q.set("tap", tap);
      cam = await getJson(`api/records/${encodeURIComponent(c.id)}/gradcam?${q}`);
    } else {
      if (!c.uploadForm) return;
      const fd = c.uploadForm();
      fd.append("target", target);
      if (tap) fd.append("tap", tap);
      cam = await getJson("api/gradcam", { method: "POST", body: fd });
    }
  } catch (err) {
    if (state.current && state.current.id === c.id) note(`Grad-CAM: ${messageOf(err)}`, true);
    return;
  }
  // the user may have moved on (another ECG, class or block) while the map was computed
  const now = state.current;
  if (!now || now.id !== c.id || gradcamTarget() !== cam.target) return;
  if (gradcamTap() && gradcamTap() !== cam.tap) return;
  now.cam = cam;
  showNote(cam);
  draw();
}

/**
 * For a map that is zero at every step, what that means and what to try; otherwise the block,
 * unless its selector already shows it.
 */
function showNote(cam) {
  const taps = state.health?.gradcamTaps ?? [];
  if (cam.max > 0) {
    note(taps.length > 1 ? "" : `at ${cam.tap}`);
    return;
  }
  const last = taps.at(-1);
  const hint = last && last !== cam.tap ? `; try ${last}` : "";
  note(`at ${cam.tap}: zero at every step (nothing there raises ${cam.target}'s score)${hint}`);
}
