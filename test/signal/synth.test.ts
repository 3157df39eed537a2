import assert from "node:assert/strict";
import { test } from "node:test";
import {
  SYNTH_CLASSES,
  WAVE_THRESHOLD,
  synthesize,
  synthesizeOne,
  type SyntheticEcg,
} from "../../src/signal/synth.js";
import { STANDARD_LEADS, type Wave } from "../../src/types.js";

test("deterministic for a seed; records depend only on (seed, index)", () => {
  const a = synthesize({ n: 3, seed: 42, fs: 250 });
  const b = synthesize({ n: 3, seed: 42, fs: 250 });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(
      Buffer.from(a[i].record.signal.buffer),
      Buffer.from(b[i].record.signal.buffer),
    );
    assert.deepEqual(a[i].waves, b[i].waves);
    assert.deepEqual([a[i].labels, a[i].age, a[i].sex], [b[i].labels, b[i].age, b[i].sex]);
  }
  const third = synthesizeOne(42, 2, { fs: 250 });
  assert.deepEqual(third.record.signal, a[2].record.signal);
  const other = synthesize({ n: 1, seed: 43, fs: 250 })[0];
  assert.notDeepEqual(other.record.signal, a[0].record.signal);
  assert.equal(a[0].record.samples, 2500);
  assert.deepEqual(a[0].record.leads, [...STANDARD_LEADS]);
});

/** Onset, peak and offset follow the stated definition on the wave rendered alone. */
function checkDefinition(alone: SyntheticEcg, waves: Wave[]): void {
  const { signal, samples } = alone.record;
  for (const w of waves) {
    const l = STANDARD_LEADS.indexOf(w.lead as (typeof STANDARD_LEADS)[number]);
    const x = (i: number) => Math.abs(signal[l * samples + i]);
    const peak = x(w.peak);
    const level = WAVE_THRESHOLD * peak;
    const where = `${w.lead} ${w.type} ${w.onset}-${w.peak}-${w.offset}`;
    assert.ok(w.onset <= w.peak && w.peak <= w.offset, where);
    for (let i = w.onset; i <= w.offset; i++) assert.ok(x(i) <= peak, `${where}: peak is the max`);
    // Float32 storage: allow a relative 1e-6 around the threshold.
    assert.ok(x(w.onset) >= level * (1 - 1e-6), `${where}: onset reaches the threshold`);
    assert.ok(x(w.offset) >= level * (1 - 1e-6), `${where}: offset reaches the threshold`);
    if (w.onset > 0) assert.ok(x(w.onset - 1) < level * (1 + 1e-6), `${where}: before onset`);
    if (w.offset < samples - 1)
      assert.ok(x(w.offset + 1) < level * (1 + 1e-6), `${where}: after offset`);
  }
}

test("ground truth is exact: each wave rendered alone meets the onset/peak/offset definition", () => {
  for (const fs of [100, 500]) {
    for (let index = 0; index < 8; index++) {
      const full = synthesizeOne(5, index, { fs, noise: false });
      for (const type of ["P", "QRS", "T"] as const) {
        const alone = synthesizeOne(5, index, { fs, noise: false, components: [type] });
        checkDefinition(
          alone,
          full.waves.filter((w) => w.type === type),
        );
      }
    }
  }
});

test("at each annotated QRS peak the QRS dominates the complete noise-free signal", () => {
  for (let index = 0; index < 10; index++) {
    const full = synthesizeOne(9, index, { fs: 500, noise: false });
    const qrs = synthesizeOne(9, index, { fs: 500, noise: false, components: ["QRS"] });
    const n = full.record.samples;
    for (const w of full.waves.filter((v) => v.type === "QRS")) {
      const l = STANDARD_LEADS.indexOf(w.lead as (typeof STANDARD_LEADS)[number]);
      const q = qrs.record.signal[l * n + w.peak];
      if (Math.abs(q) < 0.2) continue; // a lead nearly perpendicular to the QRS axis
      const s = full.record.signal[l * n + w.peak];
      assert.ok(Math.abs(s - q) < 0.15 * Math.abs(q), `record ${index} ${w.lead} at ${w.peak}`);
    }
  }
});

