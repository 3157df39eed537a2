/**
 * Reading WFDB records (wfdb-python's `rdrecord`): single- and multi-segment records, every binary
 * format of formats.ts, skew, byte offsets, multi-frequency signals (frames averaged, as
 * wfdb-python's default `smooth_frames`), checksum verification and physical units.
 */
import { join } from "node:path";
import { EcgFormatError, ParameterError, clippedList } from "../errors.js";
import type { EcgRecord } from "../types.js";
import { INVALID_SAMPLE } from "./formats.js";
import { headerPath, readHeader, type WfdbHeader, type WfdbSignalSpec } from "./header.js";
import { checkReadSize, checkSampleCount } from "./limits.js";
import { SignalFile } from "./signalfile.js";

export interface ReadRecordOptions {
  /** First sample to read (inclusive), default 0. */
  sampfrom?: number;
  /** Sample to stop at (exclusive), default the record length. */
  sampto?: number;
  /** Signals to read, by index or by name (case-insensitive), in the order wanted. */
  channels?: (string | number)[];
}

/** A record as read from disk: an EcgRecord plus its header and anything worth a warning. */
export interface WfdbRecord extends EcgRecord {
  header: WfdbHeader;
  /** Non-fatal problems, e.g. a checksum mismatch. */
  warnings: string[];
}

/** Lead name of a signal: its description, or a positional name when the header has none. */
export function signalName(spec: WfdbSignalSpec, index: number): string {
  return spec.description === "" ? `sig${index}` : spec.description;
}

/** Resolves a channel list (indices or names) against lead names. */
export function resolveChannels(
  names: string[],
  channels: (string | number)[] | undefined,
  record: string,
): number[] {
  if (channels === undefined) return names.map((_, i) => i);
  const lower = names.map((n) => n.toLowerCase());
  return channels.map((c) => {
    if (typeof c === "number") {
      if (!Number.isInteger(c) || c < 0 || c >= names.length) {
        throw new ParameterError(
          "channels",
          `index ${c} out of range for ${record} (${names.length} signals)`,
        );
      }
      return c;
    }
    let i = names.indexOf(c);
    if (i < 0) i = lower.indexOf(c.toLowerCase());
    if (i < 0)
      throw new ParameterError(
        "channels",
        `no signal '${c.slice(0, 40)}' in ${record} (has ${clippedList(names)})`,
      );
    return i;
  });
}

/** Checks sampfrom/sampto against a record length and returns them resolved. */
function resolveRange(opts: ReadRecordOptions, nsamp: number, record: string): [number, number] {
  const from = opts.sampfrom ?? 0;
  const to = opts.sampto ?? nsamp;
  if (!Number.isInteger(from) || from < 0) {
    throw new ParameterError("sampfrom", `expected a non-negative integer, got ${from}`);
  }
  if (!Number.isInteger(to) || to > nsamp) {
    throw new ParameterError(
      "sampto",
      `expected an integer <= ${nsamp} (length of ${record}), got ${to}`,
    );
  }
  if (to < from) throw new ParameterError("sampto", `(${to}) is before sampfrom (${from})`);
  return [from, to];
}

/**
 * Reads a WFDB record in physical units. `path` is the record path without extension (as WFDB
 * tools take it); ".hea" is tolerated.
 */
export function readRecord(path: string, opts: ReadRecordOptions = {}): WfdbRecord {
  const base = path.endsWith(".hea") ? path.slice(0, -4) : path;
  const header = readHeader(base);
  if (header.segments) return readMultiSegment(base, header, opts);
  return readSingleSegment(base, header, opts);
}

/** Groups a header's signals by signal file, keeping header order. */
function signalFiles(header: WfdbHeader): Map<string, number[]> {
  const files = new Map<string, number[]>();
  header.signals.forEach((s, i) => {
    const list = files.get(s.fileName);
    if (list) list.push(i);
    else files.set(s.fileName, [i]);
  });
  return files;
}

