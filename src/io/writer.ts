/**
 * Writing WFDB records (wfdb-python's `wrsamp`): one signal file holding every signal, a header
 * with gains, initial values and checksums so that any WFDB reader can verify it.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EcgFormatError, ParameterError } from "../errors.js";
import type { EcgRecord } from "../types.js";
import { FORMAT_RANGE, INVALID_SAMPLE, encodeSamples, formatLayout } from "./formats.js";

export interface WriteRecordOptions {
  /** Storage format, default "16". Any of 8, 16, 24, 32, 61, 80, 160, 212, 310, 311. */
  fmt?: string;
  /**
   * ADC gain (adu per physical unit) for every signal. Default: 1000 for 16-bit and wider formats
   * (1 uV steps for mV) and 200 for narrower ones, lowered per signal when its range would clip.
   */
  gain?: number;
}

const BITS: Record<string, number> = {
  "8": 8,
  "16": 16,
  "24": 24,
  "32": 32,
  "61": 16,
  "80": 8,
  "160": 16,
  "212": 12,
  "310": 10,
  "311": 10,
};

function writeAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * Writes `record` as `dir/NAME.hea` + `dir/NAME.dat` and returns the record path (no extension).
 * NaN samples are stored as the format's invalid value and read back as NaN.
 */
export function writeRecord(dir: string, record: EcgRecord, opts: WriteRecordOptions = {}): string {
  const fmt = opts.fmt ?? "16";
  if (!formatLayout(fmt)) throw new ParameterError("fmt", `cannot write WFDB format '${fmt}'`);
  if (!/^[-\w.]+$/.test(record.name)) {
    throw new ParameterError(
      "record",
      `name '${record.name}': use letters, digits, '-', '_' and '.' only`,
    );
  }
  const nsig = record.leads.length;
  const n = record.samples;
  if (record.signal.length !== nsig * n) {
    throw new EcgFormatError(
      record.name,
      `signal has ${record.signal.length} values, expected ${nsig} x ${n}`,
    );
  }
  if (!(record.fs > 0))
    throw new EcgFormatError(record.name, `invalid sampling frequency ${record.fs}`);
  const [lo, hi] = FORMAT_RANGE[fmt];
  const invalid = INVALID_SAMPLE[fmt];
  // Keep the format's lowest value free: WFDB reads it as "invalid sample".
  const minValid = invalid === undefined ? lo : lo + 1;
  const defaultGain = BITS[fmt] >= 16 ? 1000 : 200;

  const digital = new Int32Array(nsig * n);
  const gains: number[] = [];
  for (let s = 0; s < nsig; s++) {
    const x = record.signal.subarray(s * n, (s + 1) * n);
    let gain = opts.gain ?? defaultGain;
    if (!(gain > 0) || !Number.isFinite(gain))
      throw new ParameterError("gain", `expected a positive number, got ${gain}`);
    if (opts.gain === undefined) {
      let maxAbs = 0;
      for (let i = 0; i < n; i++) if (Math.abs(x[i]) > maxAbs) maxAbs = Math.abs(x[i]);
      // Lower the gain (to a round value) only when the signal would not fit the format.
      while (maxAbs * gain > hi && gain > 1e-6) gain /= 10;
    }
    gains.push(gain);
    for (let i = 0; i < n; i++) {
      const v = x[i];
      let d: number;
      if (Number.isNaN(v)) d = invalid ?? 0;
      else d = Math.min(hi, Math.max(minValid, Math.round(v * gain)));
      // Frame interleaving: sample i of every signal, then sample i + 1.
      digital[i * nsig + s] = d;
    }
  }
  const owner = new Int32Array(nsig).map((_, k) => k);
  const init = Array.from({ length: nsig }, (_, s) => (n > 0 ? digital[s] : 0));
  const zeros = new Array<number>(nsig).fill(0);
  const bytes = encodeSamples(fmt, digital, owner, fmt === "8" ? init : zeros);
  // Format 8 clips steep slopes: checksums must be of what a reader decodes.
  const stored = fmt === "8" ? replayFormat8(bytes, nsig, init) : digital;
  const sums = new Array<number>(nsig).fill(0);
  for (let k = 0; k < stored.length; k++) sums[k % nsig] = (sums[k % nsig] + stored[k]) & 0xffff;

  mkdirSync(dir, { recursive: true });
  const datName = `${record.name}.dat`;
  const lines = [`${record.name} ${nsig} ${formatNumber(record.fs)} ${n}`];
  for (let s = 0; s < nsig; s++) {
    const units = (record.units[s] ?? "mV").replace(/\s+/g, "_") || "mV";
    const cs = (sums[s] << 16) >> 16;
    lines.push(
      `${datName} ${fmt} ${formatNumber(gains[s])}(0)/${units} ${BITS[fmt]} 0 ${init[s]} ${cs} 0 ${record.leads[s]}`,
    );
  }
  for (const c of record.comments ?? []) lines.push(`# ${c}`);
  writeAtomic(join(dir, datName), bytes);
  writeAtomic(join(dir, `${record.name}.hea`), lines.join("\n") + "\n");
  return join(dir, record.name);
}

function replayFormat8(bytes: Uint8Array, nsig: number, init: number[]): Int32Array {
  const acc = init.slice();
  const out = new Int32Array(bytes.length);
  for (let k = 0; k < bytes.length; k++) {
    acc[k % nsig] += (bytes[k] << 24) >> 24;
    out[k] = acc[k % nsig];
  }
  return out;
}

/** Shortest decimal text that reads back as the same number. */
function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(12)));
}
