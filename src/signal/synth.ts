/**
 * Synthetic 12-lead ECGs with exact ground truth: the embedded default dataset of ecg-tlc.
 *
 * Model: each beat is a sum of Gaussian-shaped components (P; q, R, s and extra QRS deflections;
 * T; an optional ST shift), each with its own time, left/right widths and a 3-D heart vector
 * (x = left, y = inferior, z = anterior). A lead sees the projection of every vector on its lead
 * axis (Einthoven/Goldberger limb leads derived from I and II, precordial leads in the horizontal
 * plane) times a per-record electrode gain. Classes change the vectors and widths in the ways the
 * PTB-XL super-classes differ: NORM; CD (wide, notched QRS); STTC (ST depression, flat or inverted
 * T); MI (pathological Q waves in the leads facing the infarct); HYP (high QRS voltage). Then
 * heart-rate variability, baseline wander, white noise and (fs >= 200 Hz) mains hum are added.
 *
 * Ground truth, per beat and lead, is computed on the noise-free sum w(i) of the components of one
 * wave (P, QRS or T) at the sample times i / fs: peak = argmax |w(i)| (the largest deflection,
 * e.g. S in V1), onset/offset = first/last sample with |w(i)| >= WAVE_THRESHOLD * |w(peak)|.
 * Waves whose onset or offset would fall outside the record are not listed.
 */
import { STANDARD_LEADS, type EcgRecord, type Wave, type WaveType } from "../types.js";
import { Random } from "./random.js";

/** Fraction of a wave's peak deflection that defines its onset and offset (see module comment). */
export const WAVE_THRESHOLD = 0.05;

/** The PTB-XL diagnostic super-classes the generator draws. */
export const SYNTH_CLASSES = ["NORM", "MI", "STTC", "CD", "HYP"] as const;
export type SynthClass = (typeof SYNTH_CLASSES)[number];

export interface SyntheticEcg {
  /** 12 standard leads, mV. */
  record: EcgRecord;
  /** Ground truth of every complete wave, all leads, sorted by lead then onset. */
  waves: Wave[];
  /** Super-classes, e.g. ["NORM"] or ["MI", "STTC"]. */
  labels: SynthClass[];
  /** PTB-XL SCP statements with likelihoods, e.g. { IMI: 100, SR: 0 }. */
  scpCodes: Record<string, number>;
  age: number;
  sex: "M" | "F";
  /** Time of each beat's R component, seconds (beats may start before 0). */
  beatTimes: number[];
}

export interface SynthOptions {
  /** Number of records. */
  n: number;
  seed: number;
  /** Sampling rate, Hz (default 100, PTB-XL's low rate). */
  fs?: number;
  /** Duration, s (default 10). */
  seconds?: number;
  /** Add baseline wander, white noise and mains hum (default true). */
  noise?: boolean;
  /** Index of the first record (records depend only on seed and index). */
  first?: number;
  /** Render only these component groups (for tests of the ground truth); default all. */
  components?: readonly SynthGroup[];
}

/**
 * What a caller may fix instead of drawing (the CODE-15% layout draws its own labels and maps
 * them onto these): the super-classes, which bundle branch a CD record blocks, the heart-rate
 * range, a PR prolongation (first-degree AV block) and atrial fibrillation (no P waves,
 * irregular RR, fibrillatory baseline waves).
 */
export interface SynthOverrides {
  labels?: SynthClass[];
  bundle?: "R" | "L";
  /** Heart rate drawn uniformly in [lo, hi), bpm. */
  heartRate?: [number, number];
  /** Seconds added to the PR interval. */
  prExtra?: number;
  atrialFibrillation?: boolean;
}

type Vec3 = [number, number, number];
/** Component groups: the three annotated waves and the (unannotated) ST shift. */
export type SynthGroup = WaveType | "ST";
type Group = SynthGroup;

/** One Gaussian-like deflection; `sl`/`sr` are the widths (s) left and right of `t`. */
interface Component {
  group: Group;
  beat: number;
  t: number;
  sl: number;
  sr: number;
  /** mV per lead after projection and electrode gain. */
  amp: Float64Array;
}

