/**
 * WFDB annotation files in the MIT format (annot(5)), as wfdb-python's `rdann`/`wrann` read and
 * write them, and LUDB's per-lead wave annotations.
 *
 * Each annotation is a 16-bit little-endian word: 6 high bits of code, 10 low bits of sample
 * interval. Pseudo-codes follow an annotation to extend it: SKIP (59, a 32-bit interval), NUM (60),
 * SUB (61), CHN (62) and AUX (63, a byte string). A zero word ends the file.
 */
import { renameSync, writeFileSync } from "node:fs";
import { EcgFormatError } from "../errors.js";
import { readSmallFile } from "./files.js";
import type { Annotation, Landmark, Wave, WaveType } from "../types.js";

const SKIP = 59;
const NUM = 60;
const SUB = 61;
const CHN = 62;
const AUX = 63;
const NOTE = 22;

/** MIT annotation codes to symbols (wfdb-python's `ann_label_table`); gaps are unassigned codes. */
export const ANNOTATION_SYMBOLS: readonly string[] = (() => {
  const table: string[] = [];
  const defined: [number, string][] = [
    [0, " "],
    [1, "N"],
    [2, "L"],
    [3, "R"],
    [4, "a"],
    [5, "V"],
    [6, "F"],
    [7, "J"],
    [8, "A"],
    [9, "S"],
    [10, "E"],
    [11, "j"],
    [12, "/"],
    [13, "Q"],
    [14, "~"],
    [16, "|"],
    [18, "s"],
    [19, "T"],
    [20, "*"],
    [21, "D"],
    [22, '"'],
    [23, "="],
    [24, "p"],
    [25, "B"],
    [26, "^"],
    [27, "t"],
    [28, "+"],
    [29, "u"],
    [30, "?"],
    [31, "!"],
    [32, "["],
    [33, "]"],
    [34, "e"],
    [35, "n"],
    [36, "@"],
    [37, "x"],
    [38, "f"],
    [39, "("],
    [40, ")"],
    [41, "r"],
  ];
  for (let c = 0; c <= 58; c++) table[c] = `[${c}]`;
  for (const [c, s] of defined) table[c] = s;
  return table;
})();

/** Code of an annotation symbol, or undefined when it is not in the standard table. */
export function annotationCode(symbol: string): number | undefined {
  const i = ANNOTATION_SYMBOLS.indexOf(symbol);
  return i >= 0 ? i : undefined;
}

/** Path of the annotation file of a record: `record.ext`. */
export function annotationPath(record: string, ext: string): string {
  const base = record.endsWith(".hea") ? record.slice(0, -4) : record;
  return `${base}.${ext.replace(/^\./, "")}`;
}

/** Reads `record.ext` (MIT format). */
export function readAnnotations(path: string, ext: string): Annotation[] {
  const file = annotationPath(path, ext);
  const bytes = readSmallFile(file, "annotation file");
  return parseAnnotations(bytes, file);
}

