import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedData } from "../data.js";
import { delineate } from "../../src/signal/delineate/index.js";
import { waveLabels } from "../../src/signal/waves.js";
import type { PreparedSignal } from "../../src/signal/preprocess.js";
import type { EcgRecord } from "../../src/types.js";
import {
  clusterWavesOf,
  explanationFigure,
  figurePath,
  parseLayout,
  writeFigureFiles,
} from "../../src/viz/explain-figure.js";
import { pngSize } from "../../src/viz/png.js";
import { gradcamRecord } from "../../src/explain/gradcam.js";
import { modelFace } from "../model-face.js";
import { fakeExplanation, readFormat16 } from "./fixtures.js";

const ludbPath = join(sharedData("ludb", "data"), "1");
const ludb = readFormat16(ludbPath);

// A model whose preparation resamples 500 -> 100 Hz into 1024 samples starting at offset 12,
// and whose Grad-CAM on 64 steps is the step index: the mapping to source samples is exact.
const model = modelFace({
  config: { classes: ["NORM", "MI"], thresholds: [0.5, 0.5], taps: ["B3", "B4"] },
  targets: [] as number[],
  taps: [] as string[],
  prepare(rec: EcgRecord): PreparedSignal {
    return {
      signal: new Float32Array(12 * 1024),
      length: 1024,
      fs: 100,
      leads: rec.leads,
      sourceFs: rec.fs,
      sourceSamples: rec.samples,
      offset: 12,
      validStart: 12,
      validEnd: 1012,
    };
  },
  async gradcam(_input: Float32Array, tap: string, target: number) {
    this.targets.push(target);
    this.taps.push(tap);
    return Float32Array.from({ length: 64 }, (_, t) => t);
  },
});

test("Grad-CAM is mapped to source samples like the clusters, for the most probable class", async () => {
  const { samples: cam } = await gradcamRecord(model, ludb, { outputs: { NORM: 0.2, MI: 0.7 } });
  assert.equal(cam.length, 5000);
  for (const t of [0, 1, 4, 5, 2499, 4999]) {
    assert.equal(cam[t], Math.floor((((t * 100) / 500 + 12) * 64) / 1024), `sample ${t}`);
  }
  assert.deepEqual(model.targets, [1]);
  assert.deepEqual(model.taps, ["B4"]);
});

test("clusterWavesOf: clusters equal to the delineated waves are named by those waves", () => {
  const d = delineate(ludb);
  const clusters = waveLabels(d.waves, ludb.samples);
  assert.deepEqual(clusterWavesOf(ludb, clusters, 5), ["P", "QRS", "T", "TP", undefined]);
});

test("an Explanation's labels are its predictions: the figure's truth row shows them as unknown", async () => {
  // tlc's Explanation.labels = the classes the model calls; they must not appear as the truth
  const e = {
    ...fakeExplanation(ludb),
    record: "1",
    outputs: { NORM: 0.9, MI: 0.1 },
    labels: ["NORM"],
  };
  const labelOf = (svg: string) =>
    [...svg.matchAll(/<g class="prediction" data-class="(\w+)"[^>]*data-label="([^"]*)"/g)].map(
      (m) => [m[1], m[2]],
    );
  const unknown = await explanationFigure(model, ludb, e, { waves: false });
  assert.deepEqual(labelOf(unknown), [
    ["NORM", ""],
    ["MI", ""],
  ]);
  const known = await explanationFigure(model, ludb, e, { waves: false, trueLabels: ["MI"] });
  assert.deepEqual(labelOf(known), [
    ["NORM", "0"],
    ["MI", "1"],
  ]);
});

test("writeFigureFiles: SVG and PNG per record, names and layout checked", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-viz-"));
  try {
    const e = { ...fakeExplanation(ludb), record: "1" };
    const written = await writeFigureFiles(model, ludb, e, {
      svg: join(dir, "fig.svg"),
      png: join(dir, "fig.png"),
      layout: "column",
      gradcam: true,
      several: true,
    });
    assert.deepEqual(written, [join(dir, "fig-1.svg"), join(dir, "fig-1.png")]);
    const svg = readFileSync(written[0], "utf8");
    assert.match(svg, /data-layout="column"/);
    assert.equal((svg.match(/class="gradcam"/g) ?? []).length, 12);
    const size = pngSize(readFileSync(written[1]));
    const w = Number(/<svg [^>]*width="(\d+)"/.exec(svg)![1]);
    assert.equal(size.width, w);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(figurePath("a/b.svg", "x/y z", true), "a/b-y_z.svg");
  assert.equal(figurePath("a/b.svg", "r", false), "a/b.svg");
  assert.equal(parseLayout("4x3"), "standard");
  assert.throws(() => parseLayout("grid"), /layout: expected 'standard'/);
});
