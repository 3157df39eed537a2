import { test } from "node:test";
import assert from "node:assert/strict";
import { readAnnotations, readLudbWaves } from "../../src/io/index.js";
import { annotationLabels, waveLabels, wavesFromAnnotations } from "../../src/signal/waves.js";
import type { Annotation, Wave } from "../../src/types.js";
import { ludbPath } from "./delineate-fixtures.js";

const ann = (sample: number, symbol: string): Annotation => ({
  sample,
  symbol,
  code: 0,
  subtype: 0,
  chan: 0,
  num: 0,
  aux: "",
});

test("waveLabels: exact per-sample labels, QRS wins overlaps, the rest is TP", () => {
  const waves: Wave[] = [
    { lead: "II", type: "P", onset: 1, peak: 2, offset: 3 },
    { lead: "II", type: "QRS", onset: 3, peak: 4, offset: 5 },
    { lead: "II", type: "T", onset: 7, peak: 8, offset: 9 },
  ];
  assert.deepEqual([...waveLabels(waves, 12)], [3, 0, 0, 1, 1, 1, 3, 2, 2, 2, 3, 3]);
  // waves reaching past the record are clipped
  const edge: Wave[] = [{ lead: "II", type: "T", onset: 8, peak: 10, offset: 14 }];
  assert.deepEqual([...waveLabels(edge, 10)], [3, 3, 3, 3, 3, 3, 3, 3, 2, 2]);
});

test("waveLabels: majority vote over leads, or one lead on request", () => {
  const w = (lead: string, onset: number, offset: number): Wave => ({
    lead,
    type: "QRS",
    onset,
    peak: onset,
    offset,
  });
  const waves = [w("I", 2, 4), w("II", 3, 5), w("III", 3, 6)];
  // sample 2: 1 vote QRS, 2 TP -> TP; 3-4: 3 QRS; 5: 2 QRS; 6: 1 QRS
  assert.deepEqual([...waveLabels(waves, 8)], [3, 3, 3, 1, 1, 1, 3, 3]);
  assert.deepEqual([...waveLabels(waves, 8, { lead: "III" })], [3, 3, 3, 1, 1, 1, 1, 3]);
  // a tie (one lead QRS, one TP) goes to the wave
  assert.deepEqual([...waveLabels([w("I", 1, 1), w("II", 4, 4)], 5)], [3, 1, 3, 3, 1]);
});

test("wavesFromAnnotations pairs brackets with peaks; a bare peak is its own boundary", () => {
  const a = [
    ann(10, "("),
    ann(15, "p"),
    ann(20, ")"),
    ann(30, "("),
    ann(35, "N"),
    ann(40, ")"),
    ann(60, "t"),
  ];
  const { waves, span } = wavesFromAnnotations(a, "V1");
  assert.deepEqual(span, [10, 60]);
  assert.deepEqual(waves, [
    { lead: "V1", type: "P", onset: 10, peak: 15, offset: 20 },
    { lead: "V1", type: "QRS", onset: 30, peak: 35, offset: 40 },
    { lead: "V1", type: "T", onset: 60, peak: 60, offset: 60 },
  ]);
  const labels = annotationLabels(a, "V1", 64);
  assert.equal(labels[12], 0);
  assert.equal(labels[35], 1);
  assert.equal(labels[60], 2);
  assert.equal(labels[50], 3);
});

test("on LUDB record 1, lead II: the same waves as io's reader and the expected label counts", () => {
  const path = ludbPath(1);
  const mine = wavesFromAnnotations(readAnnotations(path, "ii"), "ii");
  const io = readLudbWaves(path, "ii");
  assert.deepEqual(mine.waves, io.waves);
  assert.deepEqual(mine.span, io.span);
  const labels = waveLabels(mine.waves, 5000);
  const count = [0, 0, 0, 0];
  for (const l of labels) count[l]++;
  // each wave covers offset - onset + 1 samples (waves of one lead never overlap in LUDB)
  const expect = [0, 0, 0];
  for (const w of mine.waves) expect[["P", "QRS", "T"].indexOf(w.type)] += w.offset - w.onset + 1;
  assert.deepEqual(count.slice(0, 3), expect);
  assert.equal(count[3], 5000 - expect[0] - expect[1] - expect[2]);
});
