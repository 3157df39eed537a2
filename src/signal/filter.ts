/**
 * Butterworth IIR design as second-order sections and zero-phase filtering, with the semantics of
 * scipy.signal: `butter(order, Wn, btype, fs=fs, output="sos")` and `sosfiltfilt(sos, x)` with its
 * default odd extension (padlen = 3 * (2 * sections + 1 - trailing zero coefficients)) and
 * steady-state initial conditions (`sosfilt_zi` scaled by the first sample of each pass).
 * Second-order sections rather than (b, a) because a 0.5 Hz corner at 500 Hz puts poles within
 * 1e-2 of the unit circle, where a transfer-function polynomial loses all precision.
 */

/** Second-order sections, 6 coefficients each: b0 b1 b2 a0 a1 a2 (a0 = 1). */
export type Sos = Float64Array;

type Complex = [number, number];
const cadd = (a: Complex, b: Complex): Complex => [a[0] + b[0], a[1] + b[1]];
const csub = (a: Complex, b: Complex): Complex => [a[0] - b[0], a[1] - b[1]];
const cmul = (a: Complex, b: Complex): Complex => [
  a[0] * b[0] - a[1] * b[1],
  a[0] * b[1] + a[1] * b[0],
];
const cdiv = (a: Complex, b: Complex): Complex => {
  const d = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
};
const cscale = (a: Complex, s: number): Complex => [a[0] * s, a[1] * s];
function csqrt(a: Complex): Complex {
  const r = Math.hypot(a[0], a[1]);
  const re = Math.sqrt((r + a[0]) / 2);
  const im = Math.sqrt(Math.max(0, (r - a[0]) / 2));
  return [re, a[1] < 0 ? -im : im];
}

export type FilterType = "lowpass" | "highpass" | "bandpass";

/**
 * Digital Butterworth filter as SOS, as scipy's `butter(order, cutoff, btype, fs=fs, output="sos")`.
 * `cutoff` is one frequency (low/high-pass) or [low, high] (band-pass) in Hz; a band-pass of
 * `order` N has 2N poles, as in scipy.
 */
export function butterSos(
  order: number,
  cutoff: number | [number, number],
  type: FilterType,
  fs: number,
): Sos {
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`filter order must be >= 1`);
  const freqs = typeof cutoff === "number" ? [cutoff] : cutoff;
  for (const f of freqs) {
    if (!(f > 0 && f < fs / 2)) {
      throw new RangeError(`cutoff ${f} Hz must lie strictly between 0 and fs/2 = ${fs / 2} Hz`);
    }
  }
  // Analog prototype poles on the left unit half-circle, no zeros, gain 1 (scipy buttap).
  const proto: Complex[] = [];
  for (let m = -order + 1; m < order; m += 2) {
    const th = (Math.PI * m) / (2 * order);
    proto.push([-Math.cos(th), -Math.sin(th)]);
  }
  // Pre-warp so the digital corners land exactly on the requested frequencies.
  const fs2 = 2 * fs;
  const warp = (f: number) => fs2 * Math.tan((Math.PI * f) / fs);
  let zeros: Complex[] = [];
  let poles: Complex[];
  let gain: number;
  if (type === "lowpass") {
    const wo = warp(freqs[0]);
    poles = proto.map((p) => cscale(p, wo));
    gain = wo ** order;
  } else if (type === "highpass") {
    const wo = warp(freqs[0]);
    poles = proto.map((p) => cdiv([wo, 0], p));
    zeros = proto.map((): Complex => [0, 0]);
    gain = 1; // prod(-p) = 1 for a Butterworth prototype
  } else {
    if (freqs.length !== 2 || !(freqs[0] < freqs[1])) {
      throw new RangeError(`a band-pass needs [low, high] with low < high`);
    }
    const w1 = warp(freqs[0]);
    const w2 = warp(freqs[1]);
    const bw = w2 - w1;
    const wo2 = w1 * w2;
    poles = [];
    const lower: Complex[] = [];
    for (const p of proto) {
      const pl = cscale(p, bw / 2);
      const d = csqrt(csub(cmul(pl, pl), [wo2, 0]));
      poles.push(cadd(pl, d));
      lower.push(csub(pl, d));
    }
    poles.push(...lower);
    zeros = proto.map((): Complex => [0, 0]);
    gain = bw ** order;
  }
  // Bilinear transform; the missing zeros go to z = -1 (Nyquist).
  let num: Complex = [1, 0];
  let den: Complex = [1, 0];
  for (const z of zeros) num = cmul(num, csub([fs2, 0], z));
  for (const p of poles) den = cmul(den, csub([fs2, 0], p));
  const k = gain * cdiv(num, den)[0];
  const zd = zeros.map((z) => cdiv(cadd([fs2, 0], z), csub([fs2, 0], z))[0]);
  while (zd.length < poles.length) zd.push(-1);
  const pd = poles.map((p) => cdiv(cadd([fs2, 0], p), csub([fs2, 0], p)));
  return pairSections(zd, pd, k);
}

