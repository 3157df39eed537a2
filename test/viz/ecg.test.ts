import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { sharedData } from "../data.js";
import { autoGain, renderEcgFigure } from "../../src/viz/ecg.js";
import { svgToPng, pngSize } from "../../src/viz/png.js";
import { fakeExplanation, readFormat16 } from "./fixtures.js";

// sharedData checks that a path exists, so it gets the folder and the record name is joined on.
const ptb = readFormat16(join(sharedData("ptbxl", "records100", "00000"), "00024_lr"));
const ludb = readFormat16(join(sharedData("ludb", "data"), "1"));

/** All `<tag ...>` openings of one element type, as attribute maps. */
function elements(svg: string, tag: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  const re = new RegExp(`<${tag}\\s([^>]*?)/?>`, "g");
  for (const m of svg.matchAll(re)) {
    const a: Record<string, string> = {};
    for (const [, k, v] of m[1].matchAll(/([\w:-]+)="([^"]*)"/g)) a[k] = v;
    out.push(a);
  }
  return out;
}

/** Points of a path made of M/L/H/V commands with absolute coordinates. */
function points(d: string): [number, number][] {
  const pts: [number, number][] = [];
  for (const [, x, y] of d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)) pts.push([Number(x), Number(y)]);
  return pts;
}

test("column layout: one trace per lead, one background rect per segment at its samples' x extent", () => {
  const e = fakeExplanation(ptb);
  const svg = renderEcgFigure(ptb, e, { layout: "column" });
  const traces = elements(svg, "path").filter((p) => p.class === "trace");
  assert.equal(traces.length, 12);
  assert.deepEqual(
    traces.map((t) => t["data-lead"]),
    ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"],
  );
  const rects = elements(svg, "rect").filter((r) => r.class === "seg");
  assert.equal(rects.length, e.segments.length);
  const x0 = 12; // left margin of the plot, mm
  for (const [i, s] of e.segments.entries()) {
    const r = rects[i];
    assert.equal(Number(r["data-start"]), s.start);
    assert.equal(Number(r["data-cluster"]), s.cluster);
    assert.ok(Math.abs(Number(r.x) - (x0 + (s.start / 100) * 25)) < 0.006, `segment ${i} x ${r.x}`);
    assert.ok(
      Math.abs(Number(r.width) - ((s.end - s.start) / 100) * 25) < 0.006,
      `segment ${i} width`,
    );
  }
});

test("paper grid: 1 mm minor and 5 mm major lines, labelled 25 mm/s", () => {
  const svg = renderEcgFigure(ptb, fakeExplanation(ptb), { layout: "column" });
  const paper = /<g class="paper" data-mm-per-s="(\d+)" data-mm-per-mv="([\d.]+)">/.exec(svg);
  assert.ok(paper);
  assert.equal(paper[1], "25");
  const xs = (cls: string) => {
    const d = elements(svg, "path").find((p) => p.class === cls)!.d;
    return [...d.matchAll(/M(-?[\d.]+) [-\d.]+V/g)].map((m) => Number(m[1]));
  };
  const major = xs("grid-major");
  const minor = xs("grid-minor");
  // 10 s at 25 mm/s = 250 mm: 51 major verticals every 5 mm, 200 minor ones between them.
  assert.equal(major.length, 51);
  assert.equal(minor.length, 200);
  for (let i = 1; i < major.length; i++) assert.ok(Math.abs(major[i] - major[i - 1] - 5) < 1e-9);
  const all = [...major, ...minor].sort((a, b) => a - b);
  for (let i = 1; i < all.length; i++) assert.ok(Math.abs(all[i] - all[i - 1] - 1) < 1e-9);
});

test("trace scale: 25 mm per second and the requested mm per unit, sample by sample", () => {
  const svg = renderEcgFigure(ptb, fakeExplanation(ptb), { layout: "column", mmPerMv: 10 });
  assert.match(svg, /data-mm-per-mv="10"/);
  const lead = 1; // II
  const tr = elements(svg, "path").filter((p) => p.class === "trace")[lead];
  const pts = points(tr.d);
  assert.equal(pts.length, ptb.samples); // 100 Hz: 0.25 mm per sample, no decimation
  const sig = ptb.signal.subarray(lead * ptb.samples, (lead + 1) * ptb.samples);
  for (let i = 0; i < pts.length; i++) {
    assert.ok(Math.abs(pts[i][0] - (12 + i * 0.25)) < 0.006, `x of sample ${i}`);
    const dy = pts[i][1] - pts[0][1];
    assert.ok(Math.abs(dy + (sig[i] - sig[0]) * 10) < 0.011, `y of sample ${i}: ${dy}`);
  }
});