const DEG = Math.PI / 180;
const PRECORDIAL_ANGLES = [115, 94, 77, 61, 40, 0]; // V1..V6 in the horizontal plane, from left
/** Lead axes in (left, inferior, anterior) coordinates, in STANDARD_LEADS order. */
const LEAD_AXES: Vec3[] = [
  [1, 0, 0], // I
  [0.5, Math.sqrt(3) / 2, 0], // II
  [-0.5, Math.sqrt(3) / 2, 0], // III = II - I
  [-0.75, -Math.sqrt(3) / 4, 0], // aVR = -(I + II) / 2
  [0.75, -Math.sqrt(3) / 4, 0], // aVL = I - II / 2
  [0, Math.sqrt(3) / 2, 0], // aVF = II - I / 2
  ...PRECORDIAL_ANGLES.map((a): Vec3 => [Math.cos(a * DEG), 0.1, Math.sin(a * DEG)]),
];
/** Chest electrodes sit closer to the heart than the limbs: larger deflections. */
const LEAD_GAIN = [1, 1, 1, 1, 1, 1, 1.4, 1.8, 1.8, 1.6, 1.3, 1.1];

const unit = (v: Vec3): Vec3 => {
  const n = Math.hypot(...v) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
};

/** Per-record randomness of the heart's orientation and of electrode placement. */
interface Anatomy {
  rotate: (v: Vec3) => Vec3;
  gains: number[];
}

function anatomy(rng: Random): Anatomy {
  // Small rotations about the antero-posterior axis (electrical axis) and the vertical axis.
  const a = rng.normal(0, 15) * DEG;
  const b = rng.normal(0, 10) * DEG;
  const [ca, sa, cb, sb] = [Math.cos(a), Math.sin(a), Math.cos(b), Math.sin(b)];
  const rotate = ([x, y, z]: Vec3): Vec3 => {
    const x1 = ca * x - sa * y;
    const y1 = sa * x + ca * y;
    return [cb * x1 + sb * z, y1, -sb * x1 + cb * z];
  };
  const gains = LEAD_GAIN.map((g) => g * Math.exp(rng.normal(0, 0.1)));
  return { rotate, gains };
}

function project(v: Vec3, scale: number, an: Anatomy): Float64Array {
  const r = an.rotate(v);
  return Float64Array.from(
    LEAD_AXES,
    (ax, l) => scale * an.gains[l] * (ax[0] * r[0] + ax[1] * r[1] + ax[2] * r[2]),
  );
}

/** Morphology of one record: every component relative to its beat's R time, per unit RR. */
interface Morphology {
  labels: SynthClass[];
  scpCodes: Record<string, number>;
  /** Components of one beat; T-wave times and widths scale with sqrt(RR) (Bazett). */
  beat(rr: number): Omit<Component, "beat">[];
}

function drawLabels(rng: Random): SynthClass[] {
  if (rng.chance(0.4)) return ["NORM"];
  const pathologic: SynthClass[] = ["MI", "STTC", "CD", "HYP"];
  const first = rng.pick(pathologic);
  if (!rng.chance(0.2)) return [first];
  const second = rng.pick(pathologic.filter((c) => c !== first));
  return SYNTH_CLASSES.filter((c) => c === first || c === second);
}