/** Groups real zeros and conjugate pole pairs into sections; the overall gain goes in section 0. */
function pairSections(zeros: number[], poles: Complex[], k: number): Sos {
  const complexPoles = poles.filter((p) => p[1] > 1e-12);
  const realPoles = poles.filter((p) => Math.abs(p[1]) <= 1e-12).map((p) => p[0]);
  const dens: number[][] = complexPoles.map((p) => [1, -2 * p[0], p[0] * p[0] + p[1] * p[1]]);
  for (let i = 0; i + 1 < realPoles.length; i += 2) {
    const [a, b] = [realPoles[i], realPoles[i + 1]];
    dens.push([1, -(a + b), a * b]);
  }
  if (realPoles.length % 2 === 1) dens.push([1, -realPoles[realPoles.length - 1], 0]);
  // Order zeros so that each second-order section gets two (one +1 and one -1 for a band-pass).
  const zs = [...zeros].sort((a, b) => a - b);
  const interleaved: number[] = [];
  for (let lo = 0, hi = zs.length - 1; lo <= hi; lo++, hi--) {
    interleaved.push(zs[lo]);
    if (hi !== lo) interleaved.push(zs[hi]);
  }
  const sos = new Float64Array(dens.length * 6);
  let zi = 0;
  dens.forEach((a, s) => {
    let b: number[];
    if (a[2] === 0 && zi === interleaved.length - 1) {
      b = [1, -interleaved[zi++], 0];
    } else {
      const z1 = interleaved[zi++];
      const z2 = interleaved[zi++];
      b = [1, -(z1 + z2), z1 * z2];
    }
    const g = s === 0 ? k : 1;
    sos.set([b[0] * g, b[1] * g, b[2] * g, a[0], a[1], a[2]], s * 6);
  });
  return sos;
}

/** Complex frequency response magnitude |H(f)| of an SOS filter (scipy sosfreqz, one point). */
export function sosGain(sos: Sos, f: number, fs: number): number {
  const w = (2 * Math.PI * f) / fs;
  const z1: Complex = [Math.cos(-w), Math.sin(-w)];
  const z2 = cmul(z1, z1);
  let h: Complex = [1, 0];
  for (let s = 0; s < sos.length; s += 6) {
    const num = cadd(cadd([sos[s], 0], cscale(z1, sos[s + 1])), cscale(z2, sos[s + 2]));
    const den = cadd(cadd([sos[s + 3], 0], cscale(z1, sos[s + 4])), cscale(z2, sos[s + 5]));
    h = cmul(h, cdiv(num, den));
  }
  return Math.hypot(h[0], h[1]);
}

/** Steady-state initial conditions of each section for a unit step (scipy sosfilt_zi). */
export function sosfiltZi(sos: Sos): Float64Array {
  const n = sos.length / 6;
  const zi = new Float64Array(n * 2);
  let scale = 1;
  for (let s = 0; s < n; s++) {
    const [b0, b1, b2, , a1, a2] = sos.subarray(s * 6, s * 6 + 6);
    // lfilter_zi for order 2: solve (I - companion(a)^T) zi = b[1:] - a[1:] * b0.
    const r0 = b1 - a1 * b0;
    const r1 = b2 - a2 * b0;
    // [[1 + a1, -1], [a2, 1]] zi = [r0, r1]
    const det = 1 + a1 + a2;
    zi[2 * s] = (scale * (r0 + r1)) / det;
    zi[2 * s + 1] = (scale * ((1 + a1) * r1 - a2 * r0)) / det;
    scale *= (b0 + b1 + b2) / (1 + a1 + a2);
  }
  return zi;
}

/** In-place causal filtering (direct form II transposed), states in `z` updated (scipy sosfilt). */
export function sosfiltInPlace(sos: Sos, x: Float64Array, z: Float64Array): void {
  const n = sos.length / 6;
  for (let s = 0; s < n; s++) {
    const o = s * 6;
    const b0 = sos[o];
    const b1 = sos[o + 1];
    const b2 = sos[o + 2];
    const a1 = sos[o + 4];
    const a2 = sos[o + 5];
    let z0 = z[2 * s];
    let z1 = z[2 * s + 1];
    for (let i = 0; i < x.length; i++) {
      const xi = x[i];
      const y = b0 * xi + z0;
      z0 = b1 * xi - a1 * y + z1;
      z1 = b2 * xi - a2 * y;
      x[i] = y;
    }
    z[2 * s] = z0;
    z[2 * s + 1] = z1;
  }
}

/** scipy's default sosfiltfilt pad length for these sections. */
export function sosPadlen(sos: Sos): number {
  const n = sos.length / 6;
  let zb = 0;
  let za = 0;
  for (let s = 0; s < n; s++) {
    if (sos[s * 6 + 2] === 0) zb++;
    if (sos[s * 6 + 5] === 0) za++;
  }
  return 3 * (2 * n + 1 - Math.min(zb, za));
}

/**
 * Zero-phase filtering of one channel (scipy sosfiltfilt, padtype "odd"). scipy refuses signals
 * not longer than the pad length; here the pad shrinks to length - 1 instead, so that short
 * records still filter (the edges are then less well conditioned, never wrong in the middle).
 */
export function sosfiltfilt(sos: Sos, x: ArrayLike<number>, out?: Float32Array): Float32Array {
  const n = x.length;
  const result = out ?? new Float32Array(n);
  if (n === 0) return result;
  const edge = Math.min(sosPadlen(sos), n - 1);
  const ext = new Float64Array(n + 2 * edge);
  const x0 = x[0];
  const xl = x[n - 1];
  for (let i = 0; i < edge; i++) ext[i] = 2 * x0 - x[edge - i];
  for (let i = 0; i < n; i++) ext[edge + i] = x[i];
  for (let i = 0; i < edge; i++) ext[edge + n + i] = 2 * xl - x[n - 2 - i];
  const zi = sosfiltZi(sos);
  const z = new Float64Array(zi.length);
  for (let i = 0; i < z.length; i++) z[i] = zi[i] * ext[0];
  sosfiltInPlace(sos, ext, z);
  ext.reverse();
  for (let i = 0; i < z.length; i++) z[i] = zi[i] * ext[0];
  sosfiltInPlace(sos, ext, z);
  ext.reverse();
  for (let i = 0; i < n; i++) result[i] = ext[edge + i];
  return result;
}
