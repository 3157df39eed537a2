import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openDataset } from "../../src/io/index.js";
import { code15Labels, writeCode15Dataset } from "../../src/signal/synth-code15.js";
import { synthesizeOne } from "../../src/signal/synth.js";

test("synth code15: CODE-15% files the reader reads lazily, labels and ages as drawn, 10 s centred in 4096", async () => {
  const dir = mkdtempSync(join(tmpdir(), "code15-"));
  try {
    const s = await writeCode15Dataset(dir, { n: 70, seed: 5, perFile: 32 });
    assert.deepEqual(s.files, ["exams_part0.hdf5", "exams_part1.hdf5", "exams_part2.hdf5"]);
    assert.deepEqual(readdirSync(dir).sort(), ["exams.csv", ...s.files]); // no temporary left
    const d = await openDataset(dir);
    try {
      assert.equal(d.kind, "code15");
      assert.equal(d.entries.length, 70);
      const e = d.entries[40];
      assert.equal(e.path, join(dir, "exams_part1.hdf5"));
      assert.equal(e.index, 8);
      assert.deepEqual(e.labels, code15Labels(5, 40).labels);
      const ecg = synthesizeOne(5, 40, {
        fs: 400,
        seconds: 10,
        overrides: code15Labels(5, 40).overrides,
      });
      assert.equal(e.age, ecg.age);
      assert.equal(e.sex, ecg.sex);
      const [r] = await d.readBatch([e]);
      assert.equal(r.fs, 400);
      assert.equal(r.samples, 4096);
      for (const l of [0, 7, 11]) {
        for (const i of [0, 47, 4048, 4095])
          assert.equal(r.signal[l * 4096 + i], 0, `pad ${l} ${i}`);
        for (const i of [0, 1234, 3999])
          assert.equal(r.signal[l * 4096 + 48 + i], ecg.record.signal[l * 4000 + i]);
      }
      // every class occurs, and the same seed draws the same labels
      for (const c of d.classes) assert.ok(s.classes[c] >= 0);
    } finally {
      d.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("code15 labels: morphology carries them (rates of SB/ST/AF, PR of 1dAVb, blocks as CD)", () => {
  const rates: Record<string, number[]> = { SB: [], ST: [], AF: [], none: [] };
  let seenAll = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const { labels, overrides } = code15Labels(1, i);
    seenAll = new Set([...seenAll, ...labels]);
    if (labels.includes("1dAVb")) assert.ok(overrides.prExtra! >= 0.08);
    if (labels.includes("RBBB")) assert.equal(overrides.bundle, "R");
    if (labels.includes("LBBB")) assert.equal(overrides.bundle, "L");
    if (overrides.bundle) assert.deepEqual(overrides.labels, ["CD"]);
    assert.ok(!(labels.includes("AF") && labels.includes("1dAVb")));
    const key = ["SB", "ST", "AF"].find((c) => labels.includes(c)) ?? "none";
    if (rates[key].length < 6) {
      const ecg = synthesizeOne(1, i, { fs: 400, seconds: 10, overrides, waves: false });
      const beats = ecg.beatTimes.filter((t) => t >= 0 && t < 10).length;
      rates[key].push(beats * 6);
    }
  }
  assert.equal(seenAll.size, 6);
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  assert.ok(mean(rates.SB) < 60, `SB ${rates.SB}`);
  assert.ok(mean(rates.ST) > 100, `ST ${rates.ST}`);
  assert.ok(mean(rates.none) > 55 && mean(rates.none) < 100, `sinus ${rates.none}`);
});
