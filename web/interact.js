// @ts-check
/* global ResizeObserver, requestAnimationFrame */
/**
 * Zoom (wheel, buttons, keys), pan (drag, overview strip, buttons, arrows) and the hover tooltip
 * with time, amplitude, cluster, entropy (and Grad-CAM when shown) at the sample under the pointer.
 */
import { draw, leadData, M, shownGradcam } from "./chart.js";
import { $, html, openEcg, state } from "./dom.js";

export function clampWindow(t0, t1) {
  const { signal } = openEcg();
  const n = signal.samples;
  const minSpan = Math.min(n, Math.max(8, signal.fs * 0.2));
  let span = Math.max(minSpan, Math.min(n, t1 - t0));
  t0 = Math.max(0, Math.min(n - span, t0));
  state.t0 = t0;
  state.t1 = t0 + span;
}

export function zoom(factor, centre) {
  if (!state.current) return;
  const c = centre ?? (state.t0 + state.t1) / 2;
  clampWindow(c - (c - state.t0) * factor, c + (state.t1 - c) * factor);
  draw();
}

export function pan(fraction) {
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
  const lines = [
    `t = ${(i / c.signal.fs).toFixed(3)} s`,
    `${c.signal.leads[state.lead]}: ${leadData()[i].toFixed(3)} ${unit}`,
    `cluster ${k}${waves[k] ? ` (${waves[k]})` : ""}`,
    `entropy ${Number(c.view.entropy[i]).toFixed(3)}`,
  ];
  // a two-level explainer: the sample's leaf (wave cluster · state) and its state's entropy
  const s = c.states;
  if (s && s.leaves[i] !== undefined) {
    lines.push(`leaf ${s.names[s.leaves[i]] ?? s.leaves[i]}`);
    lines.push(`state entropy ${Number(s.entropy[i]).toFixed(3)}`);
  }
  const cam = shownGradcam();
  if (cam) lines.push(`Grad-CAM (${cam.target}) ${cam.values[i].toFixed(3)}`);
  for (const line of lines) {
    tip.append(html("div", {}, line));
  }
  tip.hidden = false;
  const box = $("chart").getBoundingClientRect();
  const left = ev.clientX - box.left + 14;
  tip.style.left = `${Math.min(left, box.width - tip.offsetWidth - 4)}px`;
  tip.style.top = `${ev.clientY - box.top + 14}px`;
  draw();
}

export function setupInteraction() {
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
  new ResizeObserver(() => requestAnimationFrame(draw)).observe($("chart"));
}
