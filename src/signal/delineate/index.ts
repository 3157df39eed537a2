/**
 * ECG delineation: QRS detection on all leads, then P, QRS and T onset/peak/offset per lead with
 * the wavelet method of Martinez et al. (2004), then a multi-lead consensus per beat. The job
 * NeuroKit2's `ecg_delineate(method="dwt")` does, for any rate (every record is resampled to
 * WORK_FS = 500 Hz and all durations below are in seconds).
 */
import type { EcgRecord, Wave, WaveType } from "../../types.js";
import { consensus, type ConsensusOptions } from "./consensus.js";
import { delineateQrs, delineateSlowWave, type LeadWave } from "./lead.js";
import { detectQrs } from "./qrs-detect.js";
import { atrous, removeBaseline, resampleLead, suppressSpikes, WORK_FS } from "./wavelet.js";

/** Tunable constants; durations in seconds. Defaults follow Martinez et al. and physiology. */
export interface DelineationParams {
  qrsThreshold: number; // detector: fraction of the local reference (3rd largest peak in 10 s)
  qrsSearchback: number; // ... in gaps longer than 1.6 RR
  qrsPeakMode: number; // 0: zero crossing of the main slope pair, 1: largest |deflection|, 2: largest positive
  qrsSearch: number; // half-window around the detector's fiducial
  qrsReach: number; // farthest significant maximum before the main one
  qrsReachPost: number; // ... and after it
  qrsPre: number;
  qrsPost: number;
  qrsXiOn: number;
  qrsXiOff: number;
  qrsWalk: number;
  tStart: number; // T search starts this long after the QRS offset
  tEndFraction: number; // ... and ends at this fraction of RR after the fiducial
  tEndMin: number; // (at least this long after it)
  tThreshold: number; // of the lead's RMS at the P/T scale
  tXiOn: number;
  tXiOff: number;
  tWidth: number;
  tWalk: number;
  pStart: number; // P search starts this long before the QRS onset
  pEnd: number; // ... and ends this long before it
  pAfterT: number; // ... and not before the previous T offset, or this long after its peak
  pThreshold: number;
  pXiOn: number;
  pXiOff: number;
  pWidth: number;
  pWalk: number;
  /** a P wave is kept when its PR interval is within this of the record's median PR (s) ... */
  prTolerance: number;
  /** ... and the record has P waves only when this fraction of its beats have one */
  prMinFraction: number;
  /** RR is irregular when the median successive RR difference exceeds this fraction of RR ... */
  rrIrregular: number;
  /** ... and then P waves need a PR interquartile range below this (s) */
  prSpread: number;
  minLeadsFraction: number; // of the leads that must agree on a P or T wave
  peakTol: number;
  edgeTolQrs: number;
  edgeTolSlow: number;
  ownQrs: number;
  ownSlow: number;
}

export const DEFAULT_DELINEATION_PARAMS: DelineationParams = {
  qrsThreshold: 0.4,
  qrsSearchback: 0.25,
  qrsPeakMode: 1,
  qrsSearch: 0.12,
  qrsReach: 0.08,
  qrsReachPost: 0.12,
  qrsPre: 0.06,
  qrsPost: 0.09,
  qrsXiOn: 0.05,
  qrsXiOff: 0.125,
  qrsWalk: 0.06,
  tStart: 0.04,
  tEndFraction: 0.7,
  tEndMin: 0.45,
  tThreshold: 0.25,
  tXiOn: 0.38,
  tXiOff: 0.45,
  tWidth: 0.3,
  tWalk: 0.16,
  pStart: 0.3,
  pEnd: 0.01,
  pAfterT: 0.08,
  pThreshold: 0.1,
  pXiOn: 0.65,
  pXiOff: 0.9,
  pWidth: 0.14,
  pWalk: 0.08,
  prTolerance: 0.04,
  prMinFraction: 0.6,
  rrIrregular: 0.08,
  prSpread: 0.04,
  minLeadsFraction: 0.25,
  peakTol: 0.06,
  edgeTolQrs: 0.03,
  edgeTolSlow: 0.06,
  ownQrs: 0.5,
  ownSlow: 0.5,
};

export interface DelineateOptions {
  params?: Partial<DelineationParams>;
  /** return one consensus wave per beat (lead "all") instead of one per lead */
  consensusOnly?: boolean;
}

