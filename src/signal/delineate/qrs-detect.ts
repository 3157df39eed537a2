/**
 * Multi-lead QRS detection on a wavelet energy envelope, in the manner of Pan & Tompkins (1985)
 * with search-back, but with a locally robust reference level instead of running averages so that
 * a 10 s record needs no learning period. All durations are in seconds (rate-independent).
 */
import { movingAverage } from "./wavelet.js";

export interface QrsDetection {
  /** Beat fiducials (centre of QRS energy), samples at the working rate. */
  beats: number[];
  /** Envelope height of each beat. */
  heights: number[];
  /** Why nothing (or less than the whole record) was detected. */
  reason?: string;
}

/** Physiological constants of the detector, seconds. */
const INTEGRATION = 0.1; // QRS energy window (~ QRS duration)
const REFRACTORY = 0.25; // no two QRS closer (240 bpm)
const T_WINDOW = 0.36; // a small candidate this soon after a QRS is taken for its T wave
const REF_WINDOW = 5; // reference level from the peaks within +- 5 s
const SEARCHBACK_RR = 1.6; // look again in gaps longer than 1.6 median RR

/**
 * Detects QRS complexes from the per-lead wavelet coefficients at the QRS scale (Martinez 2^2,
 * ~20-30 Hz): envelope = moving average of sum over leads of |W|.
 */
export function detectQrs(
  wq: Float32Array[],
  fs: number,
  opts: { threshold?: number; searchback?: number } = {},
): QrsDetection {
  // accept a candidate at this fraction of the local reference; in search-back, at the lower one
  const THRESHOLD = opts.threshold ?? 0.3;
  const SEARCHBACK_THRESHOLD = opts.searchback ?? 0.15;
  const n = wq.length ? wq[0].length : 0;
  if (n < fs * 0.5) return { beats: [], heights: [], reason: "record shorter than 0.5 s" };
  const sum = new Float32Array(n);
  for (const w of wq) for (let i = 0; i < n; i++) sum[i] += Math.abs(w[i]);
  const env = movingAverage(sum, Math.round(INTEGRATION * fs));
  let maxEnv = 0;
  for (let i = 0; i < n; i++) if (env[i] > maxEnv) maxEnv = env[i];
  if (!(maxEnv > 1e-6)) return { beats: [], heights: [], reason: "flat signal: no QRS complex" };

  // candidates: local maxima that dominate +- half the refractory period
  const half = Math.round((REFRACTORY / 2) * fs);
  const cand: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    if (env[i] <= env[i - 1] || env[i] < env[i + 1]) continue;
    let top = true;
    for (let j = Math.max(0, i - half); j <= Math.min(n - 1, i + half) && top; j++) {
      if (env[j] > env[i]) top = false;
    }
    if (top) cand.push(i);
  }
  if (!cand.length) return { beats: [], heights: [], reason: "no QRS complex found" };

  // local reference: k-th largest candidate within +- REF_WINDOW (robust to 1-2 big artefacts)
  // (candidates are in time order: a sliding window keeps this linear in the record's length)
  let lo = 0;
  let hi = 0;
  const ref = cand.map((c) => {
    while (cand[lo] < c - REF_WINDOW * fs) lo++;
    while (hi < cand.length && cand[hi] <= c + REF_WINDOW * fs) hi++;
    const hs: number[] = [];
    for (let j = lo; j < hi; j++) hs.push(env[cand[j]]);
    hs.sort((a, b) => b - a);
    const k = Math.min(3, Math.ceil(hs.length / 4));
    return hs[Math.max(0, k - 1)];
  });

  const refr = Math.round(REFRACTORY * fs);
  const accept = (order: number[], thr: number, taken: number[]) => {
    // taken beats by refractory-wide bucket: a conflict can only sit in this or a neighbour bucket
    const buckets = new Map<number, number[]>();
    for (const idx of order) {
      const c = cand[idx];
      if (env[c] < thr * ref[idx]) continue;
      const k = Math.floor(c / refr);
      let clash = false;
      for (let j = k - 1; j <= k + 1 && !clash; j++) {
        for (const t of buckets.get(j) ?? []) if (Math.abs(t - c) < refr) clash = true;
      }
      if (clash) continue;
      taken.push(c);
      const list = buckets.get(k);
      if (list) list.push(c);
      else buckets.set(k, [c]);
    }
    return taken.sort((a, b) => a - b);
  };
  const byHeight = cand.map((_, i) => i).sort((a, b) => env[cand[b]] - env[cand[a]]);
  let beats = accept(byHeight, THRESHOLD, []);

  // T-wave rule: a small complex soon after a big one is its T wave
  const tw = Math.round(T_WINDOW * fs);
  beats = beats.filter(
    (b, i) => !(i > 0 && b - beats[i - 1] < tw && env[b] < 0.4 * env[beats[i - 1]]),
  );

  // search-back in long gaps with a lower threshold
  if (beats.length >= 2) {
    const rr = beats.slice(1).map((b, i) => b - beats[i]);
    const med = rr.sort((a, b) => a - b)[rr.length >> 1];
    const extra: number[] = [];
    const bounds = [-Infinity, ...beats, Infinity];
    let first = 0;
    for (let g = 0; g + 1 < bounds.length; g++) {
      const lo = bounds[g];
      const hi = bounds[g + 1];
      const gap = Math.min(hi, n) - Math.max(lo, 0);
      if (gap < SEARCHBACK_RR * med) continue;
      let best = -1;
      while (first < cand.length && cand[first] < lo) first++; // gaps come in time order
      for (let i = first; i < cand.length && cand[i] < hi; i++) {
        const c = cand[i];
        if (c - lo < tw || hi - c < refr) continue;
        if (env[c] < SEARCHBACK_THRESHOLD * ref[i]) continue;
        if (best < 0 || env[c] > env[cand[best]]) best = i;
      }
      if (best >= 0) extra.push(cand[best]);
    }
    beats = [...beats, ...extra].sort((a, b) => a - b);
  }

  // Quality: QRS peaks must stand far above the envelope's typical level, else this is noise.
  const sub = new Float32Array(Math.ceil(n / 4));
  for (let i = 0; i < sub.length; i++) sub[i] = env[i * 4];
  const typical = sub.sort()[sub.length >> 1]; // median of every 4th sample: enough here
  const heights = beats.map((b) => env[b]);
  const hs = [...heights].sort((a, b) => a - b);
  const medH = hs[hs.length >> 1];
  if (!(medH > 3 * typical)) {
    return { beats: [], heights: [], reason: "no clear QRS complexes (noise or no ECG)" };
  }
  return { beats, heights };
}
