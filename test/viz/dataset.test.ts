import { test } from "node:test";
import assert from "node:assert/strict";
import {
  renderContingency,
  renderLabelCorrelation,
  renderClusterImportance,
  renderProportionsByClass,
  renderPrototypes,
} from "../../src/viz/dataset.js";
import {
  renderEntropyByClassWave,
  renderFidelityVsK,
  renderGradcamVsEntropy,
} from "../../src/viz/evaluation.js";
import { CLUSTER_PALETTE, clusterColor, escapeXml, niceTicks } from "../../src/viz/svg.js";
import { linearScale, tickFormat } from "../../src/viz/charts.js";

function attrsOf(svg: string, tag: string, cls: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of svg.matchAll(new RegExp(`<${tag}\\s([^>]*?)/?>`, "g"))) {
    const a: Record<string, string> = {};
    for (const [, k, v] of m[1].matchAll(/([\w:-]+)="([^"]*)"/g)) a[k] = v;
    if (a.class === cls) out.push(a);
  }
  return out;
}

test("palette: 20 distinct colours, wrapping beyond", () => {
  assert.equal(new Set(CLUSTER_PALETTE).size, 20);
  assert.equal(clusterColor(20), clusterColor(0));
  assert.equal(clusterColor(-1), clusterColor(19));
});

test("escapeXml and niceTicks", () => {
  assert.equal(escapeXml(`a<b>&"c'`), "a&lt;b&gt;&amp;&quot;c&#39;");
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.88, 0.96, 4), [0.88, 0.9, 0.92, 0.94, 0.96]);
  const s = linearScale([0, 10], [100, 200]);
  assert.equal(s(2.5), 125);
});

test("contingency heatmap: row-normalised cells carry the exact shares", () => {
  const table = [
    [10, 70, 10, 10],
    [0, 0, 30, 10],
    [0, 0, 0, 0],
  ];
  const svg = renderContingency({ table, clusterWaves: ["QRS", "T"] });
  const cells = attrsOf(svg, "rect", "cell");
  assert.equal(cells.length, 12);
  const at = (i: number, j: number) =>
    cells.find((c) => c["data-row"] === String(i) && c["data-col"] === String(j))!;
  assert.equal(Number(at(0, 1)["data-value"]), 0.7);
  assert.equal(Number(at(1, 2)["data-value"]), 0.75);
  assert.equal(at(2, 0)["data-value"], "NaN"); // an empty cluster has no shares
  assert.match(svg, />70%</);
  assert.match(svg, />C0 \(QRS\) 71%</); // 100 of 140 samples
  assert.match(svg, />C1 \(T\) 29%</);
  const counts = renderContingency({ table, normalize: "none" });
  assert.match(counts, />70</);
});

test("proportions by class: bar widths are the class's shares of the bar", () => {
  const svg = renderProportionsByClass({
    classes: ["NORM", "MI"],
    proportions: [
      [0.5, 0.25, 0.25],
      [0.1, 0.6, 0.3],
    ],
  });
  const bars = attrsOf(svg, "rect", "bar");
  assert.equal(bars.length, 6);
  const mi = bars.filter((b) => b["data-class"] === "MI").map((b) => Number(b.width));
  // The bar spans 480 px.
  assert.deepEqual(
    mi.map((w) => Math.round(w * 10) / 10),
    [48, 288, 144],
  );
});

test("entropy by class and wave: one bar per (class, wave), heights proportional", () => {
  const svg = renderEntropyByClassWave({
    classes: ["NORM", "MI"],
    mean: [
      [0.2, 0.1, 0.4, 0.5],
      [0.3, 0.2, 0.25, NaN],
    ],
  });
  const bars = attrsOf(svg, "rect", "bar");
  assert.equal(bars.length, 7); // NaN is not drawn
  const h = (c: string, w: string) =>
    Number(bars.find((b) => b["data-class"] === c && b["data-wave"] === w)!.height);
  assert.ok(Math.abs(h("NORM", "TP") / h("NORM", "P") - 2.5) < 0.01);
});

