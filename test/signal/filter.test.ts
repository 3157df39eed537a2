import assert from "node:assert/strict";
import { test } from "node:test";
import { butterSos, sosGain, sosPadlen, sosfiltfilt } from "../../src/signal/filter.js";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

// A deterministic test input; expected outputs come from scipy 1.17:
// sosfiltfilt(butter(2, [1, 20], "bandpass", fs=100, output="sos"), xs).
const xs = Float64Array.from({ length: 64 }, (_, t) => Math.sin(t * 0.3) + (t % 7) / 7);

test("sosfiltfilt matches scipy on a deterministic input", () => {
  const y = sosfiltfilt(butterSos(2, [1, 20], "bandpass", 100), xs);
  const expected: [number, number][] = [
    [0, -0.26956006],
    [10, 0.2523841],
    [31, 0.037311839],
    [63, -0.0014195923],
  ];
  for (const [i, v] of expected) close(y[i], v, 2e-6, `y[${i}]`);
});

test("band-pass response: -3 dB at the corners, unity in the band, nothing at DC", () => {
  for (const [order, lo, hi, fs] of [
    [4, 0.5, 40, 500],
    [3, 0.5, 40, 100],
    [1, 1, 30, 250],
  ]) {
    const sos = butterSos(order, [lo, hi], "bandpass", fs);
    assert.equal(sos.length, order * 6, "one section per pole pair");
    close(sosGain(sos, lo, fs), Math.SQRT1_2, 1e-9, `gain at ${lo} Hz`);
    close(sosGain(sos, hi, fs), Math.SQRT1_2, 1e-9, `gain at ${hi} Hz`);
    close(sosGain(sos, Math.sqrt(lo * hi), fs), 1, 1e-3, "gain mid-band");
    close(sosGain(sos, 0, fs), 0, 1e-12, "gain at DC");
  }
  // A 4th-order Butterworth falls 24 dB per octave per side: checked one octave out.
  const sos = butterSos(4, [0.5, 40], "bandpass", 500);
  assert.ok(sosGain(sos, 160, 500) < 10 ** (-40 / 20), "strong stop-band 2 octaves above");
  assert.equal(sosPadlen(sos), 27, "scipy default padlen 3 * (2 * 4 + 1)");
});

test("low-pass and high-pass corners", () => {
  const lp = butterSos(3, 20, "lowpass", 100);
  close(sosGain(lp, 0, 100), 1, 1e-12, "low-pass DC gain");
  close(sosGain(lp, 20, 100), Math.SQRT1_2, 1e-9, "low-pass corner");
  const hp = butterSos(3, 0.7, "highpass", 100);
  close(sosGain(hp, 50, 100), 1, 1e-9, "high-pass Nyquist gain");
  close(sosGain(hp, 0.7, 100), Math.SQRT1_2, 1e-9, "high-pass corner");
});

test("zero phase: a symmetric pulse stays symmetric and in place; in-band sine keeps amplitude", () => {
  const n = 4001;
  const pulse = Float64Array.from({ length: n }, (_, i) => Math.exp(-(((i - 2000) / 8) ** 2)));
  const y = sosfiltfilt(butterSos(4, [0.5, 40], "bandpass", 500), pulse);
  let peak = 0;
  for (let i = 0; i < n; i++) if (y[i] > y[peak]) peak = i;
  assert.equal(peak, 2000, "the peak does not move");
  // Exact symmetry up to the edge transients of the 0.5 Hz pole (about 1e-6 of the peak).
  for (let k = 1; k < 150; k++) close(y[2000 - k], y[2000 + k], 1e-5, `symmetry at +-${k}`);
  const fs = 500;
  const sine = Float64Array.from({ length: 15000 }, (_, i) => Math.sin((2 * Math.PI * 5 * i) / fs));
  const ys = sosfiltfilt(butterSos(4, [0.5, 40], "bandpass", fs), sine);
  const g = sosGain(butterSos(4, [0.5, 40], "bandpass", fs), 5, fs) ** 2;
  for (let i = 6000; i < 9000; i += 37) close(ys[i], g * sine[i], 1e-4, `5 Hz sine at ${i}`);
});

test("short signals are padded by length - 1 rather than rejected", () => {
  const y = sosfiltfilt(butterSos(2, [1, 20], "bandpass", 100), [1, 2, 3]);
  assert.equal(y.length, 3);
  assert.ok(y.every(Number.isFinite));
  assert.deepEqual(Array.from(sosfiltfilt(butterSos(2, [1, 20], "bandpass", 100), [])), []);
});

test("invalid designs are refused with the reason", () => {
  assert.throws(() => butterSos(4, [0.5, 60], "bandpass", 100), /fs\/2 = 50 Hz/);
  assert.throws(() => butterSos(0, 10, "lowpass", 100), /order/);
  assert.throws(() => butterSos(2, [20, 10], "bandpass", 100), /low < high/);
});
