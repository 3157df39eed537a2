/**
 * Filters of the delineator: resampling to the working rate, pacing-spike suppression, and the
 * quadratic-spline wavelet transform "à trous" of Martinez et al. (2004), IEEE TBME 51(4).
 *
 * Martinez designed the scales 2^1..2^5 for 250 Hz. The delineator works at 500 Hz (WORK_FS), so
 * their scale 2^k is our level k+1: the same band in Hz whatever the record's own rate.
 */

/** Working sampling rate of the delineator, Hz. Every record is resampled to it. */
export const WORK_FS = 500;

/**
 * Resamples one lead to `toFs` by linear interpolation. When decimating, a boxcar of one output
 * period first removes what would alias (ECG power above ~100 Hz is negligible, so this is enough).
 */
export function resampleLead(x: Float32Array, fromFs: number, toFs: number): Float32Array {
  if (fromFs === toFs) return x;
  let src = x;
  const box = 2 * Math.floor(fromFs / toFs / 2) + 1; // odd: centred, no shift
  if (box >= 3) {
    src = new Float32Array(x.length);
    const half = box >> 1;
    let acc = 0;
    // running sum over [i - half, i - half + box)
    const at = (i: number) => x[Math.min(x.length - 1, Math.max(0, i))];
    for (let j = -half; j < box - half; j++) acc += at(j);
    for (let i = 0; i < x.length; i++) {
      src[i] = acc / box;
      acc += at(i - half + box) - at(i - half);
    }
  }
  const n = Math.max(1, Math.floor(((x.length - 1) * toFs) / fromFs) + 1);
  const out = new Float32Array(n);
  const ratio = fromFs / toFs;
  for (let i = 0; i < n; i++) {
    const t = i * ratio;
    const k = Math.floor(t);
    const f = t - k;
    out[i] = k + 1 < src.length ? src[k] * (1 - f) + src[k + 1] * f : src[src.length - 1];
  }
  return out;
}

/**
 * Replaces pacemaker spikes (a few ms wide, far sharper than any QRS) by a straight line, so that
 * they neither trigger the QRS detector nor distort the wavelet maxima. Returns how many samples
 * were flagged. Works at WORK_FS: the residual against the mean of the samples 6 ms either side is
 * small at an R peak (15-40 ms wide) and as large as the spike itself on a 1-2 ms spike.
 */
export function suppressSpikes(x: Float32Array): number {
  const n = x.length;
  const d = 3;
  if (n < 4 * d) return 0;
  const res = new Float32Array(n);
  for (let i = d; i < n - d; i++) res[i] = Math.abs(x[i] - 0.5 * (x[i - d] + x[i + d]));
  // median of every 8th residual: the typical level at a fraction of a full sort's cost
  const sub = new Float32Array(Math.ceil(n / 8));
  for (let i = 0; i < sub.length; i++) sub[i] = res[i * 8];
  const typical = sub.sort()[sub.length >> 1];
  // a spike stands out by far more than noise and by at least 1 mV
  const limit = Math.max(1, 40 * typical);
  let count = 0;
  for (let i = d; i < n - d; i++) {
    if (res[i] <= limit) continue;
    let j = i;
    while (j + 1 < n - d && res[j + 1] > limit) j++;
    // bridge the run and its recovery tail with a straight line
    const a = Math.max(0, i - 2 * d);
    const b = Math.min(n - 1, j + 2 * d);
    for (let k = a + 1; k < b; k++) x[k] = x[a] + ((x[b] - x[a]) * (k - a)) / (b - a);
    count += j - i + 1;
    i = b;
  }
  return count;
}

/**
 * Quadratic-spline wavelet transform à trous. Returns `levels` arrays W_1..W_levels (index 0 is
 * level 1), each aligned on the input: W_k[n] is the smoothed derivative at sample n (the filters'
 * group delay of 2^k - 1.5 samples is compensated to within half a sample). Boundaries are mirrored.
 * Lowpass h = [1, 3, 3, 1] / 8, highpass g = [2, -2], both dilated by 2^(k-1) at level k.
 * With `keep`, only those levels are filled (the others are empty arrays).
 */
