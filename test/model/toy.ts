/** Toy labelled ECGs and a tiny network shape for the training tests (and their child processes). */
import type { LabelledSet } from "../../src/model/data.js";

const LEN = 1024;
const PER = 12 * LEN;

/** Toy ECGs: class c present when lead c carries a burst; deterministic. */
export function toySet(n: number, seed: number): LabelledSet {
  const x = new Float32Array(n * PER);
  const y = new Float32Array(n * 5);
  let s = seed;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 5; c++) y[i * 5 + c] = rnd() < 0.4 ? 1 : 0;
    for (let l = 0; l < 12; l++) {
      for (let t = 0; t < LEN; t++) {
        const burst = l < 5 && y[i * 5 + l] === 1 ? Math.sin((2 * Math.PI * t) / 10) : 0;
        x[i * PER + l * LEN + t] = burst + 0.1 * (rnd() - 0.5);
      }
    }
  }
  return { ids: Array.from({ length: n }, (_, i) => `toy${i}`), x, y, n, outputs: 5 };
}

export const TINY = {
  channels: [4, 4, 4, 6, 6],
  kernel: 5,
  batchSize: 8,
  progress: null,
  dropout: 0,
};
