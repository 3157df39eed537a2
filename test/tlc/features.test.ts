import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { readRecord } from "../../src/io/index.js";
import { preprocess } from "../../src/signal/preprocess.js";
import {
  blockWeights,
  centreColumns,
  composite,
  compositeDistances,
  scaleRecordColumns,
  ColumnStats,
  compositeLayout,
  keptSteps,
  rawComposite,
  scaleColumns,
} from "../../src/tlc/features.js";
import { explainKernels, useExplainKernels } from "../../src/tlc/native-kernels.js";
import { squaredDistances } from "../../src/tlc/assign.js";
import { Random } from "../../src/signal/random.js";
import { stepOfSamples } from "../../src/explain/explanation.js";
import { sharedData } from "../data.js";
import { FAKE_PREPROCESSING } from "./fake.js";

test("mapping back to samples: a 100 Hz PTB-XL record, 1000 samples padded to 1024", () => {
  const rec = readRecord(join(sharedData("ptbxl", "records100", "00000"), "00024_lr"));
  const p = preprocess(rec, FAKE_PREPROCESSING);
  assert.equal(p.offset, 12);
  const kept = keptSteps(256, p);
  // Steps of 4 samples; 12 padded samples at each end make 3 steps wholly padding on each side.
  assert.deepEqual(kept, { first: 3, end: 253 });
  const step = stepOfSamples(p, 256, kept);
  assert.equal(step.length, 1000);
  for (let s = 0; s < 1000; s++) assert.equal(step[s], 3 + Math.floor(s / 4));
  // On the coarsest grid (64 steps of 16 samples) a step partly in padding is kept.
  assert.deepEqual(keptSteps(64, p), { first: 0, end: 64 });
});

test("mapping back to samples: a 500 Hz LUDB record, 5000 samples resampled to 100 Hz", () => {
  const rec = readRecord(join(sharedData("ludb", "data"), "1"));
  assert.equal(rec.fs, 500);
  const p = preprocess(rec, FAKE_PREPROCESSING);
  const kept = keptSteps(256, p);
  const step = stepOfSamples(p, 256, kept);
  assert.equal(step.length, 5000);
  // One step of 4 prepared samples = 20 samples at 500 Hz.
  for (let s = 0; s < 5000; s++) assert.equal(step[s], kept.first + Math.floor(s / 20));
  assert.equal(step[4999], kept.end - 1);
});

test("mapping back to samples: a cropped record keeps every sample on a step", () => {
  const rec = readRecord(join(sharedData("ptbxl", "records100", "00000"), "00024_lr"));
  const p = preprocess(rec, { ...FAKE_PREPROCESSING, length: 800 });
  const kept = keptSteps(200, p);
  assert.deepEqual(kept, { first: 0, end: 200 });
  const step = stepOfSamples(p, 200, kept);
  assert.equal(step.length, 1000);
  for (let s = 1; s < 1000; s++) assert.ok(step[s] >= step[s - 1] && step[s] - step[s - 1] <= 1);
  assert.equal(step[0], 0);
  assert.equal(step[999], 199);
});

test("composite: nearest upsampling, block order, weights and column statistics", () => {
  const shapes = { B3: { channels: 2, steps: 4 }, B4: { channels: 1, steps: 2 } };
  const layout = compositeLayout(["B3", "B4"], shapes);
  assert.equal(layout.dims, 3);
  assert.equal(layout.fineSteps, 4);
  const taps = {
    B3: { ...shapes.B3, data: new Float32Array([1, 2, 3, 4, 10, 20, 30, 40]) },
    B4: { ...shapes.B4, data: new Float32Array([7, 9]) },
  };
  const x = rawComposite(layout, taps, 0, 1, 4);
  assert.deepEqual(Array.from(x), [2, 20, 7, 3, 30, 9, 4, 40, 9]);
  assert.deepEqual(blockWeights(layout), [1 / Math.sqrt(2), 1]);
  assert.deepEqual(blockWeights(layout, { B3: 2, B4: 0.5 }), [2, 0.5]);
  const stats = new ColumnStats(3);
  stats.add(x, 3);
  const { mean, std } = stats.finish();
  assert.deepEqual(Array.from(mean), [3, 30, 25 / 3]);
  assert.ok(Math.abs(std[0] - Math.sqrt(2 / 3)) < 1e-12);
  assert.ok(Math.abs(std[2] - Math.sqrt(((7 - 25 / 3) ** 2 + 2 * (9 - 25 / 3) ** 2) / 3)) < 1e-12);
  centreColumns(x, 3, 3);
  assert.deepEqual(Array.from(x.subarray(0, 3)), [-1, -10, 7 - 25 / 3].map(Math.fround));
});

test("scaleRecordColumns: unit std per column over the record, constant columns zeroed", () => {
  // 4 rows x 3 columns, already centred: column 0 std 2, column 1 std 0.5, column 2 constant 0.
  const x = new Float32Array([2, 0.5, 0, -2, -0.5, 0, 2, -0.5, 0, -2, 0.5, 0]);
  scaleRecordColumns(x, 4, 3);
  assert.deepEqual(Array.from(x), [1, 1, 0, -1, -1, 0, 1, -1, 0, -1, 1, 0]);
  // A column 1e-4 of the others' scale counts as constant (dead channel noise is not blown up).
  const y = new Float32Array([1, 1e-4, -1, -1e-4]);
  scaleRecordColumns(y, 2, 2);
  assert.deepEqual(Array.from(y), [1, 0, -1, -0]);
  // Exponent 0.5: divided by sqrt(std).
  const z = new Float32Array([4, -4]);
  scaleRecordColumns(z, 2, 1, 0.5);
  assert.deepEqual(Array.from(z), [2, -2]);
});

