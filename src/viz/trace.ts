/**
 * Drawing blocks of the per-ECG figure in millimetre user units: ECG paper grid, a lead's trace,
 * a [0, 1] curve as an area (entropy) or a line (Grad-CAM). Pure string builders.
 */
import { fmt } from "./svg.js";

/** Standard ECG paper: 1 mm minor and 5 mm major squares (25 mm/s, 10 mm/mV). */
export function paperGrid(x: number, y: number, width: number, height: number): string {
  let minor = "";
  let major = "";
  // Lines are counted from the grid's origin so every 5th line is major whatever the size.
  const nx = Math.floor(width + 1e-9);
  const ny = Math.floor(height + 1e-9);
  for (let i = 0; i <= nx; i++) {
    const seg = `M${fmt(x + i)} ${fmt(y)}V${fmt(y + height)}`;
    if (i % 5 === 0) major += seg;
    else minor += seg;
  }
  for (let j = 0; j <= ny; j++) {
    const seg = `M${fmt(x)} ${fmt(y + j)}H${fmt(x + width)}`;
    if (j % 5 === 0) major += seg;
    else minor += seg;
  }
  return (
    `<path class="grid-minor" d="${minor}" stroke="#f3b8b3" stroke-width="0.08" fill="none"/>` +
    `<path class="grid-major" d="${major}" stroke="#e07a70" stroke-width="0.2" fill="none"/>`
  );
}

/** Median of lead values in [from, to), used as the trace's baseline so it sits mid-row. */
export function baseline(signal: Float32Array, offset: number, from: number, to: number): number {
  const vals: number[] = [];
  const step = Math.max(1, Math.floor((to - from) / 2000));
  for (let i = from; i < to; i += step) {
    const v = signal[offset + i];
    if (Number.isFinite(v)) vals.push(v);
  }
  if (vals.length === 0) return 0;
  vals.sort((a, b) => a - b);
  return vals[vals.length >> 1];
}

/**
 * Path of one lead between samples [from, to): x = x0 + (i - from) / fs * mmPerS,
 * y = y0 - (v - base) * mmPerUnit. When several samples fall within `binMm`, each bin keeps its
 * minimum and maximum in time order, so QRS peaks survive the decimation of 500 Hz records.
 */
export function tracePath(
  signal: Float32Array,
  offset: number,
  from: number,
  to: number,
  fs: number,
  geom: { x0: number; y0: number; mmPerS: number; mmPerUnit: number; base: number },
  binMm = 0.25,
): string {
  const { x0, y0, mmPerS, mmPerUnit, base } = geom;
  const perBin = (binMm / mmPerS) * fs;
  const parts: string[] = [];
  let pen = false;
  const put = (i: number) => {
    const v = signal[offset + i];
    if (!Number.isFinite(v)) {
      pen = false; // a gap (NaN sample) breaks the line instead of drawing to zero
      return;
    }
    parts.push(
      `${pen ? "L" : "M"}${fmt(x0 + ((i - from) / fs) * mmPerS)} ${fmt(y0 - (v - base) * mmPerUnit)}`,
    );
    pen = true;
  };
  if (perBin <= 2) {
    for (let i = from; i < to; i++) put(i);
  } else {
    const bin = Math.max(1, Math.floor(perBin));
    for (let a = from; a < to; a += bin) {
      const b = Math.min(to, a + bin);
      let lo = -1;
      let hi = -1;
      for (let i = a; i < b; i++) {
        const v = signal[offset + i];
        if (!Number.isFinite(v)) continue;
        if (lo < 0 || v < signal[offset + lo]) lo = i;
        if (hi < 0 || v > signal[offset + hi]) hi = i;
      }
      if (lo < 0) {
        pen = false;
        continue;
      }
      if (lo === hi) put(lo);
      else if (lo < hi) {
        put(lo);
        put(hi);
      } else {
        put(hi);
        put(lo);
      }
    }
  }
  return parts.join("");
}

/**
 * A per-sample curve in [0, 1] over samples [from, to) inside a band of height h whose bottom is
 * at yBottom. As an area (closed to the bottom) or as a line. Points every `stepMm`.
 */
export function bandCurve(
  values: ArrayLike<number>,
  from: number,
  to: number,
  fs: number,
  geom: { x0: number; yBottom: number; h: number; mmPerS: number },
  kind: "area" | "line",
  scale = 1,
  stepMm = 0.25,
): string {
  const { x0, yBottom, h, mmPerS } = geom;
  const step = Math.max(1, Math.floor((stepMm / mmPerS) * fs));
  const pts: string[] = [];
  const xOf = (i: number) => fmt(x0 + ((i - from) / fs) * mmPerS);
  for (let i = from; i < to; i += step) {
    // Mean over the step, so a decimated band shows the same average as the full one.
    let s = 0;
    let n = 0;
    for (let j = i; j < Math.min(to, i + step); j++) {
      const v = Number(values[j]);
      if (Number.isFinite(v)) {
        s += v;
        n++;
      }
    }
    const v = n === 0 ? 0 : Math.max(0, Math.min(1, (s / n) * scale));
    pts.push(`${xOf(i)} ${fmt(yBottom - v * h)}`);
  }
  if (pts.length === 0) return "";
  if (kind === "line") return "M" + pts.join("L");
  return `M${xOf(from)} ${fmt(yBottom)}L${pts.join("L")}L${xOf(to)} ${pts[pts.length - 1].split(" ")[1]}L${xOf(to)} ${fmt(yBottom)}Z`;
}
