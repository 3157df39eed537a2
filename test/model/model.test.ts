import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  ModelMismatchError,
  describeOutputs,
  gradcamRecord,
  loadModel,
  predictBatches,
  readRecord,
  tapToSamples,
} from "../../src/index.js";
import { sharedData } from "../data.js";
import { tinyModel } from "./folder.test.js";

test("a model replays its preprocessing on raw 500 Hz records and maps Grad-CAM to their samples", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-m-"));
  await tinyModel(dir, 1);
  const model = await loadModel(dir);
  const ludb = readRecord(join(sharedData("ludb", "data"), "1")); // 500 Hz, 5,000 samples, raw mV
  const p = model.prepare(ludb);
  assert.equal(p.fs, 100);
  assert.equal(p.length, 1024);
  assert.equal(p.offset, 12); // 1,000 samples at 100 Hz, centred in 1,024
  const cam = await gradcamRecord(model, ludb, { tap: "B3", target: "MI" });
  assert.equal(cam.target, "MI");
  assert.equal(cam.steps.length, 128);
  assert.equal(cam.samples.length, 5000);
  // Source sample s lands at prepared index s/5 + 12, i.e. step floor((s/5 + 12) / 8) of B3.
  for (const s of [0, 1234, 4999])
    assert.equal(cam.samples[s], cam.steps[Math.floor((s / 5 + 12) / 8)]);
  assert.ok(cam.steps.every((v) => v >= 0));
  // Streaming prediction: same outputs in batches of 1 as in one batch of 3.
  const paths = ["1", "2", "10"].map((r) => join(sharedData("ludb", "data"), r));
  const one: Float32Array[] = [];
  for await (const r of predictBatches(model, paths, (q) => readRecord(q), 1)) one.push(r.outputs);
  let i = 0;
  for await (const r of predictBatches(model, paths, (q) => readRecord(q), 3)) {
    for (let k = 0; k < 5; k++) assert.ok(Math.abs(r.outputs[k] - one[i][k]) < 1e-5);
    const d = describeOutputs(model.config, r.outputs);
    assert.deepEqual(Object.keys(d.outputs), ["NORM", "MI", "STTC", "CD", "HYP"]);
    assert.deepEqual(
      d.labels,
      model.config.classes.filter((_, k) => r.outputs[k] >= model.config.thresholds[k]),
    );
    i++;
  }
  // A record lacking leads is refused with the names of the missing ones.
  const twoLeads = {
    ...ludb,
    leads: ["i", "ii"],
    units: ["mV", "mV"],
    signal: ludb.signal.slice(0, 2 * 5000),
  };
  assert.throws(
    () => model.prepare(twoLeads),
    (e: Error) => e instanceof ModelMismatchError && /III/.test(e.message),
  );
  await assert.rejects(
    gradcamRecord(model, ludb, { tap: "B3", target: "XYZ" }),
    /'XYZ' is not an output/,
  );
  model.dispose();
  await assert.rejects(model.forward(p.signal, 1), /disposed/);
  rmSync(dir, { recursive: true });
});

test("tapToSamples inverts padding and resampling", () => {
  const prepared = {
    signal: new Float32Array(0),
    length: 8,
    fs: 2,
    leads: [],
    sourceFs: 4,
    sourceSamples: 10,
    offset: 1,
    validStart: 1,
    validEnd: 6,
  };
  // prepared index of source s = s/2 + 1; with 4 steps over 8 samples, step = floor(index / 2).
  assert.deepEqual(
    Array.from(tapToSamples([10, 20, 30, 40], prepared)),
    [10, 10, 20, 20, 20, 20, 30, 30, 30, 30],
  );
});
