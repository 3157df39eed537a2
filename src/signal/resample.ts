/**
 * Anti-aliased polyphase resampling with the semantics of scipy.signal.resample_poly (default
 * Kaiser window, beta 5, zero padding): the rate changes by up/down after reduction by their gcd,
 * through a linear-phase FIR low-pass of 2 * 10 * max(up, down) + 1 taps cut at the lower Nyquist,
 * aligned so that output sample j sits exactly at input time j * down / up (zero phase), and the
 * output has ceil(n * up / down) samples.
 */

const filterCache = new Map<string, Float64Array>();

/** Zeroth-order modified Bessel function of the first kind (power series; converges fast). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Symmetric Kaiser window of `n` points (scipy get_window(("kaiser", beta), n, fftbins=False)). */
export function kaiser(n: number, beta: number): Float64Array {
  const w = new Float64Array(n);
  if (n === 1) {
    w[0] = 1;
    return w;
  }
  const denom = besselI0(beta);
  for (let i = 0; i < n; i++) {
    const r = (2 * i) / (n - 1) - 1;
    w[i] = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / denom;
  }
  return w;
}

/** Windowed-sinc low-pass with unit DC gain (scipy firwin(numtaps, cutoff, window=kaiser)). */
export function firwin(numtaps: number, cutoff: number, beta = 5): Float64Array {
  const w = kaiser(numtaps, beta);
  const alpha = (numtaps - 1) / 2;
  const h = new Float64Array(numtaps);
  let sum = 0;
  for (let i = 0; i < numtaps; i++) {
    const m = i - alpha;
    const arg = Math.PI * cutoff * m;
    h[i] = cutoff * (m === 0 ? 1 : Math.sin(arg) / arg) * w[i];
    sum += h[i];
  }
  for (let i = 0; i < numtaps; i++) h[i] /= sum;
  return h;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * The rational factor up/down closest to `to / from`, reduced. Integer rates give the exact
 * ratio; fractional rates are approximated by continued fractions with down <= maxDenominator.
 */
export function resampleFactors(from: number, to: number, maxDenominator = 1000): [number, number] {
  if (!(from > 0 && to > 0 && Number.isFinite(from) && Number.isFinite(to))) {
    throw new RangeError(`sampling rates must be positive and finite, got ${from} -> ${to}`);
  }
  if (Number.isInteger(from) && Number.isInteger(to)) {
    const g = gcd(to, from);
    return [to / g, from / g];
  }
  // Continued fraction of to/from.
  const ratio = to / from;
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let x = ratio;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(x);
    const h2 = a * h1 + h0;
    const k2 = a * k1 + k0;
    if (k2 > maxDenominator) break;
    [h0, h1, k0, k1] = [h1, h2, k1, k2];
    if (Math.abs(x - a) < 1e-12 || Math.abs(h1 / k1 - ratio) < 1e-12 * ratio) break;
    x = 1 / (x - a);
  }
  return [h1, k1];
}

/** Output length of resample_poly: ceil(n * up / down) after gcd reduction. */
export function resampledLength(n: number, up: number, down: number): number {
  const g = gcd(up, down);
  return Math.ceil((n * (up / g)) / (down / g));
}

function polyphaseFilter(up: number, down: number): Float64Array {
  const key = `${up}/${down}`;
  let h = filterCache.get(key);
  if (!h) {
    const maxRate = Math.max(up, down);
    h = firwin(2 * 10 * maxRate + 1, 1 / maxRate);
    for (let i = 0; i < h.length; i++) h[i] *= up;
    // a few rates recur; records of ever new odd rates must not grow the cache without end
    if (filterCache.size >= 16) filterCache.delete(filterCache.keys().next().value as string);
    filterCache.set(key, h);
  }
  return h;
}

/**
 * Resamples one channel by up/down (scipy resample_poly(x, up, down)); returns Float32Array of
 * ceil(n * up / down) samples. Computed in float64 directly as the polyphase sum, so only the
 * needed outputs of the upsample-filter-downsample chain are evaluated.
 */
export function resamplePoly(
  x: ArrayLike<number>,
  up: number,
  down: number,
  out?: Float32Array,
): Float32Array {
  const g = gcd(up, down);
  up /= g;
  down /= g;
  const n = x.length;
  const nOut = Math.ceil((n * up) / down);
  const y = out ?? new Float32Array(nOut);
  if (up === 1 && down === 1) {
    for (let i = 0; i < n; i++) y[i] = x[i];
    return y;
  }
  const h = polyphaseFilter(up, down);
  // One element type in the hot loop keeps it monomorphic (and exact in float64).
  const xd = x instanceof Float64Array ? x : Float64Array.from(x);
  const L = h.length;
  const halfLen = (L - 1) / 2;
  // scipy pads the filter with nPrePad zeros in front and drops the first nPreRemove outputs of
  // upfirdn so that output j is centred on upsampled sample j * down.
  const nPrePad = down - (halfLen % down);
  const nPreRemove = Math.floor((halfLen + nPrePad) / down);
  for (let j = 0; j < nOut; j++) {
    // upfirdn output k = j + nPreRemove is sum_i x[i] * hp[k * down - i * up], hp = padded h.
    const t = (j + nPreRemove) * down - nPrePad; // index into the unpadded h when i = 0
    let iMin = Math.ceil((t - (L - 1)) / up);
    if (iMin < 0) iMin = 0;
    let iMax = Math.floor(t / up);
    if (iMax > n - 1) iMax = n - 1;
    let acc = 0;
    for (let i = iMin, m = t - iMin * up; i <= iMax; i++, m -= up) acc += xd[i] * h[m];
    y[j] = acc;
  }
  return y;
}