function morphology(
  rng: Random,
  labels: SynthClass[],
  age: number,
  sex: "M" | "F",
  o: SynthOverrides = {},
): Morphology {
  const an = anatomy(rng);
  const has = (c: SynthClass) => labels.includes(c);
  const scpCodes: Record<string, number> = {};
  // Age and sex shift voltages and intervals a little, so that age is learnable (CODE-15% task).
  const ageF = (age - 50) / 40;
  const volt = (sex === "F" ? 0.88 : 1) * (1 - 0.15 * ageF) * Math.exp(rng.normal(0, 0.12));
  const pr = 0.155 + 0.02 * ageF + rng.normal(0, 0.01) + (o.prExtra ?? 0);
  const pAmp = (o.atrialFibrillation ? 0 : 0.15) * Math.exp(rng.normal(0, 0.15));
  const rAmp = 1.1 * volt;
  const tAmp = 0.3 * volt * (1 - 0.1 * ageF) * Math.exp(rng.normal(0, 0.12));
  let qrsWidth = Math.exp(rng.normal(0, 0.06));
  let rScale = 1;
  let sScale = 1;
  let tVec: Vec3 = unit([0.6, 0.7, 0.15]);
  let tScale = 1;
  let rVec: Vec3 = unit([0.8, 0.5, -0.1]);
  let pLeft = 0; // terminal left-atrial P component (left atrial enlargement), mV
  const extra: { dt: number; w: number; v: Vec3; a: number }[] = [];
  let septal = 1;
  let stShift = 0;

  if (has("NORM")) scpCodes.NORM = 100;
  if (has("CD")) {
    // Bundle-branch block: slow ventricular activation -> wide notched QRS, secondary T change.
    qrsWidth *= 1.5 + rng.uniform(0, 0.2);
    if (o.bundle ? o.bundle === "R" : rng.chance(0.5)) {
      scpCodes.CRBBB = 100; // terminal rightward-anterior R' (rsR' in V1), wide S in I and V6
      extra.push({ dt: 0.045, w: 0.014, v: unit([-0.6, 0.1, 0.8]), a: 0.7 });
      tVec = unit([0.7, 0.6, -0.3]);
    } else {
      scpCodes.CLBBB = 100; // no septal q, broad notched R in I/V6, T opposite to QRS
      septal = 0;
      extra.push({ dt: 0.04, w: 0.018, v: unit([0.8, 0.2, -0.6]), a: 0.8 });
      tVec = unit([-0.6, -0.2, 0.6]);
    }
  }
  if (has("HYP")) {
    scpCodes.LVH = 100; // left-ventricular hypertrophy: tall R left, deep S right
    rScale *= 2.4 + rng.uniform(0, 0.6);
    sScale *= 2.4 + rng.uniform(0, 0.6);
    // The hypertrophied left ventricle also turns the axis left and back, and the left atrium it
    // loads adds a late posterior P component (negative terminal P in V1): cues a per-lead z-score
    // keeps, unlike the voltage itself.
    rVec = unit([0.9, 0.25, -0.25]);
    pLeft = o.atrialFibrillation ? 0 : 0.08;
  }
  if (has("MI")) {
    // Necrosis removes the forces toward the infarct: a wide, deep early vector pointing away.
    const site = rng.pick(["IMI", "ASMI", "ALMI"] as const);
    scpCodes[site] = 100;
    const away: Vec3 =
      site === "IMI" ? [0, -1, 0] : site === "ASMI" ? [0, 0.1, -1] : [-0.7, 0, -0.7];
    extra.push({ dt: -0.022, w: 0.014, v: unit(away), a: 0.55 });
    rScale *= 0.75;
  }
  if (has("STTC")) {
    const inverted = rng.chance(0.5);
    scpCodes[inverted ? "NDT" : "ISC_"] = 100;
    stShift = 0.1 + rng.uniform(0, 0.1); // ST depression, facing the lateral and inferior leads
    tScale = inverted ? -0.6 : 0.3;
  }
  scpCodes.SR = 0;

  const pVec = unit([0.5, 0.8, 0.15]);
  const qVec = unit([-0.5, 0.1, 0.7]);
  const sVec = unit([-0.3, -0.3, -0.9]);
  const P = project(pVec, pAmp, an);
  const PL = project(unit([0.4, 0.2, -0.9]), pLeft, an);
  const Q = project(qVec, 0.15 * volt * septal, an);
  const R = project(rVec, rAmp * rScale, an);
  const S = project(sVec, 0.3 * volt * sScale, an);
  const T = project(tVec, tAmp * tScale, an);
  const ST = project(unit([-0.6, -0.6, 0.3]), stShift, an);
  const X = extra.map((e) => ({ ...e, amp: project(e.v, e.a * rAmp, an) }));
  const pw = 0.022 * Math.exp(rng.normal(0, 0.08));
  const tw = Math.exp(rng.normal(0, 0.08));
  const k = qrsWidth;
  return {
    labels,
    scpCodes,
    beat(rr: number) {
      const b = Math.sqrt(rr);
      const c: Omit<Component, "beat">[] = [
        { group: "P", t: -pr, sl: pw, sr: pw, amp: P },
        { group: "P", t: -pr + 0.035, sl: 0.018, sr: 0.018, amp: PL },
        { group: "QRS", t: -0.025 * k, sl: 0.008 * k, sr: 0.008 * k, amp: Q },
        { group: "QRS", t: 0, sl: 0.011 * k, sr: 0.011 * k, amp: R },
        { group: "QRS", t: 0.026 * k, sl: 0.01 * k, sr: 0.011 * k, amp: S },
        ...X.map((e) => ({ group: "QRS" as const, t: e.dt, sl: e.w, sr: e.w, amp: e.amp })),
        { group: "T", t: 0.25 * b + 0.03 * (k - 1), sl: 0.05 * b * tw, sr: 0.035 * b * tw, amp: T },
      ];
      if (stShift > 0) c.push({ group: "ST", t: 0.14 * b, sl: 0.04 * b, sr: 0.06 * b, amp: ST });
      return c.filter((x) => x.amp.some((v) => v !== 0));
    },
  };
}

/** Components are evaluated over +-SUPPORT widths; exp(-0.5 * 5^2) < 4e-6 of the peak is dropped. */
const SUPPORT = 5;

function shape(c: { t: number; sl: number; sr: number }, time: number): number {
  const d = time - c.t;
  const s = d < 0 ? c.sl : c.sr;
  return Math.abs(d) > SUPPORT * s ? 0 : Math.exp(-0.5 * (d / s) ** 2);
}

