/**
 * The preprocessing a model declares (a JSON-serialisable `Preprocessing`) and its exact replay
 * on any record whatever its rate: lead selection by name -> voltages in mV (leads in uV, nV or V
 * are rescaled; other units such as PTB-XL's normalised "NU" are left as they are) -> polyphase
 * resampling to `fs` ->
 * zero-phase Butterworth band-pass at `fs` -> per-lead z-score -> centred pad/crop to `length`.
 * The band-pass runs after resampling so that the same filter (designed at the model's rate) is
 * applied whatever the source rate; the z-score runs before padding so padding stays exactly 0.
 */
import { EcgFormatError, EcgTlcError } from "../errors.js";
import type { EcgRecord } from "../types.js";
import { butterSos, sosfiltfilt } from "./filter.js";
import { selectLeads } from "./leads.js";
import { padOrCrop, zscoreLeads } from "./normalize.js";
import { resampleFactors, resamplePoly, resampledLength } from "./resample.js";

export interface Preprocessing {
  /** Sampling rate the model sees, Hz. */
  fs: number;
  /** Samples per lead the model sees (centred zero-padding or cropping); 0 keeps the length. */
  length: number;
  /** Leads in the model's order (case-insensitive, aliases such as MLII accepted). */
  leads: string[];
  /** Zero-phase Butterworth band-pass (scipy butter(order, [low, high]) + sosfiltfilt), or none. */
  bandpass: { low: number; high: number; order: number } | null;
  /** Per-lead z-score over the record (population std). */
  zscore: boolean;
}

export interface PreparedSignal {
  /** leads x length, lead-major: what the network sees. */
  signal: Float32Array;
  length: number;
  fs: number;
  leads: string[];
  sourceFs: number;
  sourceSamples: number;
  /** Prepared index where source sample 0 lands (negative when cropped). */
  offset: number;
  /** [validStart, validEnd) holds real data; the rest is zero padding. */
  validStart: number;
  validEnd: number;
}

/** Throws a one-line error naming the field when a spec cannot be replayed. */
export function validatePreprocessing(spec: Preprocessing, where = "preprocessing"): void {
  const bad = (msg: string): never => {
    throw new EcgTlcError(`${where}: ${msg}`);
  };
  if (!(typeof spec.fs === "number" && spec.fs > 0 && Number.isFinite(spec.fs))) {
    bad(`fs must be a positive number, got ${spec.fs}`);
  }
  if (!(Number.isInteger(spec.length) && spec.length >= 0)) {
    bad(`length must be an integer >= 0, got ${spec.length}`);
  }
  if (!Array.isArray(spec.leads) || spec.leads.length === 0) bad(`leads must be a non-empty list`);
  if (spec.bandpass) {
    const { low, high, order } = spec.bandpass;
    if (!(Number.isInteger(order) && order >= 1 && order <= 10)) {
      bad(`bandpass order must be an integer in [1, 10], got ${order}`);
    }
    if (!(low > 0 && low < high && high < spec.fs / 2)) {
      bad(`bandpass needs 0 < low < high < fs/2 = ${spec.fs / 2} Hz, got [${low}, ${high}]`);
    }
  }
}

/** Throws EcgFormatError naming the record, lead and sample of the first NaN or infinity. */
export function assertFinite(record: EcgRecord): void {
  const s = record.signal;
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i])) {
      const lead = record.leads[Math.floor(i / record.samples)] ?? "?";
      throw new EcgFormatError(
        record.path ?? record.name,
        `${s[i]} in lead ${lead} at sample ${i % record.samples} (not a valid ECG value)`,
      );
    }
  }
}

const TO_MV: Record<string, number> = { nv: 1e-6, uv: 1e-3, µv: 1e-3, μv: 1e-3, mv: 1, v: 1e3 };

/** Factor that brings a lead in `unit` to mV (1 for mV and for non-voltage units). */
export function millivoltScale(unit: string | undefined): number {
  return TO_MV[(unit ?? "").trim().toLowerCase()] ?? 1;
}

/** Most values a record may have at the model's rate (12 leads x 31 hours at 100 Hz). */
export const MAX_RESAMPLED_VALUES = 2 ** 27;

/** Replays `spec` on `record` (never modified); see the module comment for the order of steps. */
export function preprocess(record: EcgRecord, spec: Preprocessing): PreparedSignal {
  validatePreprocessing(spec);
  if (record.samples <= 0) throw new EcgFormatError(record.path ?? record.name, "no samples");
  if (!(record.fs > 0)) {
    throw new EcgFormatError(record.path ?? record.name, `invalid sampling rate ${record.fs}`);
  }
  const selected = selectLeads(record, spec.leads);
  assertFinite(selected);
  const nLeads = spec.leads.length;
  selected.units.forEach((unit, l) => {
    const k = millivoltScale(unit);
    if (k !== 1) {
      const lead = selected.signal.subarray(l * record.samples, (l + 1) * record.samples);
      for (let i = 0; i < lead.length; i++) lead[i] *= k;
    }
  });
  const [up, down] = resampleFactors(record.fs, spec.fs);
  const n = resampledLength(record.samples, up, down);
  // a few kilobytes at 1 Hz resample to gigabytes at the model's rate: refuse before allocating
  if (n * nLeads > MAX_RESAMPLED_VALUES) {
    throw new EcgFormatError(
      record.path ?? record.name,
      `at ${spec.fs} Hz the record would be ${n} samples x ${nLeads} leads, more than ${MAX_RESAMPLED_VALUES} values; read a segment (sampfrom/sampto)`,
    );
  }
  let signal: Float32Array;
  if (up === down) {
    signal = selected.signal;
  } else {
    signal = new Float32Array(nLeads * n);
    for (let l = 0; l < nLeads; l++) {
      const lead = selected.signal.subarray(l * record.samples, (l + 1) * record.samples);
      resamplePoly(lead, up, down, signal.subarray(l * n, (l + 1) * n));
    }
  }
  if (spec.bandpass) {
    const { low, high, order } = spec.bandpass;
    const sos = butterSos(order, [low, high], "bandpass", spec.fs);
    for (let l = 0; l < nLeads; l++) {
      const lead = signal.subarray(l * n, (l + 1) * n);
      sosfiltfilt(sos, lead, lead);
    }
  }
  if (spec.zscore) zscoreLeads(signal, nLeads, n);
  const length = spec.length > 0 ? spec.length : n;
  const fitted = padOrCrop(signal, nLeads, n, length);
  return {
    signal: fitted.signal,
    length,
    fs: spec.fs,
    leads: selected.leads,
    sourceFs: record.fs,
    sourceSamples: record.samples,
    offset: fitted.offset,
    validStart: Math.max(0, fitted.offset),
    validEnd: Math.min(length, fitted.offset + n),
  };
}

/** Fractional source-sample index of prepared index `i` (inverse of padding and resampling). */
export function preparedToSource(
  p: Pick<PreparedSignal, "offset" | "sourceFs" | "fs">,
  i: number,
): number {
  return ((i - p.offset) * p.sourceFs) / p.fs;
}

/** Fractional prepared index of source sample `s` (inverse of preparedToSource). */
export function sourceToPrepared(p: PreparedSignal, s: number): number {
  return (s * p.fs) / p.sourceFs + p.offset;
}