export function atrous(x: Float32Array, levels: number, keep?: number[]): Float32Array[] {
  const n = x.length;
  let support = 0;
  for (let k = 1; k <= levels; k++) support += 3 * (1 << (k - 1));
  const pad = support + 2;
  const len = n + 2 * pad;
  let a = new Float32Array(len);
  a.set(x, pad);
  const period = 2 * Math.max(1, n - 1);
  const mirror = (j: number) => {
    // repeatedly, for records shorter than the pad
    j = ((j % period) + period) % period;
    return j >= n ? period - j : j;
  };
  for (let i = 0; i < pad; i++) {
    a[i] = x[Math.min(n - 1, mirror(i - pad))];
    a[len - 1 - i] = x[Math.min(n - 1, mirror(n + pad - 1 - i))];
  }
  const out: Float32Array[] = [];
  for (let k = 1; k <= levels; k++) {
    const s = 1 << (k - 1);
    const wanted = !keep || keep.includes(k);
    const w = new Float32Array(wanted ? n : 0);
    const delay = (1 << k) - 1; // round-down of 2^k - 1.5
    // W_k[n] = g_k * a_{k-1}, read at n + delay (through the accumulated lowpass delays)
    for (let i = 0; i < w.length; i++) {
      const p = i + pad + delay;
      w[i] = 2 * (a[p] - a[p - s]);
    }
    out.push(w);
    if (k < levels) {
      const next = new Float32Array(len);
      for (let i = 3 * s; i < len; i++) {
        next[i] = (a[i] + 3 * a[i - s] + 3 * a[i - 2 * s] + a[i - 3 * s]) / 8;
      }
      a = next;
    }
  }
  return out;
}

/** Moving average over `width` samples centred on each sample (edges use the available part). */
export function movingAverage(x: Float32Array, width: number): Float32Array {
  const n = x.length;
  const out = new Float32Array(n);
  const half = Math.max(0, Math.floor(width / 2));
  let acc = 0;
  let lo = 0;
  let hi = -1;
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - half);
    const b = Math.min(n - 1, i + half);
    while (hi < b) acc += x[++hi];
    while (lo < a) acc -= x[lo++];
    out[i] = acc / (b - a + 1);
  }
  return out;
}

/** Running median over `width` samples (truncated at the edges), kept in a sorted window. */
function runningMedian(x: Float32Array, width: number): Float32Array {
  const n = x.length;
  const half = width >> 1;
  const out = new Float32Array(n);
  const win = new Float64Array(2 * half + 1);
  let size = 0;
  const insert = (v: number) => {
    let i = size++;
    while (i > 0 && win[i - 1] > v) win[i] = win[--i];
    win[i] = v;
  };
  const remove = (v: number) => {
    let i = 0;
    while (i < size - 1 && win[i] !== v) i++;
    for (size--; i < size; i++) win[i] = win[i + 1];
  };
  for (let j = 0; j < Math.min(n, half); j++) insert(x[j]);
  for (let i = 0; i < n; i++) {
    if (i - half - 1 >= 0) remove(x[i - half - 1]);
    if (i + half < n) insert(x[i + half]);
    out[i] = win[size >> 1];
  }
  return out;
}

/**
 * Subtracts the baseline (wander, electrode drift) estimated by two median filters of 200 ms and
 * 600 ms (de Chazal et al. 2004): the first removes the QRS and P, the second the T wave, what is
 * left is the baseline. Computed at 50 Hz (the baseline has nothing faster) and interpolated back,
 * so it costs a fraction of the wavelet transform.
 */
export function removeBaseline(x: Float32Array, fs: number): void {
  const step = Math.max(1, Math.round(fs / 50));
  const m = Math.ceil(x.length / step);
  if (m < 3) return;
  const low = new Float32Array(m);
  for (let k = 0; k < m; k++) {
    let s = 0;
    let c = 0;
    for (let i = k * step; i < Math.min(x.length, (k + 1) * step); i++, c++) s += x[i];
    low[k] = s / c;
  }
  const rate = fs / step;
  // point-symmetric extension keeps a drifting baseline's slope at the edges, where a
  // truncated median window would otherwise lag behind it
  const e = Math.min(m - 1, Math.ceil(0.4 * rate));
  const ext = new Float32Array(m + 2 * e);
  ext.set(low, e);
  for (let k = 1; k <= e; k++) {
    ext[e - k] = 2 * low[0] - low[k];
    ext[e + m - 1 + k] = 2 * low[m - 1] - low[m - 1 - k];
  }
  const w1 = Math.round(0.2 * rate) | 1;
  const w2 = Math.round(0.6 * rate) | 1;
  // the medians jump from one sample to another; smoothing them (twice 300 ms) keeps those steps
  // from looking like slopes to the wavelet transform
  const w3 = Math.round(0.3 * rate) | 1;
  const med = runningMedian(runningMedian(ext, w1), w2);
  const base = movingAverage(movingAverage(med, w3), w3).subarray(e, e + m);
  for (let i = 0; i < x.length; i++) {
    // block k holds the mean over [k*step, (k+1)*step): its centre is (k + 0.5) * step - 0.5
    const t = (i + 0.5) / step - 0.5;
    const k = Math.min(m - 1, Math.max(0, Math.floor(t)));
    const f = Math.min(1, Math.max(0, t - k));
    const b = k + 1 < m ? base[k] * (1 - f) + base[k + 1] * f : base[k];
    x[i] -= b;
  }
}