test("500 Hz traces are decimated without losing the R peaks", () => {
  const svg = renderEcgFigure(ludb, fakeExplanation(ludb), { layout: "column", mmPerMv: 10 });
  const tr = elements(svg, "path").filter((p) => p.class === "trace")[0];
  const pts = points(tr.d);
  assert.ok(pts.length < ludb.samples / 2, `${pts.length} points`);
  const sig = ludb.signal.subarray(0, ludb.samples);
  const base = Number(tr["data-baseline"]);
  const ys = pts.map((p) => p[1]);
  const mid = 20 + 24 / 2; // first row: header 20 mm, row height 24 mm
  // The highest point drawn is the highest sample (unless clipped at the row's top edge).
  const top = mid - (Math.max(...sig) - base) * 10;
  assert.ok(Math.abs(Math.min(...ys) - top) < 0.011);
});

test("standard layout: 12 leads in 4 columns of 2.5 s plus a lead II rhythm strip", () => {
  const e = fakeExplanation(ludb);
  const svg = renderEcgFigure(ludb, e);
  assert.match(svg, /data-layout="standard"/);
  const traces = elements(svg, "path").filter((p) => p.class === "trace");
  assert.equal(traces.length, 13);
  assert.equal(traces[12]["data-lead"], "II");
  const rects = elements(svg, "rect").filter((r) => r.class === "seg");
  // Column blocks cover 62.5 mm each and the rhythm strip 250 mm, so widths sum to 2 x 250 mm.
  const total = rects.reduce((s, r) => s + Number(r.width), 0);
  assert.ok(Math.abs(total - 500) < 0.01 * rects.length, `total width ${total}`);
  const first = traces.slice(0, 12).map((t) => points(t.d)[0][0]);
  const starts = [0, 0, 0, 62.5, 62.5, 62.5, 125, 125, 125, 187.5, 187.5, 187.5];
  // At 500 Hz the first point drawn is the min or max of the first 0.25 mm bin.
  first.forEach((x, i) =>
    assert.ok(x - 12 - starts[i] >= 0 && x - 12 - starts[i] < 0.25, `lead ${i}: ${x}`),
  );
});

