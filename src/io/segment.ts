/**
 * A segment of a record chosen in seconds (`from`, `to`): how a long recording is explained one
 * network window at a time.
 */
import { UsageError } from "../errors.js";
import type { EcgRecord } from "../types.js";
import { readHeader } from "./header.js";
import { readRecord, type WfdbRecord } from "./record.js";

export interface SegmentChoice {
  /** Start in seconds from the record's first sample (default 0). */
  from?: number;
  /** End in seconds (exclusive; default the record's end). */
  to?: number;
}

/** The sample range [sampfrom, sampto) of a choice in a record of `samples` at `fs`. */
export function segmentRange(
  choice: SegmentChoice,
  fs: number,
  samples: number,
  record: string,
): { sampfrom: number; sampto: number } {
  const { from = 0, to } = choice;
  if (!Number.isFinite(from) || from < 0) {
    throw new UsageError(`from: expected seconds >= 0, got ${from}`);
  }
  if (to !== undefined && (!Number.isFinite(to) || to <= from)) {
    throw new UsageError(`to: expected seconds after from (${from}), got ${to}`);
  }
  const sampfrom = Math.round(from * fs);
  const sampto = to === undefined ? samples : Math.round(to * fs);
  if (sampto > samples || sampfrom >= samples) {
    throw new UsageError(
      `from/to: ${record} is ${+(samples / fs).toFixed(3)} s long, the segment ${from}-${to ?? "end"} s is not inside it`,
    );
  }
  return { sampfrom, sampto };
}

/**
 * Reads the chosen segment of a WFDB record (only its bytes, as readRecord's sampfrom/sampto);
 * `sampfrom` is where it starts in the record.
 */
export function readRecordSegment(
  path: string,
  choice: SegmentChoice,
): WfdbRecord & { sampfrom: number } {
  if (choice.from === undefined && choice.to === undefined) {
    return { ...readRecord(path), sampfrom: 0 };
  }
  const header = readHeader(path);
  // The length a header leaves out comes from the files: read no signal to learn it.
  const n = header.samples ?? readRecord(path, { channels: [] }).samples;
  const range = segmentRange(choice, header.fs, n, path);
  return { ...readRecord(path, range), sampfrom: range.sampfrom };
}

/** The chosen segment of a record in memory (a copy; `name` keeps the record's). */
export function sliceRecord(record: EcgRecord, choice: SegmentChoice): EcgRecord {
  if (choice.from === undefined && choice.to === undefined) return record;
  const { sampfrom, sampto } = segmentRange(choice, record.fs, record.samples, record.name);
  const n = sampto - sampfrom;
  const leads = record.leads.length;
  const signal = new Float32Array(n * leads);
  for (let l = 0; l < leads; l++) {
    const at = l * record.samples;
    signal.set(record.signal.subarray(at + sampfrom, at + sampto), l * n);
  }
  return { ...record, samples: n, signal };
}
