import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { sharedData } from "../data.js";
import { segmentsOf } from "../../src/explain/explanation.js";
import { renderEcgFigure } from "../../src/viz/ecg.js";
import { inkOn, leafInfo, stateShade, STATE_STRIP } from "../../src/viz/ecg-states.js";
import { clusterColor } from "../../src/viz/svg.js";
import { svgToPng, pngSize } from "../../src/viz/png.js";
import { fakeExplanation, fakeTwoLevel, readFormat16 } from "./fixtures.js";

const ptb = readFormat16(join(sharedData("ptbxl", "records100", "00000"), "00024_lr"));

/** All `<tag ...>` openings of one element type with their attributes and the element's title. */
function elements(svg: string, tag: string): (Record<string, string> & { title?: string })[] {
  const out: (Record<string, string> & { title?: string })[] = [];
  const re = new RegExp(`<${tag}\\s([^>]*?)(/>|>(?:<title>([^<]*)</title>)?)`, "g");
  for (const m of svg.matchAll(re)) {
    const a: Record<string, string> & { title?: string } = {};
    for (const [, k, v] of m[1].matchAll(/([\w:-]+)="([^"]*)"/g)) a[k] = v;
    if (m[3] !== undefined) a.title = m[3];
    out.push(a);
  }
  return out;
}

test("two levels: a state strip under every lead, one rect per leaf run, shaded by state", () => {
  const { explanation: e, leaves } = fakeTwoLevel(ptb);
  const svg = renderEcgFigure(ptb, e, { layout: "column", leaves });
  const runs = segmentsOf(e.leaves!, e.stateEntropy);
  const strips = elements(svg, "rect").filter((r) => r.class === "state");
  assert.equal(strips.length, 12 * runs.length, "every run under each of the 12 leads");
  const rowStep = 24 + 0.5 + STATE_STRIP + 0.5 + 4 + 2;
  strips.forEach((r, i) => {
    const s = runs[i % runs.length];
    const lead = Math.floor(i / runs.length);
    const w = s.cluster >> 1;
    const q = s.cluster % 2;
    assert.equal(Number(r["data-leaf"]), s.cluster);
    assert.equal(Number(r["data-cluster"]), w);
    assert.equal(Number(r["data-state"]), q);
    assert.equal(r.fill, stateShade(w, q, 2));
    // between the lead's row and its entropy band
    assert.ok(Math.abs(Number(r.y) - (20 + lead * rowStep + 24.5)) < 0.006, `strip ${i} y ${r.y}`);
    assert.ok(Math.abs(Number(r.x) - (12 + (s.start / 100) * 25)) < 0.006);
    assert.match(r.title ?? "", new RegExp(`^C${w} · S${q}-like \\(leaf ${s.cluster}\\)`));
  });
  // states of one wave differ in lightness, and each keeps its wave's hue
  assert.notEqual(stateShade(1, 0, 2), stateShade(1, 1, 2));
  assert.equal(stateShade(1, 0, 1), clusterColor(1).toLowerCase());
  assert.equal(inkOn("#ffffff"), "#000000");
  assert.equal(inkOn("#000000"), "#ffffff");
  // the band carries the state entropy beside the wave entropy
  assert.equal(elements(svg, "path").filter((p) => p.class === "state-entropy").length, 12);
  assert.match(svg, /mean entropy: waves [\d.]+, states [\d.]+/);
  assert.match(svg, /data-leaves="10"/);
});

test("two levels: the legend names the wave clusters and every leaf present with its share", () => {
  const { explanation: e, leaves } = fakeTwoLevel(ptb);
  // a leaf absent from this ECG is not in its legend
  const absent = e.leafProportions!.findIndex((p) => p > 0);
  const shares = e.leafProportions!.map((p, l) => (l === absent ? 0 : p));
  const svg = renderEcgFigure(ptb, { ...e, leafProportions: shares }, { leaves });
  const items = [...svg.matchAll(/<g class="legend-leaf" data-leaf="(\d+)">(.*?)<\/g>/g)];
  const present = shares.map((p, l) => (p > 0 ? l : -1)).filter((l) => l >= 0);
  assert.deepEqual(
    items.map((m) => Number(m[1])),
    present,
  );
  for (const [, l, body] of items) {
    const info = leafInfo(leaves)[Number(l)];
    const pct = `${(shares[Number(l)] * 100).toFixed(1)}%`;
    assert.ok(body.includes(`>${info.stateName} ${pct}<`), `leaf ${l}: ${body}`);
  }
  for (const w of [0, 1, 2, 3, 4])
    assert.ok(svg.includes(`font-weight="bold">C${w}</text>`), `wave C${w} heads its states`);
  assert.match(svg, /class="legend-item" data-cluster="4"/, "the wave clusters keep their legend");
});

test("single level: the figure is the same whatever state fields an explanation carries", () => {
  const plain = fakeExplanation(ptb);
  const { explanation: two } = fakeTwoLevel(ptb);
  for (const layout of ["standard", "column"] as const) {
    const a = renderEcgFigure(ptb, plain, { layout });
    assert.equal(renderEcgFigure(ptb, two, { layout }), a, "without the explainer's leaves");
    assert.doesNotMatch(a, /class="state|leaf-legend|data-leaves|states [\d.]/);
  }
});

test("two levels: the PNG renders, taller by the strips and the leaf legend", async () => {
  const { explanation: e, leaves } = fakeTwoLevel(ptb);
  const one = await svgToPng(renderEcgFigure(ptb, e));
  const two = await svgToPng(renderEcgFigure(ptb, e, { leaves }));
  assert.equal(pngSize(two).width, pngSize(one).width);
  assert.ok(pngSize(two).height > pngSize(one).height + 4 * 4 * STATE_STRIP);
});