test("prediction vs label uses the thresholds; text is escaped", async () => {
  const rec = { ...ptb, name: `<script>alert("x")</script>&'` };
  const e = fakeExplanation(rec);
  const svg = renderEcgFigure(rec, e, {
    thresholds: [0.95, 0.5, 0.5, 0.5, 0.5],
    trueLabels: ["NORM", "STTC"],
    clusterWaves: ["QRS", "T<&>", "TP", "P", undefined],
  });
  assert.doesNotMatch(svg, /<script/);
  assert.match(svg, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;&#39;/);
  assert.match(svg, /C1 T&lt;&amp;&gt;/);
  const preds = elements(svg, "g").filter((g) => g.class === "prediction");
  const byClass = Object.fromEntries(preds.map((g) => [g["data-class"], g]));
  assert.equal(byClass.NORM["data-predicted"], "0"); // 0.91 < 0.95
  assert.equal(byClass.NORM["data-label"], "1");
  assert.equal(byClass.STTC["data-predicted"], "1"); // 0.55 >= 0.5
  assert.equal(byClass.MI["data-label"], "0");
  // resvg refuses malformed XML, so rendering proves the escaping kept the document well formed.
  const png = await svgToPng(svg, { width: 400 });
  assert.equal(pngSize(png).width, 400);
});

test("Grad-CAM overlay only when given; legend lists every cluster with its wave", () => {
  const e = fakeExplanation(ptb, 7);
  const plain = renderEcgFigure(ptb, e, { layout: "column" });
  assert.equal(elements(plain, "path").filter((p) => p.class === "gradcam").length, 0);
  const cam = Array.from({ length: ptb.samples }, (_, i) => i);
  const svg = renderEcgFigure(ptb, e, {
    layout: "column",
    gradcam: cam,
    clusterWaves: ["P", "QRS"],
  });
  const camPaths = elements(svg, "path").filter((p) => p.class === "gradcam");
  assert.equal(camPaths.length, 12);
  // A ramp scaled to its maximum ends at the band's top (4 mm above its bottom).
  const pts = points(camPaths[0].d);
  assert.ok(pts[0][1] - pts[pts.length - 1][1] > 3.9);
  const items = elements(svg, "g").filter((g) => g.class === "legend-item");
  assert.equal(items.length, 7);
  assert.match(svg, />C1 QRS \d+\.\d%</);
});

test("auto gain: standard 10 mm/mV for a normal mV record, smaller for z-scored PTB-XL", () => {
  assert.equal(autoGain(ludb, ludb.samples, 30), 10);
  const g = autoGain(ptb, ptb.samples, 30);
  assert.ok(g < 10);
  assert.match(renderEcgFigure(ptb, fakeExplanation(ptb)), new RegExp(`${g} mm/NU`));
});

test("PNG: valid signature and the SVG's size at 4 px/mm", async () => {
  const svg = renderEcgFigure(ptb, fakeExplanation(ptb));
  const m = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!;
  const png = await svgToPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.deepEqual(pngSize(png), { width: Number(m[1]), height: Number(m[2]) });
  assert.equal(Number(m[1]), Math.round((12 + 250 + 4) * 4));
});

test("long records: the column layout draws the first 60 s, the standard one 10 s", () => {
  const samples = 100 * 1800; // 30 min, 2 leads (MIT-BIH-like): no standard 12 leads
  const signal = new Float32Array(2 * samples);
  for (let i = 0; i < signal.length; i++) signal[i] = Math.sin(i / 7);
  const rec = {
    name: "holter",
    fs: 100,
    samples,
    leads: ["MLII", "V5"],
    units: ["mV", "mV"],
    signal,
  };
  const svg = renderEcgFigure(rec, fakeExplanation(rec));
  assert.match(svg, /data-layout="column"/);
  assert.match(svg, /first 60\.0 s of 1800\.0 s/);
  assert.match(svg, /viewBox="0 0 1516 /); // 12 + 60 s x 25 mm/s + 4
  const traces = elements(svg, "path").filter((p) => p.class === "trace");
  assert.equal(traces.length, 2);
  assert.equal(points(traces[0].d).length, 6000);
  const std = renderEcgFigure(ludb, fakeExplanation(ludb), { layout: "standard" });
  assert.doesNotMatch(std, /first /);
});

test("labels in another vocabulary (LUDB's, CinC's) are unknown in the header, not 'no'", () => {
  const e = fakeExplanation(ptb);
  const svg = renderEcgFigure(ptb, e, { trueLabels: ["Sinus rhythm"] });
  const preds = elements(svg, "g").filter((g) => g.class === "prediction");
  assert.equal(preds.length, Object.keys(e.outputs).length);
  assert.ok(preds.every((g) => g["data-label"] === ""));
  const header = /<g class="header">[\s\S]*?<\/g><\/g>/.exec(svg)![0];
  assert.doesNotMatch(header, /#fde0dc/, "no box marked as a disagreement");
  assert.equal((header.match(/>–</g) ?? []).length, preds.length);
});

test("an age model's header gives the predicted and the true age in years, not yes/no", () => {
  const e = { ...fakeExplanation(ptb), outputs: { age: 51.96 }, labels: [] };
  const svg = renderEcgFigure(ptb, e, { trueAge: 56 });
  const header = /<g class="header">[\s\S]*?<\/g><\/g>/.exec(svg)![0];
  assert.match(header, />predicted 52\.0 y</);
  assert.match(header, />true 56 y</);
  assert.doesNotMatch(header, />(yes|no)\b/);
  const box = elements(svg, "g").find((g) => g.class === "prediction")!;
  assert.deepEqual(
    [box["data-class"], box["data-predicted"], box["data-label"]],
    ["age", "51.96", "56"],
  );
  assert.match(renderEcgFigure(ptb, e), />true age unknown</);
});
