/**
 * A WFDB upload (header + signal files) read with the io module's reader. The reader takes a path,
 * so the files go to a fresh private temp dir (mkdtemp, mode 0700) under names the SERVER chooses:
 * the header keeps its record name only if it is a plain name (SAFE_RECORD), else it becomes
 * "upload"; its signal files become "signal0.dat", ... The client's file names are only matched
 * against the header and quoted in messages. The dir is removed whatever happens.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseHeader, type WfdbHeader } from "../io/header.js";
import type { EcgRecord } from "../types.js";
import { HttpError } from "./http-error.js";
import type { UploadedFile } from "./upload.js";

/** Reads a record from a path without extension (io's readRecord, possibly async). */
export type RecordReader = (path: string) => EcgRecord | Promise<EcgRecord>;

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.~-]{0,99}$/;
const SAFE_EXT = /^\.[A-Za-z0-9]{1,8}$/;

/** A record name safe to use as a file name as it is: no dots, no separators, short. */
const SAFE_RECORD = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface RewrittenHeader {
  /**
   * The header's record name when it passes SAFE_RECORD (so that the reader's messages quote it),
   * else "upload"; the header file is written as `${recordName}.hea`.
   */
  recordName: string;
  /** Header text with server-chosen names. */
  text: string;
  /** Signal file named in the header -> the server's name for it. */
  files: Map<string, string>;
}

/** Rewrites a header so that every name in it is ours; 400 for what cannot be a single-segment header. */
export function rewriteHeader(text: string, headerName: string): RewrittenHeader {
  if (text.includes("\0")) throw new HttpError(400, `${headerName}: not a text header`);
  const lines = text.split(/\r?\n/);
  const files = new Map<string, string>();
  let recordName = "";
  const out: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      out.push(line);
      continue;
    }
    const [first, ...rest] = trimmed.split(/\s+/);
    if (!recordName) {
      // name/N is a multi-segment record; any other '/' is just a name that is not ours to keep
      if (/^[^/]+\/\d+$/.test(first)) {
        throw new HttpError(400, `${headerName}: multi-segment records cannot be uploaded`);
      }
      recordName = SAFE_RECORD.test(first) ? first : "upload";
      out.push([recordName, ...rest].join(" "));
      continue;
    }
    if (first === "~") {
      out.push(trimmed);
      continue;
    }
    if (!SAFE_NAME.test(first)) {
      throw new HttpError(
        400,
        `${headerName}: signal file name '${first.slice(0, 40)}' is not a plain file name`,
      );
    }
    let mine = files.get(first);
    if (!mine) {
      const dot = first.lastIndexOf(".");
      const ext = dot > 0 && SAFE_EXT.test(first.slice(dot)) ? first.slice(dot) : "";
      mine = `signal${files.size}${ext}`;
      files.set(first, mine);
    }
    out.push([mine, ...rest].join(" "));
  }
  if (!recordName) throw new HttpError(400, `${headerName}: empty header`);
  return {
    recordName,
    text: out.join("\n"),
    files,
  };
}

/**
 * Most values the explorer decodes from one upload (2^24, 64 MB of float32: 12 leads x 23 min at
 * 1 kHz). Uncompressed files are bounded by the upload limit already; a FLAC file is not (a few
 * kilobytes can claim hundreds of megabytes), so its header must give the length, within this.
 */
export const MAX_UPLOAD_VALUES = 2 ** 24;

function checkUploadClaims(h: WfdbHeader, name: string): void {
  const perFrame = h.signals.reduce((a, x) => a + x.samplesPerFrame, 0);
  const flac = h.signals.some((x) => /^5\d\d$/.test(x.fmt));
  if (h.samples === undefined) {
    if (flac)
      throw new HttpError(400, `${name}: a FLAC upload needs the number of samples in its header`);
    return;
  }
  if (h.samples * perFrame > MAX_UPLOAD_VALUES) {
    throw new HttpError(
      413,
      `${name}: ${h.samples} samples x ${perFrame} per frame is more than the explorer reads from an upload (${MAX_UPLOAD_VALUES} values); upload a segment`,
    );
  }
}

/** Reads an uploaded WFDB record (exactly one .hea plus the signal files it names). */
export async function readWfdbUpload(
  uploaded: UploadedFile[],
  readRecord: RecordReader,
): Promise<EcgRecord> {
  const headers = uploaded.filter((f) => /\.hea$/i.test(f.name));
  if (headers.length !== 1) {
    throw new HttpError(
      400,
      headers.length === 0
        ? "files: no .hea header among the uploaded files (upload the .hea and its signal file)"
        : `files: ${headers.length} .hea headers uploaded, expected one record`,
    );
  }
  const header = headers[0];
  const signals = uploaded.filter((f) => f !== header);
  const rewritten = rewriteHeader(header.data.toString("latin1"), header.name);
  checkUploadClaims(parseHeader(rewritten.text, header.name), header.name);
  const payload = new Map<string, { file: UploadedFile; original: string }>();
  for (const [original, mine] of rewritten.files) {
    let file = signals.find((f) => f.name === original);
    // one signal file under another name (e.g. renamed on download): accept it
    if (!file && rewritten.files.size === 1 && signals.length === 1) file = signals[0];
    if (!file) {
      throw new HttpError(
        400,
        `${header.name} names signal file '${original}', which was not uploaded`,
      );
    }
    payload.set(mine, { file, original });
  }
  const dir = await mkdtemp(join(tmpdir(), "ecg-tlc-upload-"));
  try {
    const base = join(dir, rewritten.recordName);
    await writeFile(base + ".hea", rewritten.text, { mode: 0o600 });
    for (const [mine, { file }] of payload) {
      await writeFile(join(dir, mine), file.data, { mode: 0o600 });
    }
    try {
      const r = await readRecord(base);
      // only the record itself: the reader's extras (header, paths) name our temp dir
      return {
        name: rewritten.recordName,
        fs: r.fs,
        samples: r.samples,
        leads: r.leads,
        units: r.units,
        signal: r.signal,
        comments: r.comments,
      };
    } catch (err) {
      // say it with the client's names, never our temp paths
      if (err instanceof Error) {
        let msg = err.message.split("\n")[0];
        for (const [mine, { file }] of payload) msg = msg.split(join(dir, mine)).join(file.name);
        msg = msg.split(base + ".hea").join(header.name);
        msg = msg.split(base).join(header.name.replace(/\.hea$/i, ""));
        msg = msg.split(dir).join("upload");
        err.message = msg;
      }
      throw err;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
