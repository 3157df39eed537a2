import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { EcgFormatError, ModelMismatchError } from "../../src/errors.js";
import { canonicalLeadName, matchLeads, selectLeads } from "../../src/signal/leads.js";
import { padOrCrop, zscoreLeads } from "../../src/signal/normalize.js";
import {
  preparedToSource,
  preprocess,
  sourceToPrepared,
  type Preprocessing,
} from "../../src/signal/preprocess.js";
import type { EcgRecord } from "../../src/types.js";
import { sharedData } from "../data.js";
import { readFormat16 } from "./wfdb16.js";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

function fakeRecord(leads: string[], samples: number, fs: number): EcgRecord {
  const signal = new Float32Array(leads.length * samples);
  for (let l = 0; l < leads.length; l++) {
    for (let i = 0; i < samples; i++) signal[l * samples + i] = (l + 1) * 1000 + i;
  }
  return {
    name: "fake",
    path: "/data/fake",
    fs,
    samples,
    leads,
    units: leads.map(() => "mV"),
    signal,
  };
}

test("LUDB record 1 through the full pipeline matches scipy", () => {
  const record = readFormat16(join(sharedData("ludb", "data"), "1"));
  const spec: Preprocessing = {
    fs: 100,
    length: 1024,
    leads: ["V6", "II", "AVR"],
    bandpass: { low: 0.5, high: 40, order: 4 },
    zscore: true,
  };
  const p = preprocess(record, spec);
  assert.deepEqual(p.leads, ["V6", "II", "aVR"]);
  assert.equal(p.signal.length, 3 * 1024);
  assert.deepEqual(
    [p.offset, p.validStart, p.validEnd, p.sourceFs, p.sourceSamples],
    [12, 12, 1012, 500, 5000],
  );
  // scipy 1.17: resample_poly(x, 1, 5) -> sosfiltfilt(butter(4, [0.5, 40], "bandpass", fs=100,
  // output="sos")) -> (y - mean) / std -> zero-pad 12 left, 12 right.
  const expected: [number, number[]][] = [
    [12, [-0.192797, -0.177743, 0.144826]],
    [13, [3.90548, 4.49322, -3.41076]],
    [100, [-0.137749, -0.150627, 0.189288]],
    [511, [-0.244819, -0.17781, 0.218539]],
    [700, [-0.516549, -0.533994, 0.503312]],
    [1011, [-0.0845697, -0.0633713, 0.0830953]],
  ];
  for (const [i, values] of expected) {
    values.forEach((v, l) => close(p.signal[l * 1024 + i], v, 5e-5, `lead ${l} index ${i}`));
  }
  for (let l = 0; l < 3; l++) {
    assert.equal(p.signal[l * 1024 + 11], 0, "left padding");
    assert.equal(p.signal[l * 1024 + 1012], 0, "right padding");
  }
  // The record is not modified.
  assert.equal(record.signal.length, 12 * 5000);
});

test("preparedToSource undoes padding and resampling; cropping gives negative offsets", () => {
  const rec = fakeRecord(["I", "II"], 5000, 500);
  const spec: Preprocessing = {
    fs: 100,
    length: 1024,
    leads: ["I"],
    bandpass: null,
    zscore: false,
  };
  const p = preprocess(rec, spec);
  assert.equal(preparedToSource(p, 12), 0);
  assert.equal(preparedToSource(p, 13), 5);
  assert.equal(preparedToSource(p, 1011), 4995);
  assert.equal(sourceToPrepared(p, 4995), 1011);
  const c = preprocess(rec, { ...spec, length: 800 });
  assert.deepEqual([c.offset, c.validStart, c.validEnd], [-100, 0, 800]);
  assert.equal(preparedToSource(c, 0), 500);
  // A linear ramp stays a ramp through the resampler (away from the edges): sample 2500 = 3500.
  close(c.signal[400], 1000 + preparedToSource(c, 400), 1e-2, "ramp value");
  // Same rate and same length: identity.
  const same = preprocess(rec, {
    fs: 500,
    length: 0,
    leads: ["ii"],
    bandpass: null,
    zscore: false,
  });
  assert.deepEqual(Array.from(same.signal.subarray(0, 3)), [2000, 2001, 2002]);
  assert.equal(same.length, 5000);
});

