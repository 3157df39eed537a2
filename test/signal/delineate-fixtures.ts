/** Shared helpers of the delineation tests: real LUDB records, seeded noise, scoring one record. */
import { readLudbWaves, readRecord } from "../../src/io/index.js";
import { DelineationScorer, type DelineationScore } from "../../src/eval/delineation-score.js";
import type { EcgRecord, Wave } from "../../src/types.js";
import { sharedData } from "../data.js";
import { join } from "node:path";

export function ludbPath(id: number): string {
  return join(sharedData("ludb", "data"), String(id));
}

export function ludb(id: number): EcgRecord {
  return readRecord(ludbPath(id));
}

/** Scores `waves` (record samples at `fs`) against LUDB record `id`'s annotations (500 Hz). */
export function scoreAgainstLudb(id: number, waves: Wave[], fs = 500): DelineationScore {
  const s = new DelineationScorer(150);
  const r = ludb(id);
  const k = fs / r.fs;
  for (const lead of r.leads) {
    const t = readLudbWaves(ludbPath(id), lead);
    const scale = (w: Wave): Wave => ({
      ...w,
      onset: Math.round(w.onset * k),
      peak: Math.round(w.peak * k),
      offset: Math.round(w.offset * k),
    });
    s.add(
      waves.filter((w) => w.lead === lead),
      t.waves.map(scale),
      [Math.round(t.span[0] * k), Math.round(t.span[1] * k)],
      fs,
    );
  }
  return s.result();
}

/** mulberry32 uniform generator with Box-Muller normals: deterministic test noise. */
export function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

export function withSignal(r: EcgRecord, signal: Float32Array, fs = r.fs): EcgRecord {
  return { ...r, fs, samples: signal.length / r.leads.length, signal };
}