for (const native of [true, false])
  test(`composite with record scaling (${native ? "native" : "TypeScript"} loops): the separate passes' values bit for bit, into a scratch buffer too`, () => {
    const was = useExplainKernels(native);
    const rng = new Random(3);
    const B = 2;
    const tap = (channels: number, steps: number) => ({
      channels,
      steps,
      data: Float32Array.from({ length: B * channels * steps }, () => rng.normal(0.3, 2)),
    });
    const taps = { B1: tap(5, 64), B2: tap(7, 16) };
    const layout = compositeLayout(["B1", "B2"], taps);
    // A dead channel (constant), zeroed rather than blown up.
    for (let t = 0; t < 16; t++) taps.B2.data[7 * 16 + 3 * 16 + t] = 1.25;
    const spec = {
      weights: blockWeights(layout),
      mean: Float64Array.from({ length: layout.dims }, () => rng.normal()),
      std: Float64Array.from({ length: layout.dims }, () => 0.5 + rng.next()),
      centre: true,
    };
    const range = { first: 3, end: 61 };
    const rows = range.end - range.first;
    const scratch = new Float32Array(64 * layout.dims).fill(NaN);
    for (const recordScale of [1, 0.5]) {
      for (let item = 0; item < B; item++) {
        const want = rawComposite(layout, taps, item, range.first, range.end);
        centreColumns(want, rows, layout.dims);
        scaleRecordColumns(want, rows, layout.dims, recordScale);
        scaleColumns(want, rows, layout, spec, false);
        const got = composite(layout, { ...spec, recordScale }, taps, item, range);
        assert.deepEqual(Array.from(got), Array.from(want));
        const inScratch = composite(layout, { ...spec, recordScale }, taps, item, range, scratch);
        assert.equal(inScratch.buffer, scratch.buffer);
        assert.deepEqual(Array.from(inScratch), Array.from(want));
      }
    }
    useExplainKernels(was);
  });

test("rawComposite: the native transposes (8 x 8 blocks and their edges) give the TypeScript loop's values and column sums bit for bit", (t) => {
  if (!explainKernels()) return t.skip("the native addon is not built");
  const rng = new Random(11);
  const B = 3;
  const tap = (channels: number, steps: number) => ({
    channels,
    steps,
    data: Float32Array.from({ length: B * channels * steps }, () => rng.normal(0.3, 2)),
  });
  // a fine tap of 19 channels (two blocks of 8 and an edge), coarse taps of 16 and 13 steps
  const taps = { B1: tap(19, 67), B2: tap(8, 16), B3: tap(12, 13) };
  const layout = compositeLayout(["B1", "B2", "B3"], taps);
  for (const [first, end] of [
    [0, 67],
    [3, 61],
    [5, 12],
    [9, 10],
  ]) {
    for (let item = 0; item < B; item++) {
      const run = (native: boolean) => {
        const was = useExplainKernels(native);
        const sums = new Float64Array(layout.dims).fill(0.25);
        const x = rawComposite(layout, taps, item, first, end, undefined, sums);
        useExplainKernels(was);
        return { x: Array.from(x), sums: Array.from(sums) };
      };
      assert.deepEqual(run(true), run(false), `rows [${first}, ${end}) item ${item}`);
    }
  }
});
test("compositeDistances: the scaling and distances a tile at a time give softAssign's distances on the whole composite bit for bit", (t) => {
  if (!explainKernels()) return t.skip("the native addon is not built");
  const rng = new Random(5);
  const B = 2;
  const tap = (channels: number, steps: number) => ({
    channels,
    steps,
    data: Float32Array.from({ length: B * channels * steps }, () => rng.normal(0.3, 2)),
  });
  // 70 fine rows: three tiles of 32, the last partial; B2's steps repeat over 4 fine rows
  const taps = { B1: tap(9, 80), B2: tap(7, 20) };
  const layout = compositeLayout(["B1", "B2"], taps);
  for (let s = 0; s < 20; s++) taps.B2.data[7 * 20 + 2 * 20 + s] = -0.5; // a dead channel
  const spec = {
    weights: blockWeights(layout),
    mean: new Float64Array(layout.dims),
    std: Float64Array.from({ length: layout.dims }, () => 0.5 + rng.next()),
    centre: false,
    recordScale: 0.5,
  };
  const range = { first: 4, end: 74 };
  const rows = range.end - range.first;
  const set = (c0: number, w: number, k: number) => ({
    c0,
    w,
    k,
    centroids: Float64Array.from({ length: k * w }, () => rng.normal(0, 0.3)),
  });
  const sets = [set(0, layout.dims, 6), set(0, 9, 5), set(9, 7, 3)];
  for (let item = 0; item < B; item++) {
    const scratch = new Float32Array(rows * layout.dims + 5);
    const got = compositeDistances(layout, spec, taps, item, range, sets, scratch)!;
    const x = composite(layout, spec, taps, item, range);
    sets.forEach((s, i) => {
      const d2 = new Float64Array(rows * s.k);
      const repeats = squaredDistances(x, rows, layout.dims, s.c0, s.w, s.centroids, s.k, d2);
      assert.deepEqual(Array.from(got[i].repeats), Array.from(repeats), `set ${i}`);
      // the distances of repeated rows are unset on both sides
      for (let r = 0; r < rows; r++)
        if (!repeats[r])
          for (let q = 0; q < s.k; q++)
            assert.ok(Object.is(got[i].d2[r * s.k + q], d2[r * s.k + q]), `set ${i} row ${r}`);
      assert.ok(repeats.reduce((a, b) => a + b, 0) > (i === 2 ? rows / 2 : -1));
    });
  }
  // Without record scaling the composite is built whole
  assert.equal(
    compositeDistances(layout, { ...spec, recordScale: undefined }, taps, 0, range, sets),
    null,
  );
});
