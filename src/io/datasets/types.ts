/** Datasets: a folder of ECG records with labels, listed from its metadata and read lazily. */
import type { EcgRecord } from "../../types.js";

export interface DatasetEntry {
  /** Identifier within the dataset (PTB-XL ecg_id, LUDB ID, CODE-15% exam_id, record name). */
  id: string;
  /** Record path without extension (CODE-15%: the HDF5 file holding the exam). */
  path: string;
  /** Class labels of the record, a subset of the dataset's `classes`. */
  labels: string[];
  /** Cross-validation fold (PTB-XL strat_fold). */
  fold?: number;
  age?: number;
  /** "M" or "F". */
  sex?: string;
  /** CODE-15%: row of the exam in `path`'s `tracings`. */
  index?: number;
  /** PTB-XL: all SCP statements with their likelihoods. */
  scpCodes?: Record<string, number>;
}

export type DatasetKind = "ptbxl" | "ludb" | "cinc2021" | "code15" | "wfdb";

/**
 * What a reader of records by entry needs of a dataset (a `Dataset` is one; tests pass a small
 * object): TLC's fit, the evaluation and the explorer all take this.
 */
export interface RecordSource<E> {
  read(entry: E): Promise<EcgRecord>;
}

export interface Dataset {
  kind: DatasetKind;
  root: string;
  /** Every label the entries may carry, in a fixed order. */
  classes: string[];
  /** Records present on disk, in the metadata's order. */
  entries: DatasetEntry[];
  read(entry: DatasetEntry): Promise<EcgRecord>;
  /** Reads several entries at once (CODE-15%: one HDF5 slice per contiguous run). */
  readBatch(entries: DatasetEntry[]): Promise<EcgRecord[]>;
  close(): void;
}

export interface OpenDatasetOptions {
  /** PTB-XL sampling rate: records100 or records500 (default: 100 when present, else 500). */
  rate?: 100 | 500;
}

/** Normalises a sex field ("0"/"1" in PTB-XL, "Male"/"F" elsewhere) to "M"/"F". */
export function normalizeSex(v: string | undefined, zeroIsMale = false): string | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (zeroIsMale && (s === "0" || s === "0.0")) return "M";
  if (zeroIsMale && (s === "1" || s === "1.0")) return "F";
  if (s === "m" || s === "male") return "M";
  if (s === "f" || s === "female") return "F";
  return undefined;
}

/** Parses an age field; empty, NaN or negative means unknown. */
export function parseAge(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