test("beats are physiological: P before QRS before T, normal intervals, one QRS per beat", () => {
  for (const e of synthesize({ n: 20, seed: 3, fs: 500 })) {
    const fs = e.record.fs;
    for (const name of STANDARD_LEADS) {
      const waves = e.waves.filter((w) => w.lead === name);
      for (let i = 1; i < waves.length; i++) {
        assert.ok(
          waves[i - 1].offset < waves[i].onset,
          `${name}: waves overlap at ${waves[i].onset}`,
        );
      }
    }
    const lead = e.waves.filter((w) => w.lead === "II");
    const qrs = lead.filter((w) => w.type === "QRS");
    // Every beat whose QRS lies wholly in the record is annotated (beat times in seconds).
    const dur = e.record.samples / fs;
    const within = (m: number) => e.beatTimes.filter((t) => t > m && t < dur - m).length;
    assert.ok(qrs.length >= within(0.12) && qrs.length <= within(0.03), `${qrs.length} QRS`);
    for (const q of qrs) {
      const p = lead.find((w) => w.type === "P" && w.peak < q.peak && q.peak - w.peak < 0.3 * fs);
      const t = lead.find((w) => w.type === "T" && w.peak > q.peak && w.peak - q.peak < 0.5 * fs);
      if (p) assert.ok(p.offset < q.onset, "P ends before QRS");
      if (t) assert.ok(q.offset < t.onset, "QRS ends before T");
      if (p && t && e.labels.includes("NORM")) {
        const pr = (q.onset - p.onset) / fs;
        const qt = (t.offset - q.onset) / fs;
        assert.ok(pr > 0.1 && pr < 0.25, `PR ${pr}`);
        assert.ok(qt > 0.25 && qt < 0.47, `QT ${qt}`);
      }
    }
  }
});

test("the same record at different rates has the same waves in seconds", () => {
  const a = synthesizeOne(11, 0, { fs: 100 });
  const b = synthesizeOne(11, 0, { fs: 360 });
  const peaks = (e: SyntheticEcg) =>
    e.waves.filter((w) => w.lead === "V5" && w.type === "QRS").map((w) => w.peak / e.record.fs);
  const pa = peaks(a);
  const pb = peaks(b);
  assert.equal(pa.length, pb.length);
  pa.forEach((t, i) => assert.ok(Math.abs(t - pb[i]) <= 0.011, `beat ${i}: ${t} vs ${pb[i]}`));
  assert.deepEqual([a.labels, a.age, a.sex], [b.labels, b.age, b.sex]);
});

const MI_GROUPS = [
  ["II", "III", "aVF"],
  ["V1", "V2", "V3"],
  ["I", "aVL", "V5", "V6"],
];

/** Depth of the initial 20 ms of the QRS below the PR level, averaged over a lead group; max over groups. */
function qDepth(e: SyntheticEcg): number {
  const { signal: s, samples: n, fs, leads } = e.record;
  let best = -Infinity;
  for (const group of MI_GROUPS) {
    let sum = 0;
    let count = 0;
    for (const name of group) {
      const l = leads.indexOf(name);
      for (const q of e.waves.filter((w) => w.lead === name && w.type === "QRS")) {
        const a = Math.max(0, q.onset - Math.round(0.03 * fs));
        let base = 0;
        for (let i = a; i <= q.onset; i++) base += s[l * n + i];
        base /= q.onset - a + 1;
        let min = 0;
        for (let i = q.onset; i <= q.onset + Math.round(0.02 * fs); i++) {
          min = Math.min(min, s[l * n + i] - base);
        }
        sum -= min;
        count++;
      }
    }
    best = Math.max(best, sum / count);
  }
  return best;
}

