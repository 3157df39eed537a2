/**
 * End to end with the real libtorch engine: a tiny untrained 1D-ResNet of the ptbxl100 preset's
 * layout (1,024 samples, downsample 2: B2/B3/B4 give 256/128/64 steps), real PTB-XL records.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createNetwork } from "../../src/model/engine.js";
import { LoadedModel } from "../../src/model/libtorch/model.js";
import { PRESETS, SUPERCLASSES, type ModelConfig } from "../../src/model/presets.js";
import { Tlc } from "../../src/tlc/tlc.js";
import { ptbxlDataset } from "./fake.js";

const B234 = { taps: ["B2", "B3", "B4"], recordScale: false };

function tinyModel(): LoadedModel {
  const p = PRESETS.ptbxl100;
  const config: ModelConfig = {
    format: "ecg-tlc-model",
    version: 1,
    preset: "ptbxl100",
    task: "superclass",
    classes: SUPERCLASSES,
    thresholds: SUPERCLASSES.map(() => 0.5),
    preprocessing: p.preprocessing,
    taps: ["B1", "B2", "B3", "B4"],
    network: {
      ...p.network,
      channels: [8, 8, 12, 16, 20],
      kernel: 5,
      outputs: SUPERCLASSES.length,
    },
    weightsSha256: "untrained-test-network",
  };
  const net = createNetwork({ ...config.network, seed: 0, lr: 0, weightDecay: 0 });
  return new LoadedModel("tiny", config, net);
}

test("TLC over the real engine: taps B2-B4 of an untrained ResNet, 1000-sample records", async () => {
  const model = tinyModel();
  const data = ptbxlDataset(6);
  const tlc = await Tlc.fit(model, data, data.entries.slice(0, 5), {
    k: 4,
    seed: 1,
    threads: 2,
    ...B234,
  });
  assert.deepEqual(tlc.layout.steps, [256, 128, 64]);
  assert.equal(tlc.dims, 12 + 16 + 20);
  assert.equal(tlc.info.points, 5 * 250);
  const rec = await data.read(data.entries[5]);
  const e = await tlc.bind(model).explainOne(rec);
  assert.equal(e.clusters.length, 1000);
  assert.deepEqual(Object.keys(e.outputs), SUPERCLASSES);
  assert.ok(e.entropy.every((h) => h >= 0 && h <= 1));
  assert.ok(Math.abs(e.proportions.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  // The same explainer refuses a model with other weights.
  const other = tinyModel();
  (other.config as { weightsSha256: string }).weightsSha256 = "other";
  const again = new LoadedModel(
    "other",
    other.config,
    createNetwork({ ...other.config.network, seed: 0, lr: 0, weightDecay: 0 }),
  );
  assert.throws(() => tlc.bind(again), /fitted on model/);
  model.dispose();
});
