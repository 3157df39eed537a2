/**
 * Uploaded ECGs: the request body read into memory under a size limit, multipart/form-data parsed
 * (Node's own WHATWG FormData parser), then turned into an EcgRecord from either a WFDB header +
 * signal file or one CSV with a sampling rate. Client-chosen names are never used as paths.
 */
import type { IncomingMessage } from "node:http";
import { EcgFormatError, UsageError } from "../errors.js";
import { RECORD_LIMITS } from "../io/limits.js";
import { STANDARD_LEADS, type EcgRecord } from "../types.js";
import { DEFAULT_BODY_DEADLINE_MS, readBodyWithin } from "./guard.js";
import { HttpError } from "./http-error.js";

/** Default upload limit: a 12-lead 10 s record at 500 Hz is ~120 kB, a CSV of it ~1 MB. */
export const DEFAULT_UPLOAD_LIMIT = 20 * 1024 * 1024;

/** Most parts a multipart upload may have: a header, its signal files, a few fields. */
export const MAX_PARTS = 64;

/**
 * Reads the whole body, failing with 413 as soon as it passes `limit` bytes and with 408 when it
 * has not arrived within `deadlineMs`.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  deadlineMs = DEFAULT_BODY_DEADLINE_MS,
): Promise<Buffer> {
  return readBodyWithin(req, limit, deadlineMs);
}

/** Counts the parts of a multipart body (its boundary lines) without parsing it. */
function countParts(body: Buffer, boundary: string, max: number): number {
  const mark = Buffer.from(`--${boundary}`);
  let n = 0;
  for (
    let at = body.indexOf(mark);
    at >= 0 && n <= max + 1;
    at = body.indexOf(mark, at + mark.length)
  ) {
    n++;
  }
  return n - 1; // the closing delimiter is not a part
}

export interface UploadedFile {
  /** The client's file name reduced to its last path component (for messages only). */
  name: string;
  data: Buffer;
}

export interface Upload {
  files: UploadedFile[];
  fields: Record<string, string>;
}

/** Parses a multipart/form-data body; 400/415 with a one-line reason when it is not one. */
export async function parseMultipart(
  body: Buffer,
  contentType: string | undefined,
): Promise<Upload> {
  if (!contentType || !/^multipart\/form-data(\s*;|\s*$)/i.test(contentType)) {
    throw new HttpError(
      415,
      "expected a multipart/form-data body (fields 'files', or 'file' and 'fs')",
    );
  }
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  if (!boundary) {
    throw new HttpError(400, "multipart/form-data content-type without a boundary");
  }
  // Node's parser takes seconds over 100,000 empty parts: count them first.
  if (countParts(body, boundary[1] ?? boundary[2], MAX_PARTS) > MAX_PARTS) {
    throw new HttpError(400, `multipart body with more than ${MAX_PARTS} parts`);
  }
  let form: FormData;
  try {
    form = await new Request("http://upload.invalid/", {
      method: "POST",
      body: new Blob([new Uint8Array(body)]),
      headers: { "content-type": contentType },
    }).formData();
  } catch {
    throw new HttpError(400, "malformed multipart/form-data body");
  }
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  const entries: [string, FormDataEntryValue][] = [];
  form.forEach((value, key) => entries.push([key, value]));
  for (const [key, value] of entries) {
    if (typeof value === "string") {
      fields[key] = value;
    } else if (key === "files" || key === "file") {
      const name = (value.name || "unnamed").split(/[\\/]/).pop() || "unnamed";
      files.push({ name, data: Buffer.from(await value.arrayBuffer()) });
    } else {
      throw new HttpError(400, `unexpected file field '${key}' (use 'files' or 'file')`);
    }
  }
  return { files, fields };
}

const TIME_COLUMN = /^(time|t|sample|samples|index|idx|seconds|time_s|time \(s\)|ms|time_ms)$/i;

/** The lines of a text that hold data (not blank, not '#' comments), without splitting it all at once. */
function* dataLines(text: string): Generator<string> {
  for (let at = 0; at < text.length;) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(at, end - 1) : text.slice(at, end);
    at = end + 1;
    if (line.trim() !== "" && !line.startsWith("#")) yield line;
  }
}

/**
 * One CSV (a column per lead, a row per sample, optional header row of lead names) as a record.
 * Rows are parsed one at a time into one array (a 20 MB CSV of one column has 10 million rows):
 * at most RECORD_LIMITS.maxSignals columns and MAX_CSV_VALUES values.
 */
