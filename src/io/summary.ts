/**
 * Summaries the data commands print: per-lead statistics of a record, a dataset's counts, and the
 * CSV text of a record's physical samples. Library functions so that scripts get the same numbers.
 */
import type { EcgRecord } from "../types.js";
import type { Dataset } from "./datasets/types.js";

export interface LeadStats {
  /** Mean, population standard deviation, min and max of the finite samples (null if none). */
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  /** Samples that are NaN (invalid or missing in the file). */
  nan: number;
}

/** Statistics of one lead of the physical signal (NaN samples left out and counted). */
export function leadStats(x: Float32Array): LeadStats {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return { mean: null, std: null, min: null, max: null, nan: x.length };
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
  }
  return { mean, std: Math.sqrt(ss / n), min, max, nan: x.length - n };
}

/** What `ecg-tlc read --json` prints for a record. */
export function recordSummary(
  record: EcgRecord & { warnings?: string[] },
  label = record.path ?? record.name,
) {
  const stats: Record<string, LeadStats> = {};
  record.leads.forEach((lead, l) => {
    const key = lead in stats ? `${lead}#${l}` : lead;
    stats[key] = leadStats(record.signal.subarray(l * record.samples, (l + 1) * record.samples));
  });
  return {
    record: label,
    name: record.name,
    fs: record.fs,
    samples: record.samples,
    leads: record.leads,
    units: record.units,
    stats,
    ...(record.warnings && record.warnings.length > 0 ? { warnings: record.warnings } : {}),
  };
}

/** Shortest text that reads back as the same float32 value. */
export function formatFloat32(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  for (let p = 6; p < 10; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** CSV lines of the physical samples: a header of lead names, then one row per sample. */
export function* recordCsvLines(record: EcgRecord, chunk = 4096): Generator<string> {
  yield (
    record.leads.map((l) => (/[",\n]/.test(l) ? `"${l.replace(/"/g, '""')}"` : l)).join(",") + "\n"
  );
  const n = record.samples;
  const L = record.leads.length;
  let buf: string[] = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<string>(L);
    for (let l = 0; l < L; l++) row[l] = formatFloat32(record.signal[l * n + i]);
    buf.push(row.join(","));
    if (buf.length === chunk) {
      yield buf.join("\n") + "\n";
      buf = [];
    }
  }
  if (buf.length > 0) yield buf.join("\n") + "\n";
}

/** What `ecg-tlc dataset --json` prints: counts of records, classes, folds, sexes and ages. */
export function datasetSummary(ds: Dataset) {
  const classes: Record<string, number> = {};
  for (const c of ds.classes) classes[c] = 0;
  const folds: Record<string, number> = {};
  const sex: Record<string, number> = {};
  let unlabelled = 0;
  let ageN = 0;
  let ageSum = 0;
  let ageMin = Infinity;
  let ageMax = -Infinity;
  for (const e of ds.entries) {
    for (const l of e.labels) classes[l] = (classes[l] ?? 0) + 1;
    if (e.labels.length === 0) unlabelled++;
    if (e.fold !== undefined) folds[e.fold] = (folds[e.fold] ?? 0) + 1;
    if (e.sex !== undefined) sex[e.sex] = (sex[e.sex] ?? 0) + 1;
    if (e.age !== undefined) {
      ageN++;
      ageSum += e.age;
      ageMin = Math.min(ageMin, e.age);
      ageMax = Math.max(ageMax, e.age);
    }
  }
  return {
    root: ds.root,
    kind: ds.kind,
    records: ds.entries.length,
    classes,
    unlabelled,
    folds,
    sex,
    age: ageN > 0 ? { n: ageN, mean: ageSum / ageN, min: ageMin, max: ageMax } : null,
  };
}
