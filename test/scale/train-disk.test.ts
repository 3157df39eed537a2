import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openDataset } from "../../src/io/index.js";
import { loadLabelledSet, rowsOf, trainOnDataset } from "../../src/model/index.js";
import { PRESETS } from "../../src/model/presets.js";
import { writeCode15Dataset } from "../../src/signal/synth-code15.js";

test("training over its memory budget reads batches from disk and trains the same network", async () => {
  const dir = mkdtempSync(join(tmpdir(), "train-disk-"));
  try {
    await writeCode15Dataset(join(dir, "data"), { n: 48, seed: 2 });
    const ds = await openDataset(join(dir, "data"));
    try {
      const spec = PRESETS.ptbxl100.preprocessing;
      const mem = await loadLabelledSet(ds, ds.entries, spec, "age", ["age"]);
      const disk = await loadLabelledSet(ds, ds.entries, spec, "age", ["age"], undefined, {
        memoryBudget: 0,
        scratchDir: dir,
      });
      assert.equal(disk.x.length, 0);
      assert.ok(disk.rows);
      assert.deepEqual(rowsOf(disk).range(5, 9), rowsOf(mem).range(5, 9));
      disk.rows!.close();
      assert.deepEqual(readdirSync(dir), ["data"], "the scratch file is removed on close");

      const opts = {
        preset: "ptbxl100" as const,
        task: "age" as const,
        trainFolds: [1, 2, 3, 4, 5, 6, 7, 8],
        valFolds: [9, 10],
        epochs: 2,
        batchSize: 8,
        channels: [8, 8, 8, 12, 16],
        kernel: 5,
        progress: null,
      };
      const a = await trainOnDataset(ds, join(dir, "in-memory"), opts);
      const b = await trainOnDataset(ds, join(dir, "on-disk"), { ...opts, memoryBudget: 0 });
      assert.equal(b.weightsSha256, a.weightsSha256);
      assert.ok(!readdirSync(join(dir, "on-disk")).some((f) => f.endsWith(".f32")));
      assert.ok(existsSync(join(dir, "on-disk", "model.json")));
    } finally {
      ds.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