function sampleRange(c: Component, fs: number, samples: number): [number, number] {
  const lo = Math.max(0, Math.ceil((c.t - SUPPORT * c.sl) * fs));
  const hi = Math.min(samples - 1, Math.floor((c.t + SUPPORT * c.sr) * fs));
  return [lo, hi];
}

/** Exact ground truth of one wave (components of one group and beat) in every lead. */
function groundTruth(parts: Component[], type: WaveType, fs: number, samples: number): Wave[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of parts) {
    const [a, b] = [
      Math.ceil((c.t - SUPPORT * c.sl) * fs),
      Math.floor((c.t + SUPPORT * c.sr) * fs),
    ];
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  const waves: Wave[] = [];
  const w = new Float64Array(hi - lo + 1);
  // Shapes are shared by every lead: evaluate them once.
  const shapes = parts.map((c) => Float64Array.from(w, (_, k) => shape(c, (lo + k) / fs)));
  STANDARD_LEADS.forEach((lead, l) => {
    w.fill(0);
    parts.forEach((c, j) => {
      const a = c.amp[l];
      const g = shapes[j];
      if (a !== 0) for (let k = 0; k < w.length; k++) w[k] += a * g[k];
    });
    let peak = 0;
    for (let i = 1; i < w.length; i++) if (Math.abs(w[i]) > Math.abs(w[peak])) peak = i;
    const level = WAVE_THRESHOLD * Math.abs(w[peak]);
    if (!(level > 0)) return;
    let on = 0;
    while (Math.abs(w[on]) < level) on++;
    let off = w.length - 1;
    while (Math.abs(w[off]) < level) off--;
    if (lo + on < 0 || lo + off > samples - 1) return;
    waves.push({ lead, type, onset: lo + on, peak: lo + peak, offset: lo + off });
  });
  return waves;
}

/** Mixes seed and record index into one 32-bit seed (records are independent of each other). */
function recordSeed(seed: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (index >>> 0) ^ (h >>> 15), 0x85ebca77) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/** Record `index` of the dataset of `seed` (what synthesize returns at that position). */
export function synthesizeOne(
  seed: number,
  index: number,
  opts: {
    fs?: number;
    seconds?: number;
    noise?: boolean;
    components?: readonly Group[];
    overrides?: SynthOverrides;
    /** Compute the per-wave ground truth (default true). */
    waves?: boolean;
  } = {},
): SyntheticEcg {
  const fs = opts.fs ?? 100;
  const seconds = opts.seconds ?? 10;
  if (!(fs > 0 && Number.isFinite(fs))) throw new RangeError(`fs must be positive, got ${fs}`);
  if (!(seconds > 0 && Number.isFinite(seconds))) {
    throw new RangeError(`seconds must be positive, got ${seconds}`);
  }
  const samples = Math.round(fs * seconds);
  const rng = new Random(recordSeed(seed, index));
  const o = opts.overrides ?? {};
  const labels = o.labels ?? drawLabels(rng);
  const age = Math.min(
    95,
    Math.max(18, Math.round(rng.normal(labels.includes("NORM") ? 45 : 62, 15))),
  );
  const sex = rng.chance(0.5) ? "M" : "F";
  const morph = morphology(rng, labels, age, sex, o);

  // Beat times: sinus rhythm with respiratory sinus arrhythmia and random RR jitter.
  const hr = o.heartRate
    ? rng.uniform(o.heartRate[0], o.heartRate[1])
    : rng.uniform(55, 92) + (sex === "F" ? 3 : 0);
  const rr0 = 60 / hr;
  const rsaPhase = rng.uniform(0, 2 * Math.PI);
  const rsaRate = rng.uniform(0.2, 0.33);
  const beatTimes: number[] = [];
  const components: Component[] = [];
  let t = -rng.uniform(0.2, 1) * rr0;
  for (let beat = 0; t < seconds + 1; beat++) {
    // Atrial fibrillation: irregularly irregular RR instead of sinus arrhythmia.
    const rr = o.atrialFibrillation
      ? rr0 * Math.min(1.8, Math.max(0.55, Math.exp(rng.normal(0, 0.2))))
      : rr0 * (1 + 0.04 * Math.sin(2 * Math.PI * rsaRate * t + rsaPhase) + rng.normal(0, 0.015));
    beatTimes.push(t);
    for (const c of morph.beat(rr)) components.push({ ...c, beat, t: t + c.t });
    t += rr;
  }

  const signal = new Float64Array(12 * samples);
  for (const c of components) {
    if (opts.components && !opts.components.includes(c.group)) continue;
    const [lo, hi] = sampleRange(c, fs, samples);
    for (let i = lo; i <= hi; i++) {
      const g = shape(c, i / fs);
      for (let l = 0; l < 12; l++) signal[l * samples + i] += c.amp[l] * g;
    }
  }
  if (o.atrialFibrillation) addFibrillation(rng, signal, samples, fs);
  if (opts.noise ?? true) addNoise(rng, signal, samples, fs);

  const waves: Wave[] = [];
  const byWave = new Map<string, Component[]>();
  for (const c of components) {
    if (c.group === "ST") continue;
    const key = `${c.beat}:${c.group}`;
    const list = byWave.get(key);
    if (list) list.push(c);
    else byWave.set(key, [c]);
  }
  for (const parts of byWave.values()) {
    if (opts.waves === false) break;
    waves.push(...groundTruth(parts, parts[0].group as WaveType, fs, samples));
  }
  const leadIndex = new Map<string, number>(STANDARD_LEADS.map((l, i) => [l, i]));
  waves.sort((a, b) => leadIndex.get(a.lead)! - leadIndex.get(b.lead)! || a.onset - b.onset);

  const name = String(index + 1).padStart(5, "0");
  const record: EcgRecord = {
    name,
    fs,
    samples,
    leads: [...STANDARD_LEADS],
    units: STANDARD_LEADS.map(() => "mV"),
    signal: Float32Array.from(signal),
    comments: [`synthetic ecg-tlc seed=${seed} index=${index} labels=${labels.join(",")}`],
  };
  return { record, waves, labels: morph.labels, scpCodes: morph.scpCodes, age, sex, beatTimes };
}