/** Decodes the bytes of an MIT-format annotation file; `file` names it in errors. */
export function parseAnnotations(bytes: Uint8Array, file: string): Annotation[] {
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] !== 0) {
    // A leading zero word followed by data is the AHA format's signature, not MIT.
    throw new EcgFormatError(file, "not an MIT-format annotation file (AHA format?)");
  }
  const words = Math.floor(bytes.length / 2);
  const word = (i: number): number => bytes[2 * i] | (bytes[2 * i + 1] << 8);
  const out: Annotation[] = [];
  let sample = 0;
  let chan = 0;
  let num = 0;
  let i = 0;
  let ended = false;
  const custom = new Map<number, string>();
  while (i < words) {
    let w = word(i);
    if (w === 0) {
      ended = true;
      break;
    }
    // SKIP words move the time without an annotation; the interval is a 32-bit integer stored as
    // the high 16-bit word first (PDP-11 order).
    while (w >> 10 === SKIP) {
      if (i + 2 >= words) throw new EcgFormatError(file, `truncated SKIP at byte ${2 * i}`);
      const hi = word(i + 1);
      const lo = word(i + 2);
      sample += ((hi << 16) | lo) >> 0;
      i += 3;
      w = word(i);
    }
    const code = w >> 10;
    if (code > 49)
      throw new EcgFormatError(file, `unexpected annotation code ${code} at byte ${2 * i}`);
    sample += w & 0x3ff;
    i++;
    const ann: Annotation = {
      sample,
      symbol: ANNOTATION_SYMBOLS[code],
      code,
      subtype: 0,
      chan,
      num,
      aux: "",
    };
    // Pseudo-annotations that modify this annotation.
    while (i < words && word(i) >> 10 >= NUM) {
      const v = word(i);
      const a = v >> 10;
      const data = v & 0x3ff;
      i++;
      if (a === NUM) ann.num = num = (data << 24) >> 24;
      else if (a === SUB) ann.subtype = (data << 24) >> 24;
      else if (a === CHN) ann.chan = chan = data & 0xff;
      else if (a === AUX) {
        const len = data & 0xff;
        const nWords = Math.ceil(len / 2);
        if (i + nWords > words)
          throw new EcgFormatError(file, `truncated AUX string at byte ${2 * i}`);
        // Writers often count a terminating NUL in the length; it is not part of the text.
        ann.aux = Buffer.from(bytes.subarray(2 * i, 2 * i + len))
          .toString("latin1")
          .replace(/\0+$/, "");
        i += nWords;
      }
    }
    if (sample < 0) throw new EcgFormatError(file, `negative annotation time at byte ${2 * i}`);
    // Code 0 is not an annotation, and notes at sample 0 starting "## " are file definitions.
    if (code === 0) continue;
    if (code === NOTE && sample === 0) {
      // Notes at sample 0 define the file: "## time resolution", or custom labels "CODE SYMBOL text".
      const def = /^(\d+) (\S+) .+/.exec(ann.aux.trim());
      if (def && Number(def[1]) < 50) {
        custom.set(Number(def[1]), def[2]);
        continue;
      }
      if (ann.aux.startsWith("## ")) continue;
    }
    out.push(ann);
  }
  for (const a of out) {
    const sym = custom.get(a.code);
    if (sym !== undefined) a.symbol = sym;
  }
  if (!ended && words > 0 && bytes.length % 2 !== 0) {
    throw new EcgFormatError(file, "truncated annotation file (odd length, no end marker)");
  }
  return out;
}

/** Encodes annotations (sorted by sample) in MIT format. */
export function encodeAnnotations(annotations: Annotation[], file = "annotations"): Uint8Array {
  const words: number[] = [];
  let prev = 0;
  let chan = 0;
  let num = 0;
  const sorted = annotations
    .map((a, k) => [a, k] as const)
    .sort((x, y) => x[0].sample - y[0].sample || x[1] - y[1]);
  for (const [a] of sorted) {
    let code = a.code;
    if (!(code >= 1 && code <= 49)) {
      const c = annotationCode(a.symbol);
      if (c === undefined || c === 0)
        throw new EcgFormatError(file, `unknown annotation symbol '${a.symbol}'`);
      code = c;
    }
    if (!Number.isInteger(a.sample) || a.sample < 0) {
      throw new EcgFormatError(file, `invalid annotation sample ${a.sample}`);
    }
    let dt = a.sample - prev;
    // Intervals over 10 bits go in SKIP words (signed 32-bit, so very long gaps take several).
    while (dt > 1023) {
      const step = Math.min(dt, 0x7fffffff);
      words.push(SKIP << 10, Math.floor(step / 65536) & 0xffff, step & 0xffff);
      dt -= step;
    }
    words.push((code << 10) | dt);
    prev = a.sample;
    if (a.subtype !== 0) words.push((SUB << 10) | (a.subtype & 0xff));
    if (a.chan !== chan) {
      words.push((CHN << 10) | (a.chan & 0xff));
      chan = a.chan;
    }
    if (a.num !== num) {
      words.push((NUM << 10) | (a.num & 0xff));
      num = a.num;
    }
    if (a.aux) {
      const aux = Buffer.from(a.aux, "latin1").subarray(0, 255);
      words.push((AUX << 10) | aux.length);
      for (let k = 0; k < aux.length; k += 2) words.push(aux[k] | ((aux[k + 1] ?? 0) << 8));
    }
  }
  words.push(0);
  const out = new Uint8Array(words.length * 2);
  words.forEach((w, k) => {
    out[2 * k] = w & 0xff;
    out[2 * k + 1] = (w >> 8) & 0xff;
  });
  return out;
}