test("fidelity vs K: points in K order, the explainer's K and the plateau marked, paper's line drawn", () => {
  const svg = renderFidelityVsK({
    points: [
      { k: 10, mean: 0.94, std: 0.004 },
      { k: 4, mean: 0.9, std: 0.01 },
      { k: 20, mean: 0.945, std: 0.004 },
    ],
    explainerK: 4,
    plateau: 10,
    paper: { mean: 0.949, std: 0.005 },
  });
  const pts = attrsOf(svg, "circle", "point");
  assert.deepEqual(
    pts.map((p) => p["data-k"]),
    ["4", "10", "20"],
  );
  assert.ok(Number(pts[1].cy) < Number(pts[0].cy)); // higher fidelity is higher up
  assert.match(svg, /this explainer: K=4/);
  assert.match(svg, /plateau: K=10/);
  assert.equal(attrsOf(svg, "circle", "plateau")[0].cx, pts[1].cx); // the ring sits on K=10
  assert.equal(pts[0].r, "6"); // the explainer's point is the large one
  assert.match(svg, /paper: 94\.9%/);
  // One K both: both labels (one below the point, one above).
  const both = renderFidelityVsK({
    points: [{ k: 6, mean: 0.9, std: 0.01 }],
    explainerK: 6,
    plateau: 6,
  });
  assert.match(both, /this explainer: K=6/);
  assert.match(both, /plateau: K=6/);
});

test("prototypes, Grad-CAM scatter and label correlation render their inputs", () => {
  const mean = Float32Array.from({ length: 51 }, (_, i) => Math.exp(-(((i - 25) / 4) ** 2)));
  const svg = renderPrototypes([
    { cluster: 0, wave: "QRS", fs: 100, mean, count: 12 },
    { cluster: 3, wave: "T", fs: 100, mean, std: new Float32Array(51).fill(0.1) },
  ]);
  assert.equal(attrsOf(svg, "path", "mean").length, 2);
  assert.equal(attrsOf(svg, "path", "std").length, 1);
  assert.match(svg, />-250 ms</); // 51 samples at 100 Hz: -250 to 250 ms
  assert.match(svg, />250 ms</);
  const points = Array.from({ length: 10000 }, (_, i) => ({
    gradcam: (i % 100) / 100,
    entropy: 0.5,
  }));
  const cam = renderGradcamVsEntropy({ points, maxPoints: 1000, correlation: 0.12 });
  const n = Number(/class="points" data-n="(\d+)"/.exec(cam)![1]);
  assert.ok(n > 900 && n < 1100, `${n} points kept`);
  assert.match(cam, /r = 0\.12/);
  const corr = renderLabelCorrelation({ classes: ["NORM", "MI"], correlation: [[0.5, -0.25]] });
  assert.equal(attrsOf(corr, "rect", "cell").length, 2);
  assert.match(corr, />-0\.25</);
});

test("cluster importance: bars start at zero, negative ones to its left, widths proportional", () => {
  const svg = renderClusterImportance({
    measures: [
      { name: "permutation", values: [0.02, -0.01, 0.04], std: [0.001, 0.001, 0.001] },
      { name: "deletion", values: [0.1, 0.3, 0] },
    ],
    clusterWaves: ["QRS"],
  });
  const bars = attrsOf(svg, "rect", "bar");
  assert.equal(bars.length, 6);
  const perm = bars.filter((b) => b["data-measure"] === "permutation");
  const zero = Number(perm[0].x); // a positive bar starts at 0
  assert.ok(Math.abs(Number(perm[1].x) + Number(perm[1].width) - zero) < 0.02); // negative ends at 0
  assert.ok(Math.abs(Number(perm[2].width) / Number(perm[0].width) - 2) < 0.01);
  assert.match(svg, />C0 \(QRS\)</);
});

test("tick labels carry the decimals of the tick step", () => {
  assert.equal(tickFormat([0, 0.002, 0.004])(0.004), "0.004");
  assert.equal(tickFormat([0, 0.5, 1])(1), "1.0");
  assert.equal(tickFormat([0, 20, 40])(40), "40");
});

test("entropy by class and wave: one class (an age model) still leaves room for the title", () => {
  const svg = renderEntropyByClassWave({ classes: ["all"], mean: [[0.008, 0.004, 0.007, 0.008]] });
  const width = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)![1]);
  assert.ok(width >= 20 + 9 * "Assignment entropy by class and wave".length, `width ${width}`);
});
