/**
 * The state level of the per-ECG figure (two-level explainers): a strip under each lead drawn in
 * each step's wave-cluster colour, shaded by its state within that wave (lighter to darker, the
 * state's number written where it fits), and the legend of the leaves present in the ECG with
 * their share. Millimetre units, like the rest of the figure.
 */
import type { Segment } from "../explain/explanation.js";
import { stateName, type Leaves } from "../explain/levels.js";
import { attrs, clusterColor, escapeXml, fmt, pct, text } from "./svg.js";

/** Height of the state strip under each lead, mm. */
export const STATE_STRIP = 3;
/** Colour of the state entropy line in the entropy band. */
export const STATE_ENTROPY_COLOUR = "#0072B2";

/** One leaf as the figure draws it. */
export interface LeafInfo {
  wave: number;
  /** Its state within the wave (0-based) and the wave's number of states. */
  state: number;
  states: number;
  /** "C1 QRS" and "CD-like". */
  waveName: string;
  stateName: string;
}

/** Wave, state and names of every leaf. */
export function leafInfo(leaves: Leaves): LeafInfo[] {
  const first = new Map<number, number>();
  const count = new Map<number, number>();
  leaves.waves.forEach((w, l) => {
    if (!first.has(w)) first.set(w, l);
    count.set(w, (count.get(w) ?? 0) + 1);
  });
  return leaves.names.map((name, l) => {
    const w = leaves.waves[l];
    const state = stateName(name);
    const waveName =
      name.length > state.length ? name.slice(0, name.length - state.length - 3) : `C${w}`;
    return { wave: w, state: l - first.get(w)!, states: count.get(w)!, waveName, stateName: state };
  });
}

function rgb(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/**
 * The wave's colour shaded for state q of k: the first state mixed half with white, the last 45 %
 * with black, the others evenly between, so neighbouring states differ in lightness.
 */
export function stateShade(wave: number, q: number, k: number): string {
  const t = k > 1 ? -0.5 + (0.95 * q) / (k - 1) : 0;
  const mixed = rgb(clusterColor(wave)).map((c) =>
    Math.round(t < 0 ? c + (255 - c) * -t : c * (1 - t)),
  );
  return `#${mixed.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/** Black or white, whichever reads on `hex` (relative luminance, WCAG). */
export function inkOn(hex: string): string {
  const [r, g, b] = rgb(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.35 ? "#000000" : "#ffffff";
}

/** The state strip of the samples [from, to) at (x, y). */
export function stateStrip(
  segs: readonly Segment[],
  info: readonly LeafInfo[],
  from: number,
  to: number,
  geom: { x: number; y: number; fs: number; mmPerS: number },
): string {
  const { x, y, fs, mmPerS } = geom;
  let out = "";
  for (const s of segs) {
    const a = Math.max(s.start, from);
    const b = Math.min(s.end, to);
    const leaf = info[s.cluster];
    if (b <= a || !leaf) continue;
    const fill = stateShade(leaf.wave, leaf.state, leaf.states);
    const xa = x + ((a - from) / fs) * mmPerS;
    const w = ((b - a) / fs) * mmPerS;
    const tip = `${leaf.waveName} · ${leaf.stateName} (leaf ${s.cluster}), ${(s.start / fs).toFixed(2)}-${(s.end / fs).toFixed(2)} s, state entropy ${s.entropy.toFixed(2)}`;
    out += `<rect${attrs({
      class: "state",
      "data-leaf": s.cluster,
      "data-cluster": leaf.wave,
      "data-state": leaf.state,
      x: xa,
      y,
      width: w,
      height: STATE_STRIP,
      fill,
      stroke: "#ffffff",
      "stroke-width": 0.12,
    })}><title>${escapeXml(tip)}</title></rect>`;
    if (w >= 2.2)
      out += text(xa + w / 2, y + STATE_STRIP - 0.75, String(leaf.state), {
        "font-size": 2.2,
        "text-anchor": "middle",
        fill: inkOn(fill),
        class: "state-number",
      });
  }
  return out;
}

/** Rough width of `s` at font size `size` in mm (DejaVu Sans averages about 0.58 em). */
function textWidth(s: string, size: number): number {
  return s.length * size * 0.58;
}

/**
 * The legend of the leaves present in the ECG (share > 0), one line per wave cluster: its name,
 * then each state's shade and number, name and share of this ECG.
 */
export function leafLegend(
  proportions: readonly number[],
  info: readonly LeafInfo[],
  x0: number,
  y: number,
  width: number,
): { svg: string; height: number } {
  let s = `<g class="legend leaf-legend">`;
  s += text(
    x0,
    y + 2.5,
    "States (strip under each lead: the wave's colour, shaded by the state within it): leaves present, share of this ECG",
    { "font-size": 2.6, "font-weight": "bold" },
  );
  const waves = [...new Set(info.map((l) => l.wave))].sort((a, b) => a - b);
  const labelW = Math.max(16, ...info.map((l) => textWidth(l.waveName, 2.8) + 3));
  let yy = y + 5;
  for (const w of waves) {
    const present = info
      .map((l, i) => ({ l, i, p: proportions[i] ?? 0 }))
      .filter(({ l, p }) => l.wave === w && p > 0);
    if (!present.length) continue;
    s += text(x0, yy + 2.9, present[0].l.waveName, { "font-size": 2.8, "font-weight": "bold" });
    let x = x0 + labelW;
    for (const { l, i, p } of present) {
      const label = `${l.stateName} ${pct(p)}`;
      const itemW = 5.5 + textWidth(label, 2.8) + 4;
      if (x + itemW > x0 + width && x > x0 + labelW) {
        x = x0 + labelW;
        yy += 5;
      }
      const fill = stateShade(l.wave, l.state, l.states);
      s += `<g class="legend-leaf" data-leaf="${i}">`;
      s += `<rect${attrs({ x, y: yy, width: 4.5, height: 3.5, fill, stroke: "#666666", "stroke-width": 0.1 })}/>`;
      s += text(x + 2.25, yy + 2.7, String(l.state), {
        "font-size": 2.4,
        "text-anchor": "middle",
        fill: inkOn(fill),
      });
      s += text(x + 5.5, yy + 2.9, label, { "font-size": 2.8 });
      s += `</g>`;
      x += itemW;
    }
    yy += 5;
  }
  return { svg: s + `</g>`, height: yy - y };
}

/** The key of the state entropy line, at (x0, y). */
export function stateEntropyKey(x0: number, y: number): string {
  return (
    `<path d="M${fmt(x0)} ${fmt(y + 1.75)}h5" stroke="${STATE_ENTROPY_COLOUR}" stroke-width="0.5"/>` +
    text(x0 + 6.5, y + 2.9, "blue line in the band: state entropy (within the step's wave)", {
      "font-size": 2.8,
    })
  );
}
