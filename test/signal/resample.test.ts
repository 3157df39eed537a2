import assert from "node:assert/strict";
import { test } from "node:test";
import {
  firwin,
  resampleFactors,
  resamplePoly,
  resampledLength,
} from "../../src/signal/resample.js";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

const xs = Float64Array.from({ length: 64 }, (_, t) => Math.sin(t * 0.3) + (t % 7) / 7);

test("resamplePoly matches scipy.signal.resample_poly", () => {
  // Expected values from scipy 1.17: resample_poly(xs, 3, 7) and resample_poly(xs, 5, 2).
  const a = resamplePoly(xs, 3, 7);
  assert.equal(a.length, 28);
  for (const [i, v] of [
    [0, 0.10730003],
    [5, 0.41316549],
    [13, 0.56178961],
    [27, 0.21435876],
  ]) {
    close(a[i], v, 1e-6, `3/7 y[${i}]`);
  }
  const b = resamplePoly(xs, 5, 2);
  assert.equal(b.length, 160);
  for (const [i, v] of [
    [0, 0],
    [33, -0.014788389],
    [100, 0.1778284],
    [159, -0.059869062],
  ]) {
    close(b[i], v, 1e-6, `5/2 y[${i}]`);
  }
});

test("upsampling keeps the original samples (zero-phase alignment)", () => {
  const y = resamplePoly(xs, 4, 1);
  // An interpolating filter: away from the edges output 4j is input j (Kaiser windowed sinc).
  for (let j = 12; j < 52; j++) close(y[4 * j], xs[j], 2e-3, `y[${4 * j}]`);
});

test("a sine keeps its amplitude and frequency through 500 -> 100 Hz and 100 -> 360 Hz", () => {
  for (const [from, to, f] of [
    [500, 100, 7],
    [100, 360, 3],
    [257, 100, 11],
  ]) {
    const n = from * 10;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * f * i) / from));
    const [up, down] = resampleFactors(from, to);
    const y = resamplePoly(x, up, down);
    assert.equal(y.length, Math.ceil((n * to) / from), `length ${from} -> ${to}`);
    for (let j = to; j < y.length - to; j += 13) {
      close(y[j], Math.sin((2 * Math.PI * f * j) / to), 5e-3, `${from}->${to} y[${j}]`);
    }
  }
});

test("decimation removes what would alias", () => {
  // 45 Hz at 500 Hz is above the 50 Hz Nyquist of 100 Hz only after aliasing... use 70 Hz.
  const x = Float64Array.from({ length: 5000 }, (_, i) => Math.sin((2 * Math.PI * 70 * i) / 500));
  const y = resamplePoly(x, 1, 5);
  let peak = 0;
  for (let j = 100; j < y.length - 100; j++) peak = Math.max(peak, Math.abs(y[j]));
  assert.ok(peak < 1e-3, `70 Hz leaks ${peak} into 100 Hz output`);
});

test("factors, lengths and the FIR design", () => {
  assert.deepEqual(resampleFactors(500, 100), [1, 5]);
  assert.deepEqual(resampleFactors(360, 100), [5, 18]);
  assert.deepEqual(resampleFactors(1000 / 3, 100), [3, 10]);
  assert.equal(resampledLength(1001, 1, 5), 201);
  assert.equal(resampledLength(5000, 2, 10), 1000);
  const h = firwin(101, 0.2);
  close(
    h.reduce((s, v) => s + v, 0),
    1,
    1e-12,
    "unit DC gain",
  );
  for (let i = 0; i < 50; i++) close(h[i], h[100 - i], 1e-15, `symmetric tap ${i}`);
  assert.deepEqual(Array.from(resamplePoly([1, 2, 3], 2, 2)), [1, 2, 3]);
});