function readSingleSegment(base: string, header: WfdbHeader, opts: ReadRecordOptions): WfdbRecord {
  const hea = headerPath(base);
  const names = header.signals.map(signalName);
  const chosen = resolveChannels(names, opts.channels, base);
  const files = signalFiles(header);
  const open = new Map<string, SignalFile>();
  const warnings: string[] = [];
  try {
    // The record length: from the header, else from the size of the first signal file.
    let nsamp = header.samples;
    const fileOf = (fileName: string): SignalFile => {
      let f = open.get(fileName);
      if (!f) {
        const specs = files.get(fileName)!.map((i) => header.signals[i]);
        // the header's length (and skew) bounds what a compressed file may decode to
        const claimed =
          header.samples === undefined
            ? Infinity
            : header.samples + Math.max(0, ...specs.map((x) => x.skew));
        f = new SignalFile(join(header.dir, fileName), specs, hea, claimed);
        open.set(fileName, f);
      }
      return f;
    };
    const realFiles = [...files.keys()].filter(
      (f) => f !== "~" && header.signals[files.get(f)![0]].fmt !== "0",
    );
    if (nsamp === undefined)
      nsamp = realFiles.length > 0 ? fileOf(realFiles[0]).availableFrames : 0;
    const [from, to] = resolveRange(opts, nsamp, base);
    const n = to - from;
    const whole = from === 0 && to === nsamp;

    // First every file's plan and length check, so a header promising more than its files hold
    // fails before anything large is allocated.
    const plans: {
      members: number[];
      wanted: number[][];
      file?: SignalFile;
      fFrom: number;
      readTo: number;
    }[] = [];
    for (const [fileName, members] of files) {
      const wanted = chosen.map((c, out) => [c, out]).filter(([c]) => members.includes(c));
      if (wanted.length === 0) continue;
      const spec0 = header.signals[members[0]];
      if (fileName === "~" || spec0.fmt === "0") {
        plans.push({ members, wanted, fFrom: 0, readTo: 0 });
        continue;
      }
      const file = fileOf(fileName);
      const skews = wanted.map(([c]) => header.signals[c].skew);
      // A whole-record read starts at frame 0: WFDB checksums cover the stored frames [0, nsamp).
      const fFrom = whole ? 0 : from + Math.min(...skews);
      const fTo = to + Math.max(...skews);
      // Frames the header promises must be there; skewed frames past the end read as invalid.
      const mustHave = Math.min(fTo, nsamp);
      if (n > 0 && mustHave > file.availableFrames) {
        throw new EcgFormatError(
          file.path,
          `truncated signal file: ${file.availableFrames} frames, the header needs ${mustHave}`,
        );
      }
      plans.push({ members, wanted, file, fFrom, readTo: Math.min(fTo, file.availableFrames) });
    }

    const nullSignals = plans.reduce((a, p) => a + (p.file ? 0 : p.wanted.length), 0);
    checkReadSize(n, chosen.length, n * nullSignals, hea);
    const signal = new Float32Array(n * chosen.length);
    for (const { members, wanted, file, fFrom, readTo } of plans) {
      if (!file) {
        for (const [, out] of wanted) signal.fill(NaN, out * n, (out + 1) * n);
        continue;
      }
      const flat = readTo > fFrom ? file.readFrames(fFrom, readTo) : new Int32Array(0);
      // Offset of each member's first sample within a frame.
      const offsetInFrame = new Map<number, number>();
      let k = 0;
      for (const m of members) {
        offsetInFrame.set(m, k);
        k += header.signals[m].samplesPerFrame;
      }
      for (const [c, out] of wanted) {
        const spec = header.signals[c];
        const invalid = INVALID_SAMPLE[spec.fmt];
        const spf = spec.samplesPerFrame;
        const off = offsetInFrame.get(c)!;
        const dst = signal.subarray(out * n, (out + 1) * n);
        // Samples whose frame lies past the end of the file (skew at the end) are missing.
        const inFile = Math.max(0, Math.min(n, readTo - (from + spec.skew)));
        toPhysical(
          flat,
          dst,
          inFile,
          (from + spec.skew - fFrom) * file.tspf + off,
          file.tspf,
          spf,
          invalid ?? NO_INVALID,
          spec.baseline,
          spec.adcGain,
        );
        dst.fill(NaN, inFile);
        if (whole && spec.checksum !== undefined) {
          const cs = checksum(flat, file.tspf, off, spf, 0, nsamp, readTo);
          if (((cs - spec.checksum) & 0xffff) !== 0) {
            warnings.push(
              `${file.path}: checksum mismatch for signal ${c} '${names[c]}' (header ${spec.checksum}, data ${toInt16(cs)})`,
            );
          }
        }
      }
    }
    return {
      name: header.name,
      path: base,
      fs: header.fs,
      samples: n,
      leads: chosen.map((c) => names[c]),
      units: chosen.map((c) => header.signals[c].units),
      signal,
      comments: header.comments,
      header,
      warnings,
    };
  } finally {
    for (const f of open.values()) f.close();
  }
}

/** A value no decoded sample can take: formats without an invalid-sample code use it. */
const NO_INVALID = 2 ** 40;

/**
 * Digital to physical units for one signal: `count` samples, the first at `start` in the flat frame
 * stream, frames `tspf` apart; frames of `spf` samples are averaged over their valid samples.
 * A separate small function so that V8 optimises this hot loop on its own.
 */