/** Baseline wander (respiration, movement), white noise and, when representable, mains hum. */
function addNoise(rng: Random, signal: Float64Array, samples: number, fs: number): void {
  const level = Math.exp(rng.normal(0, 0.4));
  const mains = rng.chance(0.5) ? 50 : 60;
  const humAmp = fs >= 200 ? 0.01 * level * rng.uniform(0, 1) : 0;
  const humPhase = rng.uniform(0, 2 * Math.PI);
  for (let l = 0; l < 12; l++) {
    const o = l * samples;
    const sigma = 0.015 * level;
    for (let i = 0; i < samples; i++) signal[o + i] += rng.normal(0, sigma);
    const tones = [0, 1].map(() => ({
      f: rng.uniform(0.05, 0.5),
      a: 0.08 * level * rng.uniform(0.2, 1),
      ph: rng.uniform(0, 2 * Math.PI),
    }));
    if (humAmp > 0) tones.push({ f: mains, a: humAmp, ph: humPhase });
    for (const { f, a, ph } of tones)
      addSine(signal.subarray(o, o + samples), a, (2 * Math.PI * f) / fs, ph);
  }
}

/** Fibrillatory waves: 4-8 Hz, 0.03-0.1 mV, largest in V1 and the inferior leads. */
function addFibrillation(rng: Random, signal: Float64Array, samples: number, fs: number): void {
  const f = rng.uniform(4, 8);
  const a = rng.uniform(0.03, 0.1);
  const ph = rng.uniform(0, 2 * Math.PI);
  const lead = [0.4, 0.8, 0.7, 0.5, 0.3, 0.7, 1, 0.8, 0.6, 0.4, 0.3, 0.3];
  for (let l = 0; l < 12; l++) {
    const x = signal.subarray(l * samples, (l + 1) * samples);
    addSine(x, a * lead[l], (2 * Math.PI * f) / fs, ph + 0.3 * l);
    addSine(x, 0.4 * a * lead[l], (2 * Math.PI * f * 1.37) / fs, 1.7 * ph + 0.5 * l);
  }
}

/** x[i] += a sin(w i + ph), by rotating a phasor (exact to ~1e-12 over 1e5 samples). */
function addSine(x: Float64Array, a: number, w: number, ph: number): void {
  const [cw, sw] = [Math.cos(w), Math.sin(w)];
  let s = Math.sin(ph);
  let c = Math.cos(ph);
  for (let i = 0; i < x.length; i++) {
    x[i] += a * s;
    [s, c] = [s * cw + c * sw, c * cw - s * sw];
  }
}

/** `n` synthetic ECGs, deterministic for `seed` (record i is synthesizeOne(seed, first + i)). */
export function synthesize(opts: SynthOptions): SyntheticEcg[] {
  const first = opts.first ?? 0;
  return Array.from({ length: opts.n }, (_, i) => synthesizeOne(opts.seed, first + i, opts));
}
