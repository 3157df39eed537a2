/**
 * Preprocessing on real records of every kind the readers deliver: MIT-BIH (360 Hz, MLII alias),
 * CinC 2021 .mat (500 Hz), LUDB (lower-case lead names), PTB diagnostic s0010_re (1 kHz, 15
 * signals). Read with src/io; checked by properties the spec fixes exactly.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { readRecord } from "../../src/io/index.js";
import { butterSos, sosfiltfilt } from "../../src/signal/filter.js";
import { matchLeads } from "../../src/signal/leads.js";
import { preparedToSource, preprocess, type Preprocessing } from "../../src/signal/preprocess.js";
import { STANDARD_LEADS, type EcgRecord } from "../../src/types.js";
import { sharedData } from "../data.js";

/**
 * Alignment: both the source and the prepared lead, low-passed at 25 Hz (zero phase), are compared
 * with the source read at preparedToSource(i + lag); the best lag must be 0 and the match close.
 */
function checkAlignment(record: EcgRecord, spec: Preprocessing, lead: number): void {
  const p = preprocess(record, spec);
  assert.equal(p.signal.length, spec.leads.length * spec.length);
  assert.ok(p.signal.every(Number.isFinite));
  const expected = Math.ceil((record.samples * spec.fs) / record.fs);
  assert.equal(p.validEnd - p.validStart, Math.min(spec.length, expected));
  const [srcLead] = matchLeads(record.leads, [spec.leads[lead]]);
  const src = sosfiltfilt(
    butterSos(4, 25, "lowpass", record.fs),
    record.signal.subarray(srcLead * record.samples, (srcLead + 1) * record.samples),
  );
  const prep = sosfiltfilt(
    butterSos(4, 25, "lowpass", spec.fs),
    p.signal.subarray(lead * spec.length, (lead + 1) * spec.length),
  );
  const at = (s: number) => {
    const k = Math.min(record.samples - 2, Math.max(0, Math.floor(s)));
    return src[k] + (s - k) * (src[k + 1] - src[k]);
  };
  const margin = Math.round(spec.fs * 0.3);
  const err = (lag: number) => {
    let e = 0;
    let norm = 0;
    for (let i = p.validStart + margin; i < p.validEnd - margin; i++) {
      const v = at(preparedToSource(p, i + lag));
      e += (prep[i] - v) ** 2;
      norm += v * v;
    }
    return e / norm;
  };
  const errors = [-2, -1, 0, 1, 2].map(err);
  const best = errors.indexOf(Math.min(...errors)) - 2;
  assert.equal(best, 0, `${record.name}: best lag ${best} (${errors.map((e) => e.toFixed(4))})`);
  assert.ok(errors[2] < 0.01, `${record.name}: relative error ${errors[2]}`);
}

test("MIT-BIH 100 (360 Hz, MLII): lead II found by alias, samples map back", () => {
  const record = readRecord(join(sharedData("wfdb-samples"), "100"), { sampto: 3600 });
  const spec: Preprocessing = {
    fs: 100,
    length: 1024,
    leads: ["II", "V5"],
    bandpass: null,
    zscore: false,
  };
  const p = preprocess(record, spec);
  assert.deepEqual(p.leads, ["II", "V5"]);
  assert.deepEqual([p.offset, p.validStart, p.validEnd], [12, 12, 1012]);
  // DC is preserved by the resampler (unit-gain FIR): the means agree to a few microvolts.
  const mean = (x: ArrayLike<number>, a: number, b: number) => {
    let m = 0;
    for (let i = a; i < b; i++) m += x[i];
    return m / (b - a);
  };
  const srcMean = mean(record.signal, 360, 3240);
  const prepMean = mean(p.signal, 12 + 100, 12 + 900);
  assert.ok(Math.abs(srcMean - prepMean) < 0.02, `${srcMean} vs ${prepMean}`);
  checkAlignment(record, spec, 0);
});

test("CinC 2021 .mat, LUDB and PTB s0010_re replay a PTB-XL model's spec", () => {
  const spec: Preprocessing = {
    fs: 100,
    length: 1024,
    leads: [...STANDARD_LEADS],
    bandpass: { low: 0.5, high: 40, order: 2 },
    zscore: true,
  };
  const records = [
    readRecord(join(sharedData("cinc2021"), "HR06000")),
    readRecord(join(sharedData("ludb", "data"), "7")),
    readRecord(join(sharedData("wfdb-samples"), "s0010_re"), { sampto: 10000 }),
  ];
  for (const record of records) {
    const p = preprocess(record, spec);
    assert.deepEqual(p.leads, [...STANDARD_LEADS], record.name);
    for (let l = 0; l < 12; l++) {
      const v = p.signal.subarray(l * 1024 + p.validStart, l * 1024 + p.validEnd);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
      assert.ok(Math.abs(m) < 1e-4 && Math.abs(sd - 1) < 1e-3, `${record.name} lead ${l}`);
    }
    checkAlignment(record, { ...spec, bandpass: null, zscore: false }, 1);
  }
});
