/**
 * WFDB header (.hea) files: record line, signal lines, segment lines and comments, as described in
 * the WFDB header(5) manual page and read by wfdb-python's `rdheader`.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { EcgFormatError, NotFoundError } from "../errors.js";
import { readSmallFile } from "./files.js";
import { RECORD_LIMITS, checkSampleCount, checkSamplingRate } from "./limits.js";

/** One signal line of a header. */
export interface WfdbSignalSpec {
  /** Signal file name as written in the header ("~" for a null signal). */
  fileName: string;
  /** Storage format code as a string ("16", "212", ...). */
  fmt: string;
  /** Samples per frame (the `xN` suffix), 1 when absent. */
  samplesPerFrame: number;
  /** Skew in frames (the `:N` suffix), 0 when absent. */
  skew: number;
  /** Byte offset of the first sample in the signal file (the `+N` suffix), 0 when absent. */
  byteOffset: number;
  /** ADC units per physical unit; WFDB's default of 200 when absent or 0. */
  adcGain: number;
  /** Digital value of physical zero (defaults to adcZero). */
  baseline: number;
  units: string;
  adcRes: number;
  adcZero: number;
  /** First sample value (used by the difference format 8). */
  initValue: number;
  /** 16-bit checksum of all the samples, when given. */
  checksum?: number;
  blockSize: number;
  description: string;
}

/** One segment of a multi-segment record. */
export interface WfdbSegmentSpec {
  /** Segment record name, or "~" for a gap. */
  name: string;
  samples: number;
}

export interface WfdbHeader {
  /** Record name (without the "/nseg" suffix). */
  name: string;
  /** Directory the header was read from (signal and segment files are relative to it). */
  dir: string;
  nsig: number;
  /** Frame frequency in Hz. */
  fs: number;
  counterFreq?: number;
  baseCounter?: number;
  /** Samples per signal; undefined when the header leaves it out (computed from the file size). */
  samples?: number;
  baseTime?: string;
  baseDate?: string;
  signals: WfdbSignalSpec[];
  /** Present for multi-segment records. */
  segments?: WfdbSegmentSpec[];
  comments: string[];
}

/** Formats with a decoder here (0 is the null signal, 16 + byte offset covers MATLAB v4 files, 5xx is FLAC). */
export const SUPPORTED_FORMATS = new Set([
  "0",
  "8",
  "16",
  "24",
  "32",
  "61",
  "80",
  "160",
  "212",
  "310",
  "311",
  "508",
  "516",
  "524",
]);

/** WFDB's record-line fields: name[/nseg] nsig [fs[/counter[(base)]] [nsamp [time [date]]]]. */
const RECORD_LINE =
  /^([-\w.]+)(?:\/(\d+))?\s+(\d+)(?:\s+([-+\d.eE]+)(?:\/([-+\d.eE]+)(?:\(([-+\d.eE]+)\))?)?(?:\s+(\d+)(?:\s+(\S+)(?:\s+(\S+))?)?)?)?\s*$/;