export function parseCsvRecord(text: string, fs: number, fileName: string, unit = "mV"): EcgRecord {
  const lines = dataLines(text);
  const firstLine = lines.next();
  if (firstLine.done) throw new EcgFormatError(fileName, "empty CSV");
  const first = firstLine.value;
  const delimiter = first.includes(",")
    ? ","
    : first.includes(";")
      ? ";"
      : first.includes("\t")
        ? "\t"
        : /\s+/;
  const split = (l: string) =>
    l
      .trim()
      .split(delimiter)
      .map((c) => c.trim().replace(/^"|"$/g, ""));
  if (typeof delimiter === "string" && countOf(first, delimiter) >= RECORD_LIMITS.maxSignals) {
    throw new EcgFormatError(
      fileName,
      `more than ${RECORD_LIMITS.maxSignals} columns (a column per lead expected)`,
    );
  }
  const firstCells = split(first);
  let header = firstCells;
  const hasHeader = header.some((c) => c === "" || !Number.isFinite(Number(c)));
  const width = header.length;
  if (width > RECORD_LIMITS.maxSignals) {
    throw new EcgFormatError(fileName, `more than ${RECORD_LIMITS.maxSignals} columns`);
  }
  const dropTime = hasHeader && TIME_COLUMN.test(header[0]) && width > 1 ? 1 : 0;
  if (!hasHeader) {
    header =
      width === 12 ? [...STANDARD_LEADS] : Array.from({ length: width }, (_, i) => `ch${i + 1}`);
  }
  const leads = header.slice(dropTime);
  const nLeads = leads.length;
  // row-major while reading (at most one row per line), lead-major after
  const maxRows = Math.min(countOf(text, "\n") + 1, Math.floor(MAX_CSV_VALUES / nLeads) + 1);
  const rowMajor = new Float32Array(nLeads * maxRows);
  let samples = 0;
  const row = (cells: string[], lineNo: number) => {
    if (cells.length !== width) {
      throw new EcgFormatError(
        fileName,
        `line ${lineNo} has ${cells.length} columns, expected ${width}`,
      );
    }
    if ((samples + 1) * nLeads > MAX_CSV_VALUES) {
      throw new EcgFormatError(
        fileName,
        `more than ${MAX_CSV_VALUES} values (${nLeads} leads); upload a segment`,
      );
    }
    for (let l = 0; l < nLeads; l++) {
      const cell = cells[l + dropTime];
      const v = Number(cell);
      if (cell === "" || !Number.isFinite(v)) {
        throw new EcgFormatError(
          fileName,
          `line ${lineNo}, column ${l + dropTime + 1}: '${cell.slice(0, 20)}' is not a number`,
        );
      }
      rowMajor[samples * nLeads + l] = v;
    }
    samples++;
  };
  if (!hasHeader) row(firstCells, 1);
  let lineNo = 1;
  for (const line of lines) row(split(line), ++lineNo);
  if (samples === 0) throw new EcgFormatError(fileName, "CSV has a header but no samples");
  const signal = new Float32Array(nLeads * samples);
  for (let i = 0; i < samples; i++) {
    for (let l = 0; l < nLeads; l++) signal[l * samples + i] = rowMajor[i * nLeads + l];
  }
  const base = fileName.replace(/\.[^.]*$/, "");
  return {
    name: /^[A-Za-z0-9_.-]{1,64}$/.test(base) ? base : "upload",
    fs,
    samples,
    leads,
    units: leads.map(() => unit),
    signal,
  };
}

/** Most values a CSV upload may hold (as a WFDB upload: 2^24, 64 MB of float32). */
export const MAX_CSV_VALUES = 2 ** 24;

function countOf(s: string, c: string): number {
  let n = 0;
  for (let at = s.indexOf(c); at >= 0; at = s.indexOf(c, at + 1)) n++;
  return n;
}

/** The physical unit of a CSV upload (field 'units', default mV), validated. */
export function parseUnits(value: string | undefined): string {
  if (value === undefined || value.trim() === "") return "mV";
  const v = value.trim();
  if (!/^[A-Za-zµ%]{1,8}$/.test(v)) {
    throw new UsageError(`units: expected a unit such as mV, uV or NU, got '${v.slice(0, 20)}'`);
  }
  return v;
}

/** The sampling rate field of a CSV upload, validated. */
export function parseFs(value: string | undefined): number {
  if (value === undefined || value.trim() === "") {
    throw new UsageError("fs: a CSV upload needs the sampling rate in field 'fs' (Hz)");
  }
  const fs = Number(value);
  const { minFs, maxFs } = RECORD_LIMITS;
  if (!Number.isFinite(fs) || fs < minFs || fs > maxFs) {
    throw new UsageError(
      `fs: expected a sampling rate in Hz between ${minFs} and ${maxFs}, got '${value.slice(0, 24)}'`,
    );
  }
  return fs;
}