test("a spec is JSON and replays identically after a round trip", () => {
  const record = readFormat16(join(sharedData("ptbxl", "records100", "00000"), "00024_lr"));
  const spec: Preprocessing = {
    fs: 100,
    length: 1024,
    leads: ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"],
    bandpass: { low: 0.5, high: 40, order: 2 },
    zscore: true,
  };
  const a = preprocess(record, spec);
  const b = preprocess(record, JSON.parse(JSON.stringify(spec)) as Preprocessing);
  assert.deepEqual(a.signal, b.signal);
  // z-scored valid part: each lead has mean 0 and std 1.
  for (let l = 0; l < 12; l++) {
    const v = a.signal.subarray(l * 1024 + a.validStart, l * 1024 + a.validEnd);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    close(mean, 0, 1e-5, `lead ${l} mean`);
    close(std, 1, 1e-4, `lead ${l} std`);
  }
});

test("bad input: NaN names the record, missing leads are listed, bad specs name the field", () => {
  const rec = fakeRecord(["I", "II", "V1"], 100, 100);
  rec.signal[150] = NaN;
  const spec: Preprocessing = {
    fs: 100,
    length: 0,
    leads: ["I", "II"],
    bandpass: null,
    zscore: true,
  };
  assert.throws(
    () => preprocess(rec, spec),
    (e: unknown) =>
      e instanceof EcgFormatError && /^\/data\/fake: NaN in lead II at sample 50/.test(e.message),
  );
  assert.throws(
    () => preprocess(rec, { ...spec, leads: ["I", "V5", "aVF"] }),
    (e: unknown) =>
      e instanceof ModelMismatchError &&
      e.message === "/data/fake: missing leads V5, aVF (record has I, II, V1)",
  );
  assert.throws(
    () =>
      preprocess(fakeRecord(["I"], 100, 100), {
        ...spec,
        leads: ["I"],
        bandpass: { low: 1, high: 60, order: 2 },
      }),
    /preprocessing: bandpass needs 0 < low < high < fs\/2 = 50 Hz/,
  );
  assert.throws(() => preprocess(rec, { ...spec, fs: 0 }), /preprocessing: fs must be/);
});

test("lead names: case-insensitive, aliases only when unambiguous", () => {
  assert.equal(canonicalLeadName("AVR"), "aVR");
  assert.equal(canonicalLeadName("v6"), "V6");
  assert.deepEqual(matchLeads(["i", "ii", "avr", "v1"], ["aVR", "I", "V1"]), [2, 0, 3]);
  assert.deepEqual(matchLeads(["MLII", "V5"], ["II", "V5"]), [0, 1]);
  // The real lead II wins over an alias; two aliases for one lead are ambiguous.
  assert.deepEqual(matchLeads(["MLII", "II"], ["II"]), [1]);
  assert.deepEqual(matchLeads(["MLII", "DII"], ["II"]), [-1]);
  const rec = fakeRecord(["MLII", "V5"], 4, 360);
  const sel = selectLeads(rec, ["v5", "II"]);
  assert.deepEqual(sel.leads, ["V5", "II"]);
  assert.deepEqual(Array.from(sel.signal), [2000, 2001, 2002, 2003, 1000, 1001, 1002, 1003]);
});

test("leads in uV or V are brought to mV; other units are left alone", () => {
  const rec = fakeRecord(["I", "II", "III"], 4, 100);
  rec.units = ["uV", "V", "NU"];
  const p = preprocess(rec, {
    fs: 100,
    length: 0,
    leads: ["I", "II", "III"],
    bandpass: null,
    zscore: false,
  });
  assert.deepEqual(Array.from(p.signal.subarray(0, 2)), [1, 1.0010000467300415]);
  assert.deepEqual(Array.from(p.signal.subarray(4, 6)), [2000000, 2001000]);
  assert.deepEqual(Array.from(p.signal.subarray(8, 10)), [3000, 3001]);
  assert.equal(rec.signal[0], 1000, "the record is not modified");
});

test("zscore guards flat leads; pad/crop centres", () => {
  const s = Float32Array.from([3, 3, 3, 3, 1, 2, 3, 4]);
  zscoreLeads(s, 2, 4);
  assert.deepEqual(Array.from(s.subarray(0, 4)), [0, 0, 0, 0]);
  close(s[4], -1.3416407, 1e-6, "z of 1 in [1..4]");
  const padded = padOrCrop(Float32Array.from([1, 2, 3]), 1, 3, 6);
  assert.deepEqual([Array.from(padded.signal), padded.offset], [[0, 1, 2, 3, 0, 0], 1]);
  const cropped = padOrCrop(Float32Array.from([1, 2, 3, 4, 5, 6, 7]), 1, 7, 4);
  assert.deepEqual([Array.from(cropped.signal), cropped.offset], [[2, 3, 4, 5], -1]);
});
