import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SUPERCLASSES, trainModel, type ModelConfig } from "../../src/index.js";
import { bestF1Threshold, tuneThresholds } from "../../src/model/scores.js";
import { TINY, toySet } from "./folder.test.js";

const spec = { preset: "ptbxl100" as const, task: "superclass" as const, classes: SUPERCLASSES };

test("training writes checkpoints atomically and --resume continues where it stopped", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-train-"));
  const train = toySet(16, 1);
  const val = toySet(8, 2);
  const opts = { ...TINY, lr: 3e-3, seed: 5 };
  // Three epochs straight, and two epochs then a resume to three: the same history and weights.
  const full = await trainModel(join(dir, "full"), train, val, spec, { ...opts, epochs: 3 });
  const part = await trainModel(join(dir, "part"), train, val, spec, { ...opts, epochs: 2 });
  assert.equal(part.history!.length, 2);
  const ck = readdirSync(join(dir, "part", "checkpoint")).sort();
  assert.deepEqual(ck, ["epoch-2-optimizer.pt", "epoch-2.pt", "state.json"]); // old epochs removed, no temporaries
  const resumed = await trainModel(join(dir, "part"), train, val, spec, {
    ...opts,
    epochs: 3,
    resume: true,
  });
  const strip = (c: ModelConfig) => c.history!.map(({ loss, valLoss }) => [loss, valLoss]);
  assert.deepEqual(strip(resumed), strip(full));
  assert.equal(resumed.weightsSha256, full.weightsSha256);
  // The loss goes down on this separable toy set and the validation scores are stored.
  assert.ok(full.history![2].loss < full.history![0].loss);
  assert.ok(existsSync(join(dir, "full", "weights.pt")));
  const json = JSON.parse(readFileSync(join(dir, "full", "model.json"), "utf8")) as ModelConfig;
  assert.equal(json.format, "ecg-tlc-model");
  assert.deepEqual(json.taps, ["B1", "B2", "B3", "B4"]);
  assert.equal(json.preprocessing.fs, 100);
  assert.equal(json.preprocessing.length, 1024);
  assert.deepEqual(json.preprocessing.bandpass, { low: 0.5, high: 40, order: 4 });
  await assert.rejects(
    trainModel(join(dir, "none"), train, val, spec, { ...opts, resume: true }),
    /nothing to resume/,
  );
  rmSync(dir, { recursive: true });
});

test("age regression trains on standardised targets and reports years", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-age-"));
  const train = toySet(16, 3);
  const val = toySet(8, 4);
  // Age = 40 + 20 x (lead 0 has a burst): learnable.
  const age = (s: typeof train) => ({
    ...s,
    outputs: 1,
    y: Float32Array.from({ length: s.n }, (_, i) => 40 + 20 * s.y[i * 5]),
  });
  const c = await trainModel(
    dir,
    age(train),
    age(val),
    { preset: "ptbxl100", task: "age", classes: ["age"] },
    { ...TINY, epochs: 2, lr: 3e-3 },
  );
  assert.ok(
    c.target &&
      Math.abs(
        c.target.mean -
          40 -
          20 * (train.y.filter((_, i) => i % 5 === 0).reduce((a, b) => a + b, 0) / 16),
      ) < 1e-4,
  );
  const v = c.validation as { mae: number; r2: number; task: string };
  assert.equal(v.task, "age");
  assert.ok(v.mae >= 0 && v.mae < 40, String(v.mae));
  rmSync(dir, { recursive: true });
});

test("F1-optimal thresholds", () => {
  // Scores 0.9,0.8 positive, 0.7 negative, 0.6 positive, 0.1 negative: the best F1 (6/7) keeps the
  // top four; the threshold sits halfway between 0.6 and 0.1.
  assert.equal(bestF1Threshold([0.9, 0.8, 0.7, 0.6, 0.1], [1, 1, 0, 1, 0]), 0.35);
  assert.equal(bestF1Threshold([0.9, 0.8, 0.7], [0, 0, 0]), 0.5);
  assert.deepEqual(tuneThresholds([0.9, 0.1, 0.2, 0.8], [1, 0, 0, 1], 2), [0.55, 0.45]);
});