/** QRS duration (union over leads, median over beats), ST level in I, II, V5, V6, QRS voltage. */
function features(e: SyntheticEcg): { width: number; st: number; volt: number } {
  const { signal: s, samples: n, fs } = e.record;
  const qrs = e.waves.filter((w) => w.type === "QRS");
  const widths = qrs
    .filter((w) => w.lead === "II")
    .map((w0) => {
      const beat = qrs.filter((w) => Math.abs(w.peak - w0.peak) < 0.1 * fs);
      return (Math.max(...beat.map((w) => w.offset)) - Math.min(...beat.map((w) => w.onset))) / fs;
    })
    .sort((a, b) => a - b);
  const base = (l: number, q: Wave) => {
    const a = Math.max(0, q.onset - Math.round(0.03 * fs));
    let m = 0;
    for (let i = a; i <= q.onset; i++) m += s[l * n + i];
    return m / (q.onset - a + 1);
  };
  let st = 0;
  let count = 0;
  let volt = 0;
  STANDARD_LEADS.forEach((lead, l) => {
    for (const q of qrs.filter((w) => w.lead === lead)) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = q.onset; i <= q.offset; i++) {
        lo = Math.min(lo, s[l * n + i]);
        hi = Math.max(hi, s[l * n + i]);
      }
      volt = Math.max(volt, hi - lo);
      const j = q.offset + Math.round(0.06 * fs);
      if (["I", "II", "V5", "V6"].includes(lead) && j < n) {
        st += s[l * n + j] - base(l, q);
        count++;
      }
    }
  });
  return { width: widths[widths.length >> 1], st: st / count, volt };
}

test("classes are separable by one trivial feature each (QRS width, ST level, voltage, Q depth)", () => {
  const data = synthesize({ n: 160, seed: 2024, fs: 500 }).map((e) => ({
    labels: e.labels,
    q: qDepth(e),
    ...features(e),
  }));
  const counts = Object.fromEntries(
    SYNTH_CLASSES.map((c) => [c, data.filter((d) => d.labels.includes(c)).length]),
  );
  for (const c of SYNTH_CLASSES) assert.ok(counts[c] >= 15, `class ${c}: ${counts[c]} records`);
  const norm = data.filter((d) => d.labels.includes("NORM"));
  const check = (cls: string, predict: (d: (typeof data)[number]) => boolean) => {
    const pos = data.filter((d) => d.labels.length === 1 && d.labels[0] === cls);
    const sens = pos.filter(predict).length / pos.length;
    const spec = norm.filter((d) => !predict(d)).length / norm.length;
    assert.ok((sens + spec) / 2 >= 0.95, `${cls}: sensitivity ${sens}, specificity ${spec}`);
  };
  check("CD", (d) => d.width > 0.105);
  check("STTC", (d) => d.st < -0.04);
  check("HYP", (d) => d.volt > 1.9);
  check("MI", (d) => d.q > 0.2);
  // Labels and SCP codes agree, NORM never comes with another class.
  for (const d of data) if (d.labels.includes("NORM")) assert.deepEqual(d.labels, ["NORM"]);
});

test("SCP codes, age and sex are consistent with the labels", () => {
  const codeClass: Record<string, string> = {
    NORM: "NORM",
    IMI: "MI",
    ASMI: "MI",
    ALMI: "MI",
    NDT: "STTC",
    ISC_: "STTC",
    CRBBB: "CD",
    CLBBB: "CD",
    LVH: "HYP",
  };
  for (const e of synthesize({ n: 40, seed: 8 })) {
    const classes = [
      ...new Set(Object.keys(e.scpCodes).flatMap((c) => (codeClass[c] ? [codeClass[c]] : []))),
    ].sort();
    assert.deepEqual(classes, [...e.labels].sort());
    assert.equal(e.scpCodes.SR, 0);
    assert.ok(Number.isInteger(e.age) && e.age >= 18 && e.age <= 95);
    assert.ok(e.sex === "M" || e.sex === "F");
    assert.equal(e.record.fs, 100);
    assert.ok(e.record.signal.every(Number.isFinite));
  }
});
