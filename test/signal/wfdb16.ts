/**
 * A deliberately tiny format-16 WFDB reader for the signal tests: independent of src/io so that
 * the preprocessing checks do not depend on (or share bugs with) the real reader.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { EcgRecord } from "../../src/types.js";

export function readFormat16(path: string): EcgRecord {
  const lines = readFileSync(path + ".hea", "utf8")
    .split(/\r?\n/)
    .filter((l) => l.trim() && !l.startsWith("#"));
  const [, nSigStr, fsStr, nStr] = lines[0].trim().split(/\s+/);
  const nSig = Number(nSigStr);
  const fs = Number(fsStr);
  const n = Number(nStr);
  const buf = readFileSync(path + ".dat");
  const raw = new Int16Array(buf.buffer, buf.byteOffset, nSig * n);
  const signal = new Float32Array(nSig * n);
  const leads: string[] = [];
  const units: string[] = [];
  lines.slice(1, 1 + nSig).forEach((line, k) => {
    const f = line.trim().split(/\s+/);
    const m = /^([\d.]+)(?:\((-?\d+)\))?(?:\/(\S+))?$/.exec(f[2])!;
    const gain = Number(m[1]);
    const base = m[2] === undefined ? 0 : Number(m[2]);
    units.push(m[3] ?? "mV");
    leads.push(f[f.length - 1]);
    for (let i = 0; i < n; i++) signal[k * n + i] = (raw[i * nSig + k] - base) / gain;
  });
  return { name: basename(path), path, fs, samples: n, leads, units, signal };
}
