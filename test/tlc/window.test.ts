/**
 * Records longer than the network's window are refused by explain (library and CLI), fast and
 * with a way to choose a segment, at any rate; records that fit are explained whole, one cluster
 * per sample; a chosen segment is explained and says where it lies.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ModelMismatchError } from "../../src/errors.js";
import { openDataset } from "../../src/io/datasets/index.js";
import { writeRecord } from "../../src/io/writer.js";
import { writeUntrainedModel } from "../../src/model/folder.js";
import { gradcamRecord } from "../../src/explain/gradcam.js";
import { loadModel, type ModelFace as Model } from "../../src/model/index.js";
import { windowSamples } from "../../src/signal/window.js";
import { Tlc } from "../../src/tlc/tlc.js";
import { STANDARD_LEADS, type EcgRecord } from "../../src/types.js";
import { ROOT, sharedData } from "../data.js";

/** 12 leads of a 1.1 Hz sine with a little drift, `samples` long at `fs`. */
function longRecord(name: string, fs: number, samples: number): EcgRecord {
  const signal = new Float32Array(12 * samples);
  for (let l = 0; l < 12; l++) {
    for (let i = 0; i < samples; i++) {
      signal[l * samples + i] = ((l + 1) / 10) * Math.sin((2 * Math.PI * 1.1 * i) / fs) + i * 1e-7;
    }
  }
  return { name, fs, samples, leads: [...STANDARD_LEADS], units: Array(12).fill("mV"), signal };
}

describe("explaining records longer than the network's window", { timeout: 120_000 }, () => {
  let dir: string;
  let model: Model;
  let tlc: Tlc;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ecg-tlc-window-"));
    await writeUntrainedModel(dir, {
      network: { channels: [8, 8, 12, 12, 16], kernel: 5 },
      seed: 1,
    });
    model = await loadModel(dir);
    const dataset = await openDataset(sharedData("ptbxl"));
    tlc = await Tlc.fit(model, dataset, dataset.entries.slice(0, 8), {
      taps: ["B2", "B4"],
      k: 4,
      seed: 1,
      nInit: 1,
      threads: 1,
    });
    dataset.close();
    tlc.save(join(dir, "tlc.json"));
  });
  after(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the window at each rate is the network's 10.24 s", () => {
    const spec = model.config.preprocessing;
    assert.equal(windowSamples(100, spec), 1024);
    assert.equal(windowSamples(500, spec), 5120);
    assert.equal(windowSamples(360, spec), 3686);
    assert.equal(windowSamples(1000, spec), 10240);
    assert.equal(windowSamples(257, spec), 2631);
  });

  test("longer records are refused at every rate, fast, naming the longest segment", async () => {
    for (const [fs, samples] of [
      [100, 1_600_000],
      [100, 1025],
      [500, 5121],
      [360, 60 * 360],
      [1000, 10_241],
      [257, 1_000_000],
      [128, 24 * 3600],
    ]) {
      const rec = longRecord(`long${fs}`, fs, samples);
      const t0 = performance.now();
      await assert.rejects(tlc.bind(model).explainOne(rec), (err: unknown) => {
        assert.ok(err instanceof ModelMismatchError, String(err));
        const max = windowSamples(fs, model.config.preprocessing);
        assert.match(
          err.message,
          new RegExp(`^long${fs}: ${samples} samples .* at most ${max} samples`),
        );
        assert.match(err.message, /from\/to/);
        return true;
      });
      assert.ok(performance.now() - t0 < 200, `${fs} Hz x ${samples}: refused too slowly`);
      // A batch holding one long record is refused whole: no explanation for a sample unseen.
      await assert.rejects(tlc.bind(model).explain([longRecord("ok", fs, 100), rec]));
    }
  });

  test("records that fit the window are explained whole, one cluster per sample", async () => {
    for (const [fs, samples] of [
      [100, 1024],
      [100, 1000],
      [500, 5120],
      [360, 3686],
      [100, 300],
    ]) {
      const e = await tlc.bind(model).explainOne(longRecord("fits", fs, samples));
      assert.equal(e.samples, samples);
      assert.equal(e.clusters.length, samples);
      assert.equal(e.segments.at(-1)!.end, samples);
    }
  });

  test("preprocessing refuses what would resample to gigabytes, before allocating", () => {
    // 11.6 days at 1 Hz are 100 million samples per lead at the model's 100 Hz
    const rec = longRecord("numerics", 1, 1_000_000);
    const t0 = performance.now();
    assert.throws(() => model.prepare(rec), /would be 100000000 samples x 12 leads, more than/);
    assert.ok(performance.now() - t0 < 500, `${performance.now() - t0} ms`);
  });

  test("Grad-CAM maps too: refused beyond the window, whole within it", async () => {
    for (const [fs, samples] of [
      [100, 1025],
      [360, 60 * 360],
    ]) {
      await assert.rejects(
        gradcamRecord(model, longRecord("long", fs, samples), { tap: "B4", target: 0 }),
        ModelMismatchError,
      );
    }
    const r = await gradcamRecord(model, longRecord("fits", 500, 5120), { tap: "B4", target: 0 });
    assert.equal(r.samples.length, 5120);
  });

  test("the CLI refuses a long record in one line and explains a chosen segment", () => {
    const rec = writeRecord(dir, longRecord("holter", 360, 30 * 60 * 360));
    const main = join(ROOT, "dist", "src", "cli", "main.js");
    const base = ["explain", "--model", dir, "--tlc", join(dir, "tlc.json"), rec];
    let r = spawnSync(process.execPath, [main, ...base, "--json"], { encoding: "utf8" });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(
      r.stderr,
      /648000 samples \(1800 s at 360 Hz\).*at most 3686 samples \(10\.24 s\)/,
    );
    r = spawnSync(process.execPath, [main, ...base, "--json", "--from", "600", "--to", "610"], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout) as { samples: number; clusters: number[]; segment: object };
    assert.equal(e.samples, 3600);
    assert.equal(e.clusters.length, 3600);
    assert.deepEqual(e.segment, { from: 216000, to: 219600 });
    // A segment still too long, or outside the record: one line each.
    for (const [from, to, pattern] of [
      ["0", "20", /at most 3686 samples/],
      ["1799", "1900", /not inside it/],
      ["5", "4", /to: expected seconds after from/],
    ] as const) {
      r = spawnSync(process.execPath, [main, ...base, "--from", from, "--to", to], {
        encoding: "utf8",
      });
      assert.notEqual(r.status, 0);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    }
  });
});
