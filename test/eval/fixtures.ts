/**
 * Deterministic synthetic tabular data for the forest tests and bench, generated from an integer
 * LCG so that bench/reference/forest_sklearn.py rebuilds exactly the same numbers.
 */
export interface Tabular {
  n: number;
  d: number;
  X: Float64Array; // n x d in [0, 1)
  labels: Uint8Array; // n x 3 (multi-label)
  cls: Int32Array; // n, classes 0..2
  target: Float64Array; // n, Friedman #1 regression target
}

/** Numerical Recipes LCG mod 2^32; x / 2^32 in [0, 1). Same sequence in Python. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function makeTabular(n: number, d: number, seed: number): Tabular {
  const r = lcg(seed);
  const X = new Float64Array(n * d);
  for (let i = 0; i < X.length; i++) X[i] = r();
  const labels = new Uint8Array(n * 3);
  const cls = new Int32Array(n);
  const target = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = (j: number) => X[i * d + j];
    const e1 = r() - 0.5;
    const e2 = r() - 0.5;
    const e3 = r() - 0.5;
    labels[i * 3] = x(0) + x(1) * x(1) + 0.4 * e1 > 0.85 ? 1 : 0;
    labels[i * 3 + 1] = x(2) - x(3) + 0.3 * e2 > 0 ? 1 : 0;
    labels[i * 3 + 2] = (x(4) - 0.5) ** 2 + (x(0) - 0.5) ** 2 + 0.05 * e3 < 0.08 ? 1 : 0;
    const s = x(0) + x(2) + 0.3 * e1;
    cls[i] = s < 0.8 ? 0 : s < 1.2 ? 1 : 2;
    target[i] =
      10 * Math.sin(Math.PI * x(0) * x(1)) + 20 * (x(2) - 0.5) ** 2 + 10 * x(3) + 5 * x(4) + 2 * e2;
  }
  return { n, d, X, labels, cls, target };
}
