/**
 * One rule for predicted labels: an ECG explained through a model that has no threshold for some
 * classes gets the same predicted labels from the CLI (`explain --json`), the explorer (GET
 * /api/records/ID/explanation) and a figure (its header's "predicted" row).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_THRESHOLD, predictedLabels } from "../../src/explain/explanation.js";
import { openDataset } from "../../src/io/datasets/index.js";
import { readModelFolder, writeModelConfig, writeUntrainedModel } from "../../src/model/folder.js";
import { loadModel } from "../../src/model/index.js";
import { startExplorer } from "../../src/server/app.js";
import { createTlcExplainer } from "../../src/server/explainer.js";
import { Tlc } from "../../src/tlc/tlc.js";
import { explanationFigure } from "../../src/viz/explain-figure.js";
import { ROOT, sharedData } from "../data.js";

const CLI = join(ROOT, "dist", "src", "cli", "main.js");

test("a model without thresholds for some classes: CLI, explorer and figure predict the same", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-labels-"));
  const dataset = await openDataset(sharedData("ptbxl"));
  try {
    await writeUntrainedModel(dir, {
      network: { channels: [8, 8, 12, 12, 16], kernel: 5 },
      seed: 1,
    });
    const entry = dataset.entries[0];
    const record = await dataset.read(entry);
    // Thresholds for the first two classes only, put where they call one class and not the
    // other; the last three fall back to DEFAULT_THRESHOLD.
    let model = await loadModel(dir);
    const prepared = model.prepare(record);
    const out = (await model.forward(prepared.signal, 1)).outputs;
    model.dispose();
    const { config } = readModelFolder(dir);
    config.thresholds = [out[0] - 0.01, out[1] + 0.01];
    writeModelConfig(dir, config);
    model = await loadModel(dir);
    const expected = predictedLabels(model.config, out);
    const classes = model.config.classes;
    assert.ok(expected.includes(classes[0]) && !expected.includes(classes[1]));
    const fallback = classes.slice(2).filter((_, j) => out[j + 2] >= DEFAULT_THRESHOLD);
    assert.ok(fallback.length > 0, `no class without a threshold reaches 0.5: ${out.join(", ")}`);
    assert.deepEqual(expected, [classes[0], ...fallback]);

    const tlc = await Tlc.fit(model, dataset, dataset.entries.slice(0, 6), {
      taps: ["B1"],
      k: 3,
      seed: 1,
      nInit: 1,
      threads: 1,
    });
    const tlcPath = join(dir, "tlc.json");
    tlc.save(tlcPath);
    const explainer = tlc.bind(model);
    const explanation = await explainer.explainOne(record);
    assert.deepEqual(explanation.labels, expected, "library");

    const cli = spawnSync(
      process.execPath,
      [CLI, "explain", "--model", dir, "--tlc", tlcPath, entry.path, "--json"],
      { encoding: "utf8" },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout).labels, expected, "CLI");

    const small = { entries: [entry], read: () => dataset.read(entry), close() {} };
    const app = await startExplorer({
      explainer: createTlcExplainer({ explainer, dataset: small }),
      port: 0,
      index: false,
    });
    try {
      const res = await fetch(`${app.url}api/records/${entry.id}/explanation`);
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { predicted: string[] }).predicted, expected);
    } finally {
      await app.close();
    }

    const svg = await explanationFigure(model, record, explanation, { waves: false });
    const figure = [
      ...svg.matchAll(/<g class="prediction" data-class="(\w+)" data-predicted="1"/g),
    ];
    assert.deepEqual(
      figure.map((m) => m[1]),
      expected,
      "figure",
    );
    model.dispose();
  } finally {
    dataset.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