function toPhysical(
  flat: Int32Array,
  dst: Float32Array,
  count: number,
  start: number,
  tspf: number,
  spf: number,
  invalid: number,
  baseline: number,
  gain: number,
): void {
  if (spf === 1) {
    for (let i = 0, at = start; i < count; i++, at += tspf) {
      const d = flat[at];
      dst[i] = d === invalid ? NaN : (d - baseline) / gain;
    }
    return;
  }
  for (let i = 0, at = start; i < count; i++, at += tspf) {
    let sum = 0;
    let valid = 0;
    for (let j = 0; j < spf; j++) {
      const d = flat[at + j];
      if (d !== invalid) {
        sum += d;
        valid++;
      }
    }
    dst[i] = valid === 0 ? NaN : (sum / valid - baseline) / gain;
  }
}

/** WFDB checksum: the 16-bit sum of every sample of one signal (all samples of each frame). */
function checksum(
  flat: Int32Array,
  tspf: number,
  off: number,
  spf: number,
  firstFrame: number,
  frames: number,
  availFrames: number,
): number {
  let sum = 0;
  const last = Math.min(firstFrame + frames, availFrames);
  for (let f = firstFrame; f < last; f++) {
    const at = f * tspf + off;
    for (let j = 0; j < spf; j++) sum = (sum + flat[at + j]) & 0xffff;
  }
  return sum;
}

const toInt16 = (v: number): number => (v << 16) >> 16;

/**
 * Multi-segment records: segments are records of their own, concatenated in time. With a layout
 * segment (length 0) the signals are those of the layout and each segment maps its signals by name;
 * "~" segments are gaps (NaN).
 */
function readMultiSegment(base: string, header: WfdbHeader, opts: ReadRecordOptions): WfdbRecord {
  const hea = headerPath(base);
  const segs = header.segments!;
  const hasLayout = segs[0].samples === 0 && segs[0].name !== "~";
  let layout: WfdbHeader | undefined;
  if (hasLayout) layout = readHeader(join(header.dir, segs[0].name));
  else {
    const first = segs.find((s) => s.name !== "~" && s.samples > 0);
    if (!first) throw new EcgFormatError(hea, "multi-segment record with only empty segments");
    layout = readHeader(join(header.dir, first.name));
  }
  if (layout.segments)
    throw new EcgFormatError(hea, "nested multi-segment records are not supported");
  const names = layout.signals.map(signalName);
  const chosen = resolveChannels(names, opts.channels, base);
  const total = segs.reduce((a, s) => a + s.samples, 0);
  checkSampleCount(total, hea, "samples in all segments");
  const nsamp = header.samples ?? total;
  const [from, to] = resolveRange(opts, nsamp, base);
  const n = to - from;
  // Samples of gap segments within [from, to) read as NaN: no file backs them.
  let gaps = Math.max(0, to - Math.max(from, total));
  for (let i = 0, start = 0; i < segs.length; start += segs[i].samples, i++) {
    if (segs[i].name === "~") {
      gaps += Math.max(0, Math.min(to, start + segs[i].samples) - Math.max(from, start));
    }
  }
  checkReadSize(n, chosen.length, gaps * chosen.length, hea);
  const signal = new Float32Array(n * chosen.length).fill(NaN);
  const warnings: string[] = [];
  let start = 0;
  for (const seg of segs) {
    const end = start + seg.samples;
    const a = Math.max(from, start);
    const b = Math.min(to, end);
    if (seg.samples > 0 && b > a && seg.name !== "~") {
      const segPath = join(header.dir, seg.name);
      const segHeader = readHeader(segPath);
      const segNames = segHeader.signals.map(signalName);
      // Fixed layout: same signals by position; variable layout: by name, absent ones stay NaN.
      const pick: (string | number)[] = [];
      const outIdx: number[] = [];
      chosen.forEach((c, out) => {
        if (!hasLayout) {
          if (c < segNames.length) {
            pick.push(c);
            outIdx.push(out);
          }
        } else {
          const j = segNames.indexOf(names[c]);
          if (j >= 0) {
            pick.push(j);
            outIdx.push(out);
          }
        }
      });
      if (pick.length > 0) {
        const part = readSingleSegment(segPath, segHeader, {
          sampfrom: a - start,
          sampto: b - start,
          channels: pick,
        });
        warnings.push(...part.warnings);
        outIdx.forEach((out, j) => {
          signal.set(part.signal.subarray(j * (b - a), (j + 1) * (b - a)), out * n + (a - from));
        });
      }
    }
    start = end;
  }
  return {
    name: header.name,
    path: base,
    fs: header.fs,
    samples: n,
    leads: chosen.map((c) => names[c]),
    units: chosen.map((c) => layout.signals[c].units),
    signal,
    comments: header.comments,
    header,
    warnings,
  };
}
