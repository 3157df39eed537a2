import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  copyFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  EcgFormatError,
  ModelMismatchError,
  NotFoundError,
  SUPERCLASSES,
  loadModel,
  trainModel,
  type ModelConfig,
} from "../../src/index.js";
import { withAtomicPath, writeFileAtomic } from "../../src/model/folder.js";
import { TINY, toySet } from "./toy.js";

export { TINY, toySet };

/** A small trained model folder (2 epochs). */
export async function tinyModel(dir: string, epochs = 2): Promise<ModelConfig> {
  return trainModel(
    dir,
    toySet(16, 1),
    toySet(8, 2),
    { preset: "ptbxl100", task: "superclass", classes: SUPERCLASSES },
    {
      ...TINY,
      epochs,
      lr: 3e-3,
    },
  );
}

test("atomic writes: a failed write leaves the previous file intact and no temporary", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-atomic-"));
  const file = join(dir, "state.json");
  writeFileAtomic(file, "old");
  // An interruption mid-write: the temporary is half written, then the writer dies.
  await assert.rejects(
    withAtomicPath(file, async (tmp) => {
      writeFileSync(tmp, "ne");
      throw new Error("killed");
    }),
    /killed/,
  );
  assert.equal(readFileSync(file, "utf8"), "old");
  assert.deepEqual(readdirSync(dir), ["state.json"]);
  writeFileAtomic(file, "new");
  assert.equal(readFileSync(file, "utf8"), "new");
  assert.deepEqual(readdirSync(dir), ["state.json"]);
  rmSync(dir, { recursive: true });
});

test("save -> load gives identical outputs; bad folders give one-line errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-model-"));
  const m = join(dir, "m");
  const config = await tinyModel(m);
  assert.equal(config.history!.length, 2);
  assert.equal(config.thresholds.length, 5);
  const a = await loadModel(m);
  const b = await loadModel(m);
  const x = toySet(3, 9).x;
  const ra = await a.forward(x, 3, { taps: ["B4"] });
  const rb = await b.forward(x, 3, { taps: ["B4"] });
  assert.deepEqual(ra.outputs, rb.outputs);
  assert.deepEqual(ra.taps.B4.data, rb.taps.B4.data);
  assert.equal(a.fingerprint, b.fingerprint);
  assert.ok(ra.outputs.every((p) => p > 0 && p < 1));
  // NaN input is refused before it reaches the network.
  const bad = x.slice(0, 12 * 1024);
  bad[100] = NaN;
  await assert.rejects(
    a.forward(bad, 1),
    (e: Error) => e instanceof EcgFormatError && /NaN at value 100/.test(e.message),
  );

  await assert.rejects(
    loadModel(join(dir, "nope")),
    (e: Error) => e instanceof NotFoundError && /model folder not found/.test(e.message),
  );
  await assert.rejects(loadModel(dir), /not an ecg-tlc model folder \(no model.json\)/);

  const corrupt = join(dir, "corrupt");
  await tinyModelCopy(m, corrupt);
  writeFileSync(join(corrupt, "model.json"), "{ not json");
  await assert.rejects(
    loadModel(corrupt),
    (e: Error) => e instanceof EcgFormatError && /not valid JSON/.test(e.message),
  );

  writeFileSync(join(corrupt, "model.json"), JSON.stringify({ hello: "world" }));
  await assert.rejects(loadModel(corrupt), /not an ecg-tlc model configuration/);

  // A model.json that claims another preset than its network.
  const other = { ...config, preset: "ribeiro2020" };
  writeFileSync(join(corrupt, "model.json"), JSON.stringify(other));
  await assert.rejects(
    loadModel(corrupt),
    (e: Error) =>
      e instanceof ModelMismatchError && /does not match preset 'ribeiro2020'/.test(e.message),
  );

  // An unknown head is refused by name, before the engine sees it.
  writeFileSync(
    join(corrupt, "model.json"),
    JSON.stringify({ ...config, network: { ...config.network, head: "gap" } }),
  );
  await assert.rejects(
    loadModel(corrupt),
    (e: Error) =>
      e instanceof ModelMismatchError &&
      /corrupt.model\.json: unknown network head 'gap' \(flatten or mean\)$/.test(e.message),
  );
  // A mean-head model's (the default) weights do not load into a flatten head (the head's shape differs).
  writeFileSync(
    join(corrupt, "model.json"),
    JSON.stringify({
      ...config,
      weightsSha256: "",
      network: { ...config.network, head: "flatten" },
    }),
  );
  copyFileSync(join(m, "weights.pt"), join(corrupt, "weights.pt"));
  await assert.rejects(loadModel(corrupt), /cannot load weights.*shape/);

  // Weights replaced by other bytes: the sha256 recorded in model.json catches it.
  writeFileSync(join(corrupt, "model.json"), JSON.stringify(config));
  writeFileSync(join(corrupt, "weights.pt"), "garbage");
  await assert.rejects(loadModel(corrupt), /sha256 differs/);

  // Weights of another network shape (no sha256 to lean on): the engine refuses them by shape.
  writeFileSync(
    join(corrupt, "model.json"),
    JSON.stringify({
      ...config,
      weightsSha256: "",
      network: { ...config.network, channels: [4, 4, 4, 6, 8] },
    }),
  );
  copyFileSync(join(m, "weights.pt"), join(corrupt, "weights.pt"));
  await assert.rejects(
    loadModel(corrupt),
    (e: Error) =>
      e instanceof ModelMismatchError &&
      /cannot load weights.*shape/.test(e.message) &&
      !e.message.includes("\n"),
  );
  rmSync(dir, { recursive: true });
});

async function tinyModelCopy(from: string, to: string): Promise<void> {
  const { mkdirSync } = await import("node:fs");
  mkdirSync(to, { recursive: true });
  for (const f of ["model.json", "weights.pt"]) copyFileSync(join(from, f), join(to, f));
  assert.ok(existsSync(join(to, "weights.pt")));
}

test("the default head pools over time: recorded in model.json, loads back with it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-model-"));
  const config = await trainModel(
    dir,
    toySet(16, 1),
    toySet(8, 2),
    { preset: "ptbxl100", task: "superclass", classes: SUPERCLASSES },
    { ...TINY, epochs: 1 },
  );
  assert.equal(config.network.head, "mean");
  const model = await loadModel(dir);
  assert.equal(model.config.network.head, "mean");
  const x = toySet(2, 9).x;
  const again = await loadModel(dir);
  assert.deepEqual((await model.forward(x, 2)).outputs, (await again.forward(x, 2)).outputs);
  model.dispose();
  again.dispose();
  rmSync(dir, { recursive: true });
});
