/**
 * Core data types shared by every module.
 *
 * Convention (everywhere in ecg-tlc): multi-lead signals are `Float32Array`s in LEAD-MAJOR order,
 * `signal[lead * samples + i]`, i.e. the (channels x time) layout a Conv1d takes.
 */

/** One ECG record in physical units (mV for raw ECGs, z-scores for normalised data). */
export interface EcgRecord {
  /** Record name as in the header (no directory, no extension). */
  name: string;
  /** Path the record was read from, without extension (as WFDB tools take it). */
  path?: string;
  /** Sampling frequency in Hz. */
  fs: number;
  /** Samples per lead. */
  samples: number;
  /** Lead (signal) names as in the header, e.g. ["I", "II", ..., "V6"]. */
  leads: string[];
  /** Physical units per lead, e.g. "mV". */
  units: string[];
  /** Lead-major physical signal, `leads.length * samples` values. */
  signal: Float32Array;
  /** Header comment lines (without the leading '#'). */
  comments?: string[];
}

/** One WFDB annotation (wfdb-python's `Annotation` fields, one entry per annotation). */
export interface Annotation {
  /** Sample index in the record. */
  sample: number;
  /** Annotation mnemonic, e.g. "N", "p", "t", "(", ")". */
  symbol: string;
  /** Numeric annotation code (MIT code table). */
  code: number;
  subtype: number;
  chan: number;
  num: number;
  aux: string;
}

/** A wave of the beat, the four labels TLC's landmark alignment uses. */
export type WaveType = "P" | "QRS" | "T";
export const WAVE_LABELS = ["P", "QRS", "T", "TP"] as const;
export type WaveLabel = (typeof WAVE_LABELS)[number];

/**
 * The wave each cluster of an explainer stands for, learnt on a sample of ECGs (src/eval's
 * nameClusters) and stored in the explainer file by `ecg-tlc fit`.
 */
export interface ClusterWaves {
  /** Wave per cluster (P, QRS, T, TP), null for a cluster no sample fell in. */
  names: (string | null)[];
  /** Cluster x [P, QRS, T, TP] sample counts the names come from. */
  table: number[][];
  /** ECGs pooled (those the delineator found beats in). */
  records: number;
  source: "delineator";
}

/** One delineated or annotated wave: sample indices in the record (onset <= peak <= offset). */
export interface Wave {
  lead: string;
  type: WaveType;
  onset: number;
  peak: number;
  offset: number;
}

/** A wave's peak (P, R or T): what landmark alignment counts. */
export type Landmark = Pick<Wave, "type" | "peak">;

/** The 12 standard leads in their usual order. */
export const STANDARD_LEADS = [
  "I",
  "II",
  "III",
  "aVR",
  "aVL",
  "aVF",
  "V1",
  "V2",
  "V3",
  "V4",
  "V5",
  "V6",
] as const;
