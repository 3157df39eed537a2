import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedData } from "../data.js";
import { renderReport } from "../../src/report/html.js";
import { clusterWaveNames, summarizeAlignment } from "../../src/eval/alignment.js";
import { buildReport } from "../../src/report/build.js";
import { readComparison, type Comparison } from "../../src/report/compare.js";
import { predictedLabels } from "../../src/explain/explanation.js";
import { evaluationTable } from "../../src/report/sections.js";
import type { PreparedSignal } from "../../src/signal/preprocess.js";
import type { EcgRecord } from "../../src/types.js";
import { readFormat16 } from "../viz/fixtures.js";
import { fakeBound, modelFace } from "../model-face.js";

/** Any URL the browser would fetch: src/href/xlink:href/url() pointing off the page. */
const EXTERNAL =
  /(?:\b(?:src|href|xlink:href|action|poster)\s*=\s*["']?\s*(?:https?:)?\/\/)|url\(\s*["']?\s*(?:https?:)?\/\//i;

test("renderReport: one self-contained page with the table values it was given, escaped", () => {
  const html = renderReport({
    title: "Report <1>",
    meta: [["model", "models/a&b"]],
    table: [
      { metric: "surrogate fidelity", paper: "94.9% ± 0.5", ours: "93.1% ± 0.7" },
      { metric: "AUROC, CNN", paper: "81.4%", ours: "80.2%", note: "macro" },
    ],
    figures: [
      {
        id: "f1",
        title: "Fig",
        svg: '<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>',
      },
    ],
  });
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.match(html, /<td[^>]*>93\.1% ± 0\.7<\/td>/);
  assert.match(html, /<td[^>]*>94\.9% ± 0\.5<\/td>/);
  assert.match(html, /<td[^>]*>80\.2%<\/td>/);
  assert.match(html, /Report &lt;1&gt;/);
  assert.match(html, /models\/a&amp;b/);
  assert.doesNotMatch(html, EXTERNAL);
  assert.doesNotMatch(html, /<script|<link|<img/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.match(html, /<figure id="f1"><h3>Fig<\/h3><svg/);
});

test("the report's cluster names: the wave each cluster is most enriched in", () => {
  // overall P 6, QRS 9, T 2, TP 6 of 23: the third cluster's 2 T samples are 15 % of it against
  // 9 % overall, its 6 TP 46 % against 26 %: both 1.77 times, and T comes first
  assert.deepEqual(
    clusterWaveNames([
      [1, 9, 0, 0],
      [0, 0, 0, 0],
      [5, 0, 2, 6],
    ]),
    ["QRS", undefined, "T"],
  );
});

// A fake model and explainer over real PTB-XL records. Clusters follow the lead II amplitude
// (4 quantile bands), so proportions, alignment and prototypes are real computations on real
// signals, while every number can be recomputed here.
const dir = sharedData("ptbxl", "records100", "00000");
const names = readdirSync(dir)
  .filter((f) => f.endsWith(".hea"))
  .map((f) => f.slice(0, -4))
  .sort()
  .slice(0, 24);
const records = new Map<string, EcgRecord>(names.map((n) => [n, readFormat16(join(dir, n))]));
const K = 4;
const CLASSES = ["NORM", "MI", "STTC"];

function clustersOf(rec: EcgRecord): number[] {
  const ii = rec.signal.subarray(rec.samples, 2 * rec.samples);
  return Array.from(ii, (v) => (v < -0.5 ? 0 : v < 0 ? 1 : v < 0.5 ? 2 : 3));
}
function cnn(rec: EcgRecord): number[] {
  const c = clustersOf(rec);
  const share = (q: number) => c.filter((x) => x === q).length / c.length;
  return [share(1), share(3) * 3, share(0) * 2];
}
const model = modelFace({
  config: {
    task: "superclass",
    classes: CLASSES,
    thresholds: [0.5, 0.5, 0.5],
    preprocessing: { fs: 100, length: 1000, leads: ["II"], bandpass: null, zscore: false },
    taps: ["B4"],
  },
  prepare(rec: EcgRecord): PreparedSignal {
    return {
      signal: rec.signal.slice(0, 1000),
      length: 1000,
      fs: 100,
      leads: ["I"],
      sourceFs: rec.fs,
      sourceSamples: rec.samples,
      offset: 0,
      validStart: 0,
      validEnd: 1000,
    };
  },
  async forward(input: Float32Array, batch: number) {
    const out = new Float32Array(batch * 3);
    for (let b = 0; b < batch; b++) out.set([0.2 + 0.01 * b, 0.4, 0.6], b * 3);
    return { outputs: out, taps: {} };
  },
  async gradcam(input: Float32Array) {
    return Float32Array.from({ length: 64 }, (_, t) => Math.abs(input[t * 15] ?? 0));
  },
});
function explainOne(rec: EcgRecord) {
  const clusters = clustersOf(rec);
  const proportions = [0, 1, 2, 3].map(
    (q) => clusters.filter((x) => x === q).length / clusters.length,
  );
  const [a, b, c] = cnn(rec);
  const entropy = clusters.map((q) => 0.1 + 0.2 * q);
  return {
    samples: rec.samples,
    outputs: { NORM: a, MI: b, STTC: c },
    clusters,
    entropy,
    proportions,
    softProportions: proportions,
    meanEntropy: entropy.reduce((s, v) => s + v, 0) / entropy.length,
  };
}
const explainer = fakeBound(model, explainOne, { k: K });
/** The same clusters merged two by two: an explainer with K = 2 for the fidelity vs K figure. */
const coarse = {
  bind: (m: typeof model) =>
    fakeBound(
      m,
      (rec) => {
        const e = explainOne(rec);
        const clusters = Array.from(e.clusters, (c) => (c < 2 ? 0 : 1));
        const p = [e.proportions[0] + e.proportions[1], e.proportions[2] + e.proportions[3]];
        return { ...e, clusters, proportions: p, softProportions: p };
      },
      { k: 2 },
    ),
};
const entries = names.map((n, i) => ({
  id: n,
  labels: [["NORM"], ["MI"], ["NORM", "STTC"], ["STTC"]][i % 4],
  fold: (i % 3) + 1,
}));
const dataset = { read: async (e: { id: string }) => records.get(e.id)! };

test("buildReport over real records: exact proportions by class, alignment, figures, no external URL", async () => {
  const { html, evaluation, extras } = await buildReport(explainer, dataset, entries, {
    evaluate: { forest: { nEstimators: 10 }, sample: 6, byK: [{ k: 2, explainer: coarse }] },
    meta: [["model", "fake"]],
  });
  // Proportions by class are the means over the ECGs carrying the label, counted once each even
  // though the evaluation explains some ECGs twice (noise stability).
  const pbc = extras.proportionsByClass!;
  assert.deepEqual(pbc.classes, CLASSES);
  assert.deepEqual(pbc.counts, [12, 6, 12]);
  for (const [c, cls] of CLASSES.entries()) {
    const mine = entries.filter((e) => e.labels.includes(cls));
    for (let q = 0; q < K; q++) {
      const want =
        mine.reduce(
          (s, e) => s + clustersOf(records.get(e.id)!).filter((x) => x === q).length / 1000,
          0,
        ) / mine.length;
      assert.ok(Math.abs(pbc.proportions[c][q] - want) < 1e-12, `${cls} C${q}`);
    }
  }
  // Alignment: the delineator found waves; the table counts samples of those ECGs only.
  const a = extras.alignment!;
  assert.ok(a.records > 0 && a.records <= entries.length);
  const total = a.contingency.flat().reduce((s, v) => s + v, 0);
  assert.ok(total > 0 && total <= a.records * 1000);
  // Grad-CAM points: one batch per sampled ECG, scaled to [0, 1].
  assert.ok(extras.gradcamPoints!.length > 0);
  assert.ok(extras.gradcamPoints!.every((p) => p.gradcam >= 0 && p.gradcam <= 1));

  // The page: every table value the evaluation produced is on it, nothing is fetched.
  for (const row of evaluationTable(evaluation, extras)) {
    assert.ok(
      html.includes(row.ours.replace(/&/g, "&amp;")),
      `table value ${row.metric}: ${row.ours}`,
    );
  }
  assert.match(html, /94\.9% ± 0\.5/);
  const metrics = evaluationTable(evaluation, extras).map((row) => row.metric);
  for (const m of [/cut at 0\.5/, /within 0\.1 of its threshold/, /least stable class x wave/])
    assert.ok(
      metrics.some((x) => m.test(x)),
      `${m} in ${metrics.join("; ")}`,
    );
  for (const id of [
    "prototypes",
    "proportions",
    "correlation",
    "contingency",
    "entropy",
    "gradcam",
    "deletion",
  ]) {
    assert.match(html, new RegExp(`<figure id="${id}">`), id);
  }
  assert.equal((html.match(/class="deletion-curve"/g) ?? []).length, 3);
  assert.equal((html.match(/<figure id="ecg-/g) ?? []).length, 3);
  // ECGs to check: the first two distinct possible label errors, then the ECG where Grad-CAM and
  // TLC disagree most; both lists are also tables.
  const errorIds = [...new Set(evaluation.labelErrors.map((e) => e.id))];
  const worst = evaluation.gradcam!.disagreements[0];
  assert.ok(errorIds.length >= 2 && worst, "the fake world has label errors and a Grad-CAM");
  const flagged = [...html.matchAll(/<figure id="flagged-\d+"><h3>([^<]*)</g)].map((m) => m[1]);
  assert.equal(flagged.length, 3);
  assert.match(flagged[0], new RegExp(`^ECG ${errorIds[0]}: possible label error \\(`));
  assert.match(flagged[1], new RegExp(`^ECG ${errorIds[1]}: possible label error \\(`));
  assert.match(
    flagged[2],
    new RegExp(`^ECG ${worst.id}: Grad-CAM \\(B4\\) against cluster importance`),
  );
  assert.equal((html.match(/class="gradcam"/g) ?? []).length > 0, true, "Grad-CAM drawn");
  assert.match(html, /<h3>Possible label errors<\/h3>/);
  assert.match(html, /<h3>Where Grad-CAM \(B4\) and TLC disagree<\/h3>/);
  for (const e of evaluation.labelErrors)
    assert.ok(html.includes(`<td>${e.id}</td><td>${e.class}</td>`), e.id);
  assert.equal((html.match(/class="ecg-figure"/g) ?? []).length, 3 + 3);
  assert.doesNotMatch(html, EXTERNAL);
  assert.doesNotMatch(html, /<script|<link|<img/i);
});

test("buildReport with flagged: 0 and a given alignment: no ECG to check, the alignment as given", async () => {
  const given = summarizeAlignment(
    [
      [5, 1, 0, 2],
      [0, 6, 1, 1],
      [1, 0, 7, 0],
      [0, 0, 1, 9],
    ],
    [
      [4, 0, 0],
      [0, 5, 1],
      [0, 0, 6],
      [1, 0, 0],
    ],
    3,
  );
  const { html, extras } = await buildReport(explainer, dataset, entries, {
    evaluate: { forest: { nEstimators: 10 }, sample: 6 },
    flagged: 0,
    examples: 0,
    alignmentResult: given,
  });
  assert.doesNotMatch(html, /id="flagged/);
  assert.match(html, /<h3>Possible label errors<\/h3>/);
  assert.equal(extras.alignment, given);
  assert.match(
    html,
    new RegExp(
      `NMI at the P, R and T peaks</td><td></td><td class="num">${given.landmarks.nmi.toFixed(3)}<`,
    ),
  );
  // the ECGs are still delineated, for the Grad-CAM scatter's wave colours
  assert.ok(extras.gradcamPoints!.some((p) => p.group === "QRS"));
});

// Two levels over the same fake world: each cluster's steps split into 2 states by the half of the
// second they fall in, so leaf l = 2 x cluster + state and every share can be recomputed here.
const stateOf = (i: number) => (i % 100 < 50 ? 0 : 1);
function explainTwo(rec: EcgRecord) {
  const e = explainOne(rec);
  const leaves = e.clusters.map((c, i) => 2 * c + stateOf(i));
  const leafProportions = new Array<number>(2 * K).fill(0);
  for (const l of leaves) leafProportions[l] += 1 / leaves.length;
  const stateEntropy = leaves.map((l) => 0.05 * (l % 2));
  return {
    ...e,
    states: e.clusters.map((_, i) => stateOf(i)),
    leaves,
    stateEntropy,
    leafProportions,
    softLeafProportions: leafProportions,
    meanStateEntropy: stateEntropy.reduce((s, v) => s + v, 0) / stateEntropy.length,
  };
}
const leafNames = Array.from({ length: 2 * K }, (_, l) => `C${l >> 1} · S${l % 2}`);
const twoLevel = {
  ...fakeBound(model, explainTwo, { k: K }),
  leafNames,
  statesPerWave: [2, 2, 2, 2],
};

test("buildReport, two levels: the leaf table, the leaves x classes figure, waves beside leaves, the paper's setup beside both", async () => {
  // the paper's setup (single level), saved as JSON and read back as a compared run
  const single = await buildReport(explainer, dataset, entries, {
    evaluate: { forest: { nEstimators: 10 }, sample: 6 },
    flagged: 0,
    examples: 0,
  });
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-compare-"));
  let paperSetup: Comparison;
  try {
    const file = join(dir, "paper.json");
    writeFileSync(
      file,
      JSON.stringify({ ...single.evaluation, alignment: single.extras.alignment }),
    );
    paperSetup = readComparison(`paper setup=${file}`);
    assert.equal(readComparison(file).label, "paper");
    writeFileSync(join(dir, "other.json"), "{}");
    assert.throws(
      () => readComparison(`x=${join(dir, "other.json")}`),
      /^ParameterError: compare: .*other\.json: not an evaluation/,
    );
    assert.throws(() => readComparison(`x=${join(dir, "none.json")}`), /none\.json: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { html, evaluation, extras } = await buildReport(twoLevel, dataset, entries, {
    evaluate: { forest: { nEstimators: 10 }, sample: 6 },
    flagged: 1,
    examples: 2,
    compare: [paperSetup],
  });
  assert.equal(evaluation.k, 2 * K, "evaluated per leaf");
  assert.deepEqual(evaluation.leaves?.names, leafNames);
  assert.equal(evaluation.waveLevel?.k, K);
  // shares: the mean over the ECGs of each leaf's share of the steps
  const share = (l: number) =>
    entries.reduce((s, e) => s + explainTwo(records.get(e.id)!).leafProportions[l], 0) /
    entries.length;
  const L = extras.leaves!;
  for (let l = 0; l < 2 * K; l++) assert.ok(Math.abs(L.share[l] - share(l)) < 1e-12, `leaf ${l}`);
  // enrichment in MI, as the network calls it: mean share in those ECGs / mean share in all
  const mi = entries.filter((e) =>
    predictedLabels(model.config, explainTwo(records.get(e.id)!).outputs).includes("MI"),
  );
  assert.ok(mi.length > 0 && mi.length < entries.length, "some ECGs called MI");
  const inMi =
    mi.reduce((s, e) => s + explainTwo(records.get(e.id)!).leafProportions[3], 0) / mi.length;
  assert.ok(Math.abs(L.enrichment[3][1] - inMi / share(3)) < 1e-9);
  // the leaf table: one row per leaf, its wave and state, share and importance
  const table =
    /<h3>Leaves \(wave cluster · state\)<\/h3><p class="caption">[^<]*<\/p><table class="leaves"><thead>(.*?)<\/thead><tbody>(.*?)<\/tbody>/.exec(
      html,
    );
  assert.ok(table, "the leaf table");
  assert.match(
    table[1],
    /share of steps.*enriched in.*permutation importance.*deletion importance.*state entropy/,
  );
  const rows = [...table[2].matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
    [...m[1].matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]),
  );
  assert.equal(rows.length, 2 * K);
  rows.forEach((r, l) => {
    assert.deepEqual(r.slice(0, 4), [
      String(l),
      `C${l >> 1}`,
      `${l % 2}: S${l % 2}`,
      `${(share(l) * 100).toFixed(1)}%`,
    ]);
    assert.equal(r[6], evaluation.importance.deletion[l].toFixed(3));
    assert.equal(r[7], (0.05 * (l % 2)).toFixed(3));
  });
  // the evaluation table: the paper, its setup on our data, leaves and waves side by side
  assert.match(
    html,
    /<th>paper \(Boubekki et al\. 2025\)<\/th><th>paper setup<\/th><th>ours: leaves \(wave · state\)<\/th><th>ours: waves only<\/th>/,
  );
  const fid = (v: { mean: number; std: number }) =>
    `${(v.mean * 100).toFixed(1)}% ± ${(v.std * 100).toFixed(1)}`;
  assert.ok(
    html.includes(
      `<td>surrogate fidelity (agreement with CNN)</td><td class="num">94.9% ± 0.5</td><td class="num">${fid(single.evaluation.fidelity!)}</td><td class="num">${fid(evaluation.fidelity!)}</td><td class="num">${fid(evaluation.waveLevel!.fidelity!)}</td>`,
    ),
  );
  // which leaves drive each class: a leaves x classes heat map, rows named by the leaves
  const fig =
    /<figure id="correlation"><h3>Which leaves drive each class<\/h3>(.*?)<\/figure>/.exec(html);
  assert.ok(fig, "the leaves x classes figure");
  assert.equal((fig[1].match(/class="cell"/g) ?? []).length, 2 * K * CLASSES.length);
  for (const n of leafNames) assert.ok(fig[1].includes(`>${n}</text>`), n);
  // the ECG figures show the states
  assert.ok((html.match(/class="ecg-figure"[^>]*data-leaves="8"/g) ?? []).length >= 2);
  assert.match(html, /class="state"/);
});
