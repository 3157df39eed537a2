/**
 * Per-lead delineation of one beat after Martinez et al. (2004): a wave is a pair of modulus maxima
 * of opposite sign in the wavelet transform (its two slopes) with a zero crossing between them (its
 * peak); its onset (offset) is where |W| falls below a fraction xi of the first (last) maximum, or
 * reaches a local minimum, before (after) it. All positions are samples at the working rate.
 */

/** A wave found in one lead, working-rate samples; amp is its |W| size (for the consensus). */
export interface LeadWave {
  onset: number;
  peak: number;
  offset: number;
  amp: number;
}

/** Indices of the local maxima of |w| in [a, b] with |w| >= thr. */
export function modulusMaxima(w: Float32Array, a: number, b: number, thr: number): number[] {
  const out: number[] = [];
  const lo = Math.max(1, a);
  const hi = Math.min(w.length - 2, b);
  for (let i = lo; i <= hi; i++) {
    const v = Math.abs(w[i]);
    if (v < thr || v < Math.abs(w[i - 1]) || v <= Math.abs(w[i + 1])) continue;
    // keep only extrema of the signed transform (not a shoulder of the other sign)
    if (w[i] > 0 ? w[i] >= w[i - 1] && w[i] >= w[i + 1] : w[i] <= w[i - 1] && w[i] <= w[i + 1]) {
      out.push(i);
    }
  }
  return out;
}

/** Zero crossing of w between a and b (the sample where the sign changes), or the |w| minimum. */
export function zeroCrossing(w: Float32Array, a: number, b: number): number {
  let best = a;
  for (let i = a; i < b; i++) {
    if ((w[i] >= 0 && w[i + 1] < 0) || (w[i] <= 0 && w[i + 1] > 0)) {
      return Math.abs(w[i]) <= Math.abs(w[i + 1]) ? i : i + 1;
    }
    if (Math.abs(w[i]) < Math.abs(w[best])) best = i;
  }
  return best;
}

/** Walks from `from` by `dir` until |w| < xi*|w[from]| or |w| has a local minimum; stops at limit. */
export function walkToBoundary(
  w: Float32Array,
  from: number,
  dir: -1 | 1,
  xi: number,
  limit: number,
): number {
  const level = xi * Math.abs(w[from]);
  let i = from;
  while (true) {
    const j = i + dir;
    if (dir < 0 ? j < limit : j > limit) return i;
    if (j < 0 || j >= w.length) return i;
    if (Math.abs(w[j]) < level) return j;
    if (Math.abs(w[j]) > Math.abs(w[i]) && i !== from) return i; // |w| local minimum
    i = j;
  }
}

export interface QrsParams {
  /** half-width of the search window around the beat fiducial, samples */
  search: number;
  /** farthest a significant maximum may be before / after the main one, samples (the terminal
   * part of a wide QRS, as in bundle branch block, lies farther from it than the initial part) */
  reach: number;
  reachPost: number;
  pre: number; // gamma_QRSpre
  post: number; // gamma_QRSpost
  xiOn: number;
  xiOff: number;
  /** how far the onset/offset walk may go beyond the first/last maximum, samples */
  walk: number;
}

/** QRS of one lead near fiducial `c`, on the QRS-scale transform w (Martinez 2^2). */
export function delineateQrs(w: Float32Array, c: number, p: QrsParams): LeadWave | null {
  const a = Math.max(1, c - p.search);
  const b = Math.min(w.length - 2, c + p.search);
  if (b <= a) return null;
  let m = a;
  for (let i = a; i <= b; i++) if (Math.abs(w[i]) > Math.abs(w[m])) m = i;
  const top = Math.abs(w[m]);
  if (!(top > 0)) return null;
  const maxima = modulusMaxima(w, m - p.reach, m + p.reachPost, Math.min(p.pre, p.post) * top);
  let first = m;
  let last = m;
  for (const i of maxima) {
    if (i < first && Math.abs(w[i]) >= p.pre * top) first = i;
    if (i > last && Math.abs(w[i]) >= p.post * top) last = i;
  }
  // the main wave: the opposite-sign maximum next to m with the larger modulus
  let partner = -1;
  for (const i of maxima) {
    if (Math.sign(w[i]) === Math.sign(w[m])) continue;
    if (partner < 0 || Math.abs(w[i]) > Math.abs(w[partner])) {
      if (Math.abs(i - m) <= p.reach / 2) partner = i;
    }
  }
  const peak =
    partner < 0 ? m : partner < m ? zeroCrossing(w, partner, m) : zeroCrossing(w, m, partner);
  const onset = walkToBoundary(w, first, -1, p.xiOn, first - p.walk);
  const offset = walkToBoundary(w, last, 1, p.xiOff, last + p.walk);
  return { onset, peak: Math.min(Math.max(peak, onset), offset), offset, amp: top };
}

export interface SlowWaveParams {
  xiOn: number;
  xiOff: number;
  walk: number;
  /** farthest the two slopes of the wave may be apart, samples */
  width: number;
}

/**
 * A P or T wave in [a, b] on the P/T-scale transform w (Martinez 2^4): the pair of opposite-sign
 * maxima with the largest combined modulus; the zero crossing between them is the peak. Returns
 * null when the largest maximum is below thr.
 */
export function delineateSlowWave(
  w: Float32Array,
  a: number,
  b: number,
  thr: number,
  p: SlowWaveParams,
  lo: number,
  hi: number,
): LeadWave | null {
  if (b - a < 3) return null;
  const maxima = modulusMaxima(w, a, b, 0);
  if (!maxima.length) return null;
  let best: [number, number] | null = null;
  let bestScore = 0;
  for (let i = 0; i < maxima.length; i++) {
    for (let j = i + 1; j < maxima.length && maxima[j] - maxima[i] <= p.width; j++) {
      const u = maxima[i];
      const v = maxima[j];
      if (Math.sign(w[u]) === Math.sign(w[v])) continue;
      const score =
        Math.min(Math.abs(w[u]), Math.abs(w[v])) + 0.5 * Math.max(Math.abs(w[u]), Math.abs(w[v]));
      if (score > bestScore) {
        bestScore = score;
        best = [u, v];
      }
    }
  }
  if (!best) return null;
  const [u, v] = best;
  const amp = Math.max(Math.abs(w[u]), Math.abs(w[v]));
  if (amp < thr) return null;
  const peak = zeroCrossing(w, u, v);
  const onset = walkToBoundary(w, u, -1, p.xiOn, Math.max(lo, u - p.walk));
  const offset = walkToBoundary(w, v, 1, p.xiOff, Math.min(hi, v + p.walk));
  return { onset, peak, offset, amp };
}