/** Writes `path.ext` in MIT format (atomically: a temporary file renamed into place). */
export function writeAnnotations(path: string, ext: string, annotations: Annotation[]): void {
  const file = annotationPath(path, ext);
  const bytes = encodeAnnotations(annotations, file);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

/** Makes an annotation from a symbol with default fields. */
export function annotation(
  sample: number,
  symbol: string,
  extra: Partial<Annotation> = {},
): Annotation {
  const code = annotationCode(symbol);
  if (code === undefined)
    throw new EcgFormatError("annotation", `unknown annotation symbol '${symbol}'`);
  return { sample, symbol, code, subtype: 0, chan: 0, num: 0, aux: "", ...extra };
}

const WAVE_OF: Record<string, WaveType> = { p: "P", N: "QRS", t: "T" };

/** LUDB lead name to its annotation extension ("aVR" -> "avr", "I" -> "i"). */
export function ludbExtension(lead: string): string {
  return lead.toLowerCase();
}

/** Waves of one lead of a LUDB record (see readLudbWaves). */
export interface LudbWaves {
  /** Each P ('p'), QRS ('N') and T ('t') peak with the '(' onset and ')' offset around it. */
  waves: Wave[];
  /** Every peak mark, those without an onset or an offset mark included (a few records leave
   * them out, e.g. QRS onsets in paced beats): the landmarks. */
  peaks: Landmark[];
  /** The annotated part [first, last] annotation sample: LUDB leaves the first and last beats of
   * a record unannotated, so outside it "no wave" means "unknown". */
  span: [number, number];
}

/** Waves and peaks of one lead of a LUDB record (see LudbWaves). */
export function readLudbWaves(path: string, lead: string): LudbWaves {
  const ext = ludbExtension(lead);
  const anns = readAnnotations(path, ext);
  return ludbWaves(anns, lead, annotationPath(path, ext));
}

/** Pairs LUDB onset/peak/offset annotations into waves (see readLudbWaves). */
export function ludbWaves(anns: Annotation[], lead: string, file = "annotations"): LudbWaves {
  const waves: Wave[] = [];
  const peaks: Landmark[] = [];
  // LUDB's marks are not always strict "(" peak ")" triples: the first and last waves of a record can
  // lack a mark, a few onsets come a sample after their peak, and some "( )" pairs have no peak.
  // Keep every peak that has an offset and an onset, taking the onset at the peak when the onset
  // mark was placed (at most 2 samples) after it.
  let onset: number | undefined;
  let peak: Annotation | undefined;
  for (const a of anns) {
    if (a.symbol === "(") {
      if (peak && onset === undefined && a.sample - peak.sample <= 2) onset = peak.sample;
      else {
        onset = a.sample;
        peak = undefined;
      }
    } else if (WAVE_OF[a.symbol]) {
      peaks.push({ type: WAVE_OF[a.symbol], peak: a.sample });
      if (peak) onset = undefined; // two peaks in one wave: the first has no offset
      peak = a;
    } else if (a.symbol === ")") {
      if (peak && onset !== undefined) {
        if (!(onset <= peak.sample && peak.sample <= a.sample)) {
          throw new EcgFormatError(file, `wave marks out of order at sample ${peak.sample}`);
        }
        waves.push({
          lead,
          type: WAVE_OF[peak.symbol],
          onset,
          peak: peak.sample,
          offset: a.sample,
        });
      }
      onset = undefined;
      peak = undefined;
    }
  }
  const span: [number, number] =
    anns.length > 0 ? [anns[0].sample, anns[anns.length - 1].sample] : [0, -1];
  return { waves, peaks, span };
}