/** Signal-line fields: file fmt[xspf][:skew][+offset] [gain[(baseline)][/units] [res [zero [init [cksum [bsize [desc]]]]]]]. */
const SIGNAL_LINE =
  /^(\S+)\s+(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?(?:\s+([-+\d.eE]+)(?:\(([-+\d]+)\))?(?:\/(\S*))?(?:\s+(\d+)(?:\s+([-+\d]+)(?:\s+([-+\d]+)(?:\s+([-+\d]+)(?:\s+(\d+)(?:\s+(.*))?)?)?)?)?)?)?\s*$/;

/** Path of a header given a record path with or without ".hea". */
export function headerPath(record: string): string {
  return record.endsWith(".hea") ? record : `${record}.hea`;
}

/** Reads and parses a WFDB header; `path` is the record path without extension (".hea" tolerated). */
export function readHeader(path: string): WfdbHeader {
  const file = headerPath(path);
  let text: string;
  try {
    text = readSmallFile(file, "header file", RECORD_LIMITS.maxHeaderBytes).toString("latin1");
  } catch (err) {
    if (
      err instanceof NotFoundError &&
      file !== path &&
      existsSync(path) &&
      statSync(path).isFile()
    ) {
      throw new EcgFormatError(path, "not a WFDB record: give the record path without extension");
    }
    throw err;
  }
  return parseHeader(text, file);
}

/** Parses header text; `file` names the header in error messages (its directory anchors files). */
export function parseHeader(text: string, file: string): WfdbHeader {
  if (text.length > RECORD_LIMITS.maxHeaderBytes) {
    throw new EcgFormatError(file, `header too large (${text.length} bytes)`);
  }
  if (text.includes("\0")) throw new EcgFormatError(file, "not a WFDB header (binary content)");
  // Editors on Windows save UTF-8 with a byte-order mark (read as latin1 or as UTF-8).
  text = text.replace(/^(\xef\xbb\xbf|\ufeff)/, "");
  const lines: string[] = [];
  const comments: string[] = [];
  for (const raw of text.split(/\r?\n|\r/)) {
    const trimmed = raw.trim();
    if (trimmed === "") continue;
    if (trimmed.startsWith("#")) {
      comments.push(trimmed.slice(1).trim());
      continue;
    }
    // A '#' after the fields starts a comment on the same line.
    const hash = trimmed.indexOf("#");
    lines.push(hash > 0 ? trimmed.slice(0, hash).trim() : trimmed);
  }
  if (lines.length === 0) throw new EcgFormatError(file, "empty WFDB header (no record line)");
  const m = RECORD_LINE.exec(lines[0]);
  if (!m) {
    const name = lines[0].split(/\s+/)[0];
    if (/\//.test(name) && !/^[^/]+\/\d+$/.test(name)) {
      throw new EcgFormatError(
        file,
        `record name '${clip(name)}' is not a plain name ('/' only before a segment count, as in name/3)`,
      );
    }
    throw new EcgFormatError(file, `malformed record line '${clip(lines[0])}'`);
  }
  const nseg = m[2] === undefined ? undefined : Number(m[2]);
  const nsig = Number(m[3]);
  const fs = m[4] === undefined ? 250 : Number(m[4]);
  checkSamplingRate(fs, file, m[4]);
  if (nsig > RECORD_LIMITS.maxSignals) {
    throw new EcgFormatError(
      file,
      `implausible number of signals ${String(nsig).slice(0, 24)} (limit ${RECORD_LIMITS.maxSignals})`,
    );
  }
  if (nseg !== undefined && nseg > RECORD_LIMITS.maxSegments) {
    throw new EcgFormatError(
      file,
      `implausible number of segments ${String(nseg).slice(0, 24)} (limit ${RECORD_LIMITS.maxSegments})`,
    );
  }
  const header: WfdbHeader = {
    name: m[1],
    dir: dirname(file),
    nsig,
    fs,
    signals: [],
    comments,
  };
  if (m[5] !== undefined) header.counterFreq = Number(m[5]);
  if (m[6] !== undefined) header.baseCounter = Number(m[6]);
  if (m[7] !== undefined) header.samples = Number(m[7]);
  if (m[8] !== undefined) header.baseTime = m[8];
  if (m[9] !== undefined) header.baseDate = m[9];
  if (header.samples !== undefined) checkSampleCount(header.samples, file);

  const body = lines.slice(1);
  if (nseg !== undefined) {
    if (nseg < 1) throw new EcgFormatError(file, "multi-segment record with no segments");
    if (body.length < nseg) {
      throw new EcgFormatError(file, `expected ${nseg} segment lines, found ${body.length}`);
    }
    header.segments = body.slice(0, nseg).map((line) => {
      const s = /^(\S+)\s+(\d+)$/.exec(line);
      if (!s) throw new EcgFormatError(file, `malformed segment line '${clip(line)}'`);
      const samples = Number(s[2]);
      checkSampleCount(samples, file, `samples in segment ${s[1].slice(0, 40)}`);
      return { name: s[1], samples };
    });
    return header;
  }
  if (body.length < nsig) {
    throw new EcgFormatError(file, `expected ${nsig} signal lines, found ${body.length}`);
  }
  for (let i = 0; i < nsig; i++) header.signals.push(parseSignalLine(body[i], file, i));
  return header;
}

function parseSignalLine(line: string, file: string, index: number): WfdbSignalSpec {
  const s = SIGNAL_LINE.exec(line);
  if (!s) throw new EcgFormatError(file, `malformed signal line ${index + 1} '${clip(line)}'`);
  const num = (v: string | undefined, fallback: number, what: string): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new EcgFormatError(file, `signal ${index + 1}: invalid ${what}`);
    return n;
  };
  const adcZero = num(s[10], 0, "ADC zero");
  let gain = num(s[6], 0, "ADC gain");
  if (gain === 0) gain = 200; // WFDB: a gain of 0 (or none) means 200 adu per unit, uncalibrated
  const spec: WfdbSignalSpec = {
    fileName: s[1],
    fmt: s[2],
    samplesPerFrame: num(s[3], 1, "samples per frame"),
    skew: num(s[4], 0, "skew"),
    byteOffset: num(s[5], 0, "byte offset"),
    adcGain: gain,
    baseline: num(s[7], adcZero, "baseline"),
    units: s[8] === undefined || s[8] === "" ? "mV" : s[8],
    adcRes: num(s[9], 0, "ADC resolution"),
    adcZero,
    initValue: num(s[11], adcZero, "initial value"),
    blockSize: num(s[13], 0, "block size"),
    description: (s[14] ?? "").trim(),
  };
  if (s[12] !== undefined) spec.checksum = num(s[12], 0, "checksum");
  if (spec.samplesPerFrame < 1 || spec.samplesPerFrame > RECORD_LIMITS.maxSamplesPerFrame) {
    throw new EcgFormatError(file, `signal ${index + 1}: invalid samples per frame`);
  }
  if (!Number.isSafeInteger(spec.byteOffset) || !Number.isSafeInteger(spec.skew)) {
    throw new EcgFormatError(file, `signal ${index + 1}: invalid skew or byte offset`);
  }
  return spec;
}

/** Record name and directory of a record path (".hea" tolerated). */
export function splitRecordPath(path: string): { dir: string; name: string } {
  const p = path.endsWith(".hea") ? path.slice(0, -4) : path;
  return { dir: dirname(p), name: basename(p) };
}

/** Absolute path of a file named in a header. */
export function resolveInHeaderDir(header: WfdbHeader, fileName: string): string {
  return join(header.dir, fileName);
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
