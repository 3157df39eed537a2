import { test } from "node:test";
import assert from "node:assert/strict";
import { delineate } from "../../src/signal/delineate/index.js";
import { atrous, resampleLead, suppressSpikes } from "../../src/signal/delineate/wavelet.js";
import { join } from "node:path";
import { matchPeaks, validateDelineation } from "../../src/eval/delineation-score.js";
import { readAnnotations, readRecord } from "../../src/io/index.js";
import { sharedData } from "../data.js";
import { gaussian, ludb, ludbPath, scoreAgainstLudb, withSignal } from "./delineate-fixtures.js";

test("atrous: W_k of a ramp is 2^k inside, and the zero crossing of a bump is at its peak", () => {
  const ramp = Float32Array.from({ length: 400 }, (_, i) => i);
  const w = atrous(ramp, 5);
  for (let k = 1; k <= 5; k++) {
    for (let i = 100; i < 300; i++) assert.ok(Math.abs(w[k - 1][i] - 2 ** k) < 1e-3, `level ${k}`);
  }
  const bump = Float32Array.from({ length: 600 }, (_, i) => Math.exp(-(((i - 300) / 25) ** 2)));
  const wb = atrous(bump, 5);
  for (let k = 1; k <= 5; k++) {
    // positive before the peak, negative after: the sign change lies within a sample of 300
    assert.ok(wb[k - 1][298] > 0 && wb[k - 1][302] < 0, `level ${k}`);
  }
});

test("resampleLead is exact on a ramp and keeps the duration", () => {
  const x = Float32Array.from({ length: 1000 }, (_, i) => i / 1000); // 1 s at 1 kHz, value = time
  const y = resampleLead(x, 1000, 250);
  assert.equal(y.length, 250);
  for (let i = 5; i < 245; i++) assert.ok(Math.abs(y[i] - i / 250) < 1e-4);
  const z = resampleLead(x.subarray(0, 100), 100, 500); // 1 s at 100 Hz (value = 10 x time)
  assert.equal(z.length, 496);
  assert.ok(Math.abs(z[257] - 257 / 5 / 1000) < 1e-6);
});

test("suppressSpikes removes 2 ms pacing spikes and leaves a real lead untouched", () => {
  const r = ludb(1);
  const lead = r.signal.slice(r.samples, 2 * r.samples); // II
  const clean = lead.slice();
  assert.equal(suppressSpikes(clean), 0);
  assert.deepEqual(clean, lead);
  const spiked = lead.slice();
  for (const at of [700, 1400, 2100]) spiked[at] = spiked[at + 1] = lead[at] + 5;
  assert.ok(suppressSpikes(spiked) >= 6);
  for (const at of [700, 1400, 2100]) assert.ok(Math.abs(spiked[at] - lead[at]) < 0.3);
});

test("LUDB: every wave type above the issue's F1 targets and QRS boundaries within 10 ms", () => {
  // 12 records spread over the database, both sexes, sinus and AF (44, 83, 88 have no P waves)
  const ids = [1, 2, 15, 31, 44, 60, 83, 88, 120, 150, 180, 199];
  const v = validateDelineation(ids.map(ludbPath));
  assert.equal(v.records, ids.length);
  assert.ok(v.scores.QRS.f1 >= 0.99, `QRS F1 ${v.scores.QRS.f1}`);
  assert.ok(v.scores.T.f1 >= 0.95, `T F1 ${v.scores.T.f1}`);
  assert.ok(v.scores.P.f1 >= 0.9, `P F1 ${v.scores.P.f1}`);
  assert.ok(Math.abs(v.scores.QRS.onset.mean) < 10 && v.scores.QRS.onset.sd < 20);
  assert.ok(Math.abs(v.scores.QRS.offset.mean) < 10 && v.scores.QRS.offset.sd < 20);
  // AF records: no P wave reported, with the reason
  const af = v.perRecord.filter((r) => ["44", "83", "88"].includes(r.record));
  for (const r of af) {
    assert.equal(r.scores.P.fp, 0, r.record);
    assert.match(r.reason ?? "", /no P waves/);
  }
});

test("waves are well formed: onset <= peak <= offset, in the record, leads of the record", () => {
  const r = ludb(2);
  const { waves, reason } = delineate(r);
  assert.equal(reason, undefined);
  assert.ok(waves.length > 100);
  for (const w of waves) {
    assert.ok(0 <= w.onset && w.onset <= w.peak && w.peak <= w.offset && w.offset < r.samples);
    assert.ok(r.leads.includes(w.lead));
  }
  const qrs = waves.filter((w) => w.type === "QRS" && w.lead === r.leads[0]);
  for (let i = 1; i < qrs.length; i++) assert.ok(qrs[i].onset > qrs[i - 1].offset);
  const all = delineate(r, { consensusOnly: true }).waves;
  assert.equal(all.filter((w) => w.type === "QRS").length, qrs.length);
  assert.ok(all.every((w) => w.lead === "all"));
});

