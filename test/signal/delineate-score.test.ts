import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { matchPeaks, scoreDelineation } from "../../src/eval/delineation-score.js";
import type { Wave, WaveType } from "../../src/types.js";
import { ROOT } from "../data.js";
import { ludbPath } from "./delineate-fixtures.js";

const wave = (type: WaveType, onset: number, peak: number, offset: number): Wave => ({
  lead: "II",
  type,
  onset,
  peak,
  offset,
});

test("matchPeaks: one-to-one, closest pairs first, within the tolerance", () => {
  assert.deepEqual(matchPeaks([100, 104], [103], 10), [[1, 0]]);
  assert.deepEqual(matchPeaks([100, 200], [150], 10), []);
  assert.deepEqual(
    matchPeaks([10, 20, 30], [12, 29, 100], 5).sort((a, b) => a[0] - b[0]),
    [
      [0, 0],
      [2, 1],
    ],
  );
});

test("scoreDelineation: counts, F1 and errors in ms, only inside the annotated span", () => {
  const fs = 500; // 2 ms per sample; 150 ms = 75 samples
  const annotated = [
    wave("QRS", 100, 110, 140),
    wave("QRS", 600, 610, 640),
    wave("T", 300, 350, 400),
  ];
  const detected = [
    wave("QRS", 95, 112, 145), // matched: errors -10 / +4 / +10 ms
    wave("QRS", 605, 700, 650), // peak 90 samples = 180 ms away: FP and the annotated one is FN
    wave("QRS", 1200, 1210, 1240), // outside the span: ignored
    wave("T", 310, 360, 390), // matched: +20 / +20 / -20 ms
  ];
  const s = scoreDelineation([{ detected, annotated, span: [90, 1000], fs }]);
  assert.deepEqual([s.QRS.tp, s.QRS.fp, s.QRS.fn], [1, 1, 1]);
  assert.equal(s.QRS.sensitivity, 0.5);
  assert.equal(s.QRS.ppv, 0.5);
  assert.equal(s.QRS.f1, 0.5);
  assert.deepEqual(s.QRS.onset, { n: 1, mean: -10, sd: NaN }); // one error: no sample SD
  assert.equal(s.QRS.peak.mean, 4);
  assert.equal(s.QRS.offset.mean, 10);
  assert.deepEqual([s.T.tp, s.T.fp, s.T.fn, s.T.f1], [1, 0, 0, 1]);
  assert.deepEqual([s.T.onset.mean, s.T.peak.mean, s.T.offset.mean], [20, 20, -20]);
  assert.ok(Number.isNaN(s.P.f1)); // nothing annotated, nothing detected
  // the SD over two leads: errors -10 and +10 ms -> mean 0, sample SD sqrt(200)
  const two = scoreDelineation([
    {
      detected: [wave("P", 95, 100, 110)],
      annotated: [wave("P", 100, 100, 110)],
      span: [0, 500],
      fs,
    },
    {
      detected: [wave("P", 105, 100, 110)],
      annotated: [wave("P", 100, 100, 110)],
      span: [0, 500],
      fs,
    },
  ]);
  assert.equal(two.P.onset.mean, 0);
  assert.ok(Math.abs(two.P.onset.sd - Math.sqrt(200)) < 1e-9);
});

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, "dist", "src", "cli", "main.js"), ...args], {
    encoding: "utf8",
  });

test("CLI: delineate --json and validate-delineation --json on a LUDB record", () => {
  const d = cli("delineate", ludbPath(1), "--json");
  assert.equal(d.status, 0, d.stderr);
  const out = JSON.parse(d.stdout.trim());
  assert.equal(out.record, "1");
  assert.equal(out.fs, 500);
  assert.ok(out.waves.length > 100);
  assert.deepEqual(Object.keys(out.waves[0]).sort(), ["lead", "offset", "onset", "peak", "type"]);
  const v = cli("validate-delineation", ludbPath(1), "--json");
  assert.equal(v.status, 0, v.stderr);
  const score = JSON.parse(v.stdout.trim());
  assert.equal(score.records, 1);
  assert.equal(score.leads, 12);
  assert.equal(score.scores.QRS.f1, 1);
});

test("CLI: a missing record or a record without annotations is a one-line error", () => {
  const missing = cli("delineate", "/nonexistent/rec", "--json");
  assert.notEqual(missing.status, 0);
  assert.equal(missing.stderr.trim().split("\n").length, 1);
  assert.match(missing.stderr, /nonexistent\/rec/);
  const none = cli("validate-delineation", "--data", "/nonexistent");
  assert.equal(none.status, 1);
  assert.match(none.stderr, /--data \/nonexistent/);
  const usage = cli("validate-delineation");
  assert.equal(usage.status, 2);
});