export interface Delineation {
  /** Waves in record samples, sorted by onset then lead order. */
  waves: Wave[];
  /** Why the result is empty or partial (flat line, noise, too short, no P waves...). */
  reason?: string;
}

const QRS_LEVEL = 3; // Martinez scale 2^2 at 250 Hz
const SLOW_LEVEL = 5; // Martinez scale 2^4

/** Sample of the largest deflection from the onset level in [a, b] (mode 2: largest upward one). */
function largestDeflection(x: Float32Array, a: number, b: number, mode: number): number {
  const base = x[a];
  let best = a;
  let top = -Infinity;
  for (let i = a; i <= b && i < x.length; i++) {
    const v = mode === 2 ? x[i] - base : Math.abs(x[i] - base);
    if (v > top) {
      top = v;
      best = i;
    }
  }
  return best;
}

function rms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length));
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

/** Delineates every lead of a record. Never throws on bad signals: returns a `reason` instead. */
export function delineate(record: EcgRecord, opts: DelineateOptions = {}): Delineation {
  const P = { ...DEFAULT_DELINEATION_PARAMS, ...opts.params };
  const { fs, samples, leads } = record;
  if (!(fs > 0) || samples < 2 || !leads.length) return { waves: [], reason: "empty record" };
  const s = (sec: number) => Math.round(sec * WORK_FS);
  const reasons: string[] = [];

  // 1. per lead: resample, remove non-finite values, pacing spikes and baseline, wavelet transform
  const xs: Float32Array[] = [];
  const wq: Float32Array[] = [];
  const ws: Float32Array[] = [];
  let spikes = 0;
  for (let l = 0; l < leads.length; l++) {
    const raw = record.signal.subarray(l * samples, (l + 1) * samples);
    const x = resampleLead(raw, fs, WORK_FS).slice();
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) x[i] = i > 0 ? x[i - 1] : 0;
    // below ~250 Hz a pacing spike cannot be told from a sharp R peak: leave the signal alone
    if (fs >= 250) spikes += suppressSpikes(x);
    removeBaseline(x, WORK_FS);
    const w = atrous(x, SLOW_LEVEL, [QRS_LEVEL, SLOW_LEVEL]);
    xs.push(x);
    wq.push(w[QRS_LEVEL - 1]);
    ws.push(w[SLOW_LEVEL - 1]);
  }
  if (spikes > 0) reasons.push(`${spikes} spike samples suppressed (pacing or artefact)`);
  const n = wq[0].length;

  // 2. beats
  const det = detectQrs(wq, WORK_FS, { threshold: P.qrsThreshold, searchback: P.qrsSearchback });
  if (!det.beats.length) return { waves: [], reason: det.reason ?? "no QRS complex found" };
  const beats = det.beats;
  const nb = beats.length;
  const rrs = beats.slice(1).map((b, i) => b - beats[i]);
  const medRR = rrs.length ? quantile(rrs, 0.5) : s(1);
  const L = leads.length;
  const minLeads = Math.max(1, Math.round(P.minLeadsFraction * L));
  const cons = (peakTol: number, edgeTol: number, own: number, min: number): ConsensusOptions => ({
    minLeads: min,
    peakTol: s(peakTol),
    edgeTol: s(edgeTol),
    own,
  });

  // 3. QRS per lead, then consensus
  const qrsP = {
    search: s(P.qrsSearch),
    reach: s(P.qrsReach),
    reachPost: s(P.qrsReachPost),
    pre: P.qrsPre,
    post: P.qrsPost,
    xiOn: P.qrsXiOn,
    xiOff: P.qrsXiOff,
    walk: s(P.qrsWalk),
  };
  const qrs = beats.map((c) => {
    const per = wq.map((w, l) => {
      const q = delineateQrs(w, c, qrsP);
      if (q && P.qrsPeakMode > 0)
        q.peak = largestDeflection(xs[l], q.onset, q.offset, P.qrsPeakMode);
      return q;
    });
    return consensus(per, cons(P.peakTol, P.edgeTolQrs, P.ownQrs, Math.max(1, minLeads)));
  });

  // 4. T waves between the QRS offset and the next beat
  const slowRms = ws.map(rms);
  const tP = { xiOn: P.tXiOn, xiOff: P.tXiOff, walk: s(P.tWalk), width: s(P.tWidth) };
  const tw = beats.map((c, k) => {
    const q = qrs[k].wave;
    if (!q) return null;
    const rr = k + 1 < nb ? beats[k + 1] - c : medRR;
    const a = q.offset + s(P.tStart);
    let b = c + Math.max(Math.round(P.tEndFraction * rr), s(P.tEndMin));
    const nextOn = k + 1 < nb ? qrs[k + 1].wave?.onset : undefined;
    if (nextOn !== undefined) b = Math.min(b, nextOn - s(0.04));
    b = Math.min(b, n - 2);
    if (b - a < s(0.08)) return null;
    const per = ws.map((w, l) =>
      delineateSlowWave(w, a, b, P.tThreshold * slowRms[l], tP, q.offset, b),
    );
    return consensus(per, cons(P.peakTol, P.edgeTolSlow, P.ownSlow, minLeads));
  });

  // 5. P waves before the QRS onset, after the previous T wave
  const pP = { xiOn: P.pXiOn, xiOff: P.pXiOff, walk: s(P.pWalk), width: s(P.pWidth) };
  let pw = beats.map((_, k) => {
    const q = qrs[k].wave;
    if (!q) return null;
    let a = q.onset - s(P.pStart);
    const prevT = k > 0 ? tw[k - 1]?.wave : undefined;
    // after the previous T wave, but its offset estimate may run late into the P wave at high
    // rates: trust it only up to pAfterT past the T peak
    if (prevT) a = Math.max(a, Math.min(prevT.offset, prevT.peak + s(P.pAfterT)));
    else if (k > 0 && qrs[k - 1].wave) a = Math.max(a, qrs[k - 1].wave!.offset + s(0.1));
    a = Math.max(a, 1);
    const b = q.onset - s(P.pEnd);
    if (b - a < s(0.06)) return null;
    const per = ws.map((w, l) =>
      delineateSlowWave(w, a, b, P.pThreshold * slowRms[l], pP, a, q.onset),
    );
    return consensus(per, cons(P.peakTol, P.edgeTolSlow, P.ownSlow, minLeads));
  });
  // atrial activity with no fixed PR interval (fibrillation, flutter) is not a P wave
  const pr: number[] = [];
  pw.forEach((c, k) => {
    if (c?.wave && qrs[k].wave) pr.push(qrs[k].wave!.onset - c.wave.peak);
  });
  // keep the P waves at the record's usual PR interval; when fewer than half the beats have one,
  // the record has no P waves
  const medPR = pr.length ? quantile(pr, 0.5) : 0;
  let kept = 0;
  pw = pw.map((c, k) => {
    const q = qrs[k].wave;
    if (!c?.wave || !q || Math.abs(q.onset - c.wave.peak - medPR) > s(P.prTolerance)) return null;
    kept++;
    return c;
  });
  // irregularly irregular RR with a scattered PR: atrial fibrillation's f waves, not P waves
  const drr = rrs.slice(1).map((r, i) => Math.abs(r - rrs[i]));
  const irregular = drr.length >= 2 && quantile(drr, 0.5) > P.rrIrregular * medRR;
  const scattered = pr.length >= 2 && quantile(pr, 0.75) - quantile(pr, 0.25) > s(P.prSpread);
  if (kept < P.prMinFraction * nb || (irregular && scattered)) {
    if (pr.length) reasons.push("no P waves with a consistent PR interval");
    pw = pw.map(() => null);
  }

  // 6. back to record samples
  const toSrc = (t: number) => Math.min(samples - 1, Math.max(0, Math.round((t * fs) / WORK_FS)));
  const waves: Wave[] = [];
  const emit = (
    type: WaveType,
    c: { wave: LeadWave | null; leads: (LeadWave | null)[] } | null,
  ) => {
    if (!c?.wave) return;
    const list = opts.consensusOnly
      ? [["all", c.wave] as const]
      : c.leads.map((w, l) => [leads[l], w] as const);
    for (const [lead, w] of list) {
      if (!w) continue;
      const onset = toSrc(w.onset);
      const offset = Math.max(onset, toSrc(w.offset));
      const peak = Math.min(offset, Math.max(onset, toSrc(w.peak)));
      waves.push({ lead, type, onset, peak, offset });
    }
  };
  for (let k = 0; k < nb; k++) {
    emit("P", pw[k]);
    emit("QRS", qrs[k]);
    emit("T", tw[k]);
  }
  if (det.reason) reasons.push(det.reason);
  return reasons.length ? { waves, reason: reasons.join("; ") } : { waves };
}