test("rate-independent: the same record at 100, 250 and 1000 Hz", () => {
  const r = ludb(1);
  for (const fs of [100, 250, 1000]) {
    const parts = r.leads.map((_, l) =>
      resampleLead(r.signal.subarray(l * r.samples, (l + 1) * r.samples), 500, fs),
    );
    const sig = new Float32Array(parts.length * parts[0].length);
    parts.forEach((p, l) => sig.set(p, l * p.length));
    const s = scoreAgainstLudb(1, delineate(withSignal(r, sig, fs)).waves, fs);
    assert.ok(s.QRS.f1 >= 0.99, `${fs} Hz QRS F1 ${s.QRS.f1}`);
    assert.ok(s.T.f1 >= 0.95, `${fs} Hz T F1 ${s.T.f1}`);
    assert.ok(Math.abs(s.QRS.onset.mean) < 15, `${fs} Hz QRS onset ${s.QRS.onset.mean} ms`);
  }
});

test("robust to inversion, baseline wander, noise and pacing spikes", () => {
  const r = ludb(31);
  const base = scoreAgainstLudb(31, delineate(r).waves);
  assert.ok(base.QRS.f1 >= 0.99);
  const inverted = r.signal.map((v) => -v);
  assert.ok(scoreAgainstLudb(31, delineate(withSignal(r, inverted)).waves).QRS.f1 >= 0.99);
  const noise = gaussian(7);
  const wander = r.signal.map((v, i) => {
    const t = (i % r.samples) / r.fs;
    return v + 1.0 * Math.sin(2 * Math.PI * 0.3 * t) + 0.05 * noise();
  });
  const s = scoreAgainstLudb(31, delineate(withSignal(r, wander)).waves);
  assert.ok(s.QRS.f1 >= 0.99 && s.T.f1 >= 0.9, `wander+noise QRS ${s.QRS.f1} T ${s.T.f1}`);
  // a 6 mV, 2 ms spike 60 ms before every annotated QRS onset in every lead
  const spiked = r.signal.slice();
  const qrsOn = delineate(r, { consensusOnly: true }).waves.filter((w) => w.type === "QRS");
  for (const q of qrsOn) {
    for (let l = 0; l < r.leads.length; l++) {
      spiked[l * r.samples + q.onset - 30] += 6;
      spiked[l * r.samples + q.onset - 29] += 6;
    }
  }
  const paced = delineate(withSignal(r, spiked));
  assert.match(paced.reason ?? "", /pacing/);
  assert.ok(scoreAgainstLudb(31, paced.waves).QRS.f1 >= 0.99);
});

test("bad input: flat line, pure noise, very short, NaN: empty result with a reason", () => {
  const r = ludb(1);
  const flat = delineate(withSignal(r, new Float32Array(r.signal.length)));
  assert.deepEqual(flat.waves, []);
  assert.match(flat.reason ?? "", /flat/);
  const g = gaussian(3);
  const noisy = delineate(
    withSignal(
      r,
      Float32Array.from(r.signal, () => g()),
    ),
  );
  assert.deepEqual(noisy.waves, []);
  assert.match(noisy.reason ?? "", /noise/);
  const short = delineate(withSignal(r, new Float32Array(12 * 100)));
  assert.deepEqual(short.waves, []);
  assert.match(short.reason ?? "", /shorter/);
  const nan = r.signal.slice();
  nan.fill(NaN, 1000, 1500);
  const withNaN = delineate(withSignal(r, nan));
  assert.ok(withNaN.waves.filter((w) => w.type === "QRS").length > 50);
  assert.deepEqual(delineate({ ...r, samples: 0, signal: new Float32Array(0) }).waves, []);
});

test("MIT-BIH 100 (360 Hz, 2 leads, first 2 min): every annotated beat found, nothing else", () => {
  const path = join(sharedData("wfdb-samples"), "100");
  const sampto = 120 * 360;
  const r = readRecord(path, { sampto });
  const res = delineate(r, { consensusOnly: true });
  // beats more than 0.2 s from the edges (a partial complex at an edge is not scorable)
  const inside = (s: number) => s > 72 && s < sampto - 72;
  const beats = readAnnotations(path, "atr")
    .filter((a) => /^[NLRBAaJSVrFejnE/fQ?]$/.test(a.symbol) && inside(a.sample))
    .map((a) => a.sample);
  const det = res.waves.filter((w) => w.type === "QRS" && inside(w.peak)).map((w) => w.peak);
  const m = matchPeaks(det, beats, 0.15 * 360);
  assert.ok(beats.length > 140);
  assert.equal(m.length, beats.length, "sensitivity");
  assert.equal(det.length, beats.length, "positive predictivity");
});
