import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EcgFormatError } from "../../src/errors.js";
import { hasLeaves, LeafView, mergeLeaves, wavesOfLeaves } from "../../src/explain/levels.js";
import { stateNames } from "../../src/eval/state-names.js";
import { softAssign } from "../../src/tlc/assign.js";
import { keptSteps, rawComposite, scaleColumns } from "../../src/tlc/features.js";
import { leafNames, leafOffsets } from "../../src/tlc/states.js";
import { Tlc } from "../../src/tlc/tlc.js";
import { fakeModel, ptbxlDataset } from "./fake.js";

const data = ptbxlDataset(12);
const train = data.entries.slice(0, 10);
const opts = { taps: ["B2", "B3"], k: 4, seed: 3, threads: 2, blocks: false };
const fitOnce = (() => {
  let p: Promise<Tlc> | null = null;
  return () => (p ??= Tlc.fit(fakeModel(), data, train, { ...opts, states: { k: 3 } }));
})();

test("two levels by default: per wave cluster, k-means of the last tap standardised, not centred", async () => {
  const tlc = await fitOnce();
  const s = tlc.states!;
  assert.ok(s, "states fitted by default");
  assert.deepEqual(s.layout.taps, ["B4"]);
  assert.equal(s.layout.dims, 3);
  assert.equal(s.spec.centre, false);
  assert.equal(s.spec.recordScale, undefined);
  assert.equal(s.fits.length, tlc.k);
  for (const f of s.fits) assert.ok(f.k <= 3 && f.k >= 1);
  assert.equal(
    tlc.leaves,
    s.fits.reduce((n, f) => n + f.k, 0),
  );
  assert.deepEqual(leafOffsets(s), [
    0,
    ...s.fits.map((_, w) => tlc.leaves - s.fits.slice(w + 1).reduce((n, f) => n + f.k, 0)),
  ]);
  // The single-level explainer: the same waves, no states.
  const one = await Tlc.fit(fakeModel(), data, train, { ...opts, states: false });
  assert.equal(one.states, undefined);
  assert.deepEqual(one.main.centroids, tlc.main.centroids);
});

test("explain: every sample's leaf is a state of its own wave cluster, the nearest by its B4 vector", async () => {
  const tlc = await fitOnce();
  const model = fakeModel();
  const rec = await data.read(data.entries[11]);
  const e = await tlc.bind(model).explainOne(rec);
  const s = tlc.states!;
  const offsets = leafOffsets(s);
  assert.equal(e.leaves!.length, 1000);
  assert.equal(e.states!.length, 1000);
  assert.equal(e.stateEntropy!.length, 1000);
  for (let i = 0; i < 1000; i++) {
    assert.equal(e.leaves![i], offsets[e.clusters[i]] + e.states![i]);
    assert.ok(e.states![i] < s.fits[e.clusters[i]].k);
  }
  // Direct: the B4 step of each fine step, standardised with the training statistics.
  const out = await model.forward(model.prepare(rec).signal, 1, { taps: ["B4"] });
  const prepared = model.prepare(rec);
  const kept = keptSteps(64, prepared);
  const x = rawComposite(s.layout, out.taps, 0, kept.first, kept.end);
  scaleColumns(x, kept.end - kept.first, s.layout, s.spec);
  // The fake's B2 grid (fine) has 256 steps, B4 64: fine step t reads B4 step floor(t / 4);
  // sample i lies in kept fine step floor(i / 4) (4 samples per step, padding before them).
  const fineFirst = keptSteps(256, prepared).first;
  for (let i = 0; i < 1000; i += 7) {
    const w = e.clusters[i];
    const t = fineFirst + Math.floor(i / 4);
    const r = Math.floor(t / 4) - kept.first;
    const a = softAssign(
      x.subarray(r * 3, r * 3 + 3),
      1,
      3,
      s.fits[w].centroids,
      s.fits[w].k,
      s.fits[w].sigma2,
    );
    assert.equal(e.states![i], a.labels[0], `sample ${i}`);
  }
  // Leaf proportions: sum 1, and each wave's states merged give the wave proportions exactly.
  const sum = (a: number[]) => a.reduce((p, v) => p + v, 0);
  assert.ok(Math.abs(sum(e.leafProportions!) - 1) < 1e-12);
  assert.ok(Math.abs(sum(e.softLeafProportions!) - 1) < 1e-9);
  const merged = mergeLeaves(e.leafProportions!, wavesOfLeaves(s.fits.map((f) => f.k)), tlc.k);
  merged.forEach((v, w) => assert.ok(Math.abs(v - e.proportions[w]) < 1e-12));
  assert.ok(e.stateEntropy!.every((h) => h >= 0 && h <= 1));
});

test("JSON round trip keeps the states and their names; a single-level file explains as before", async () => {
  const tlc = await fitOnce();
  const model = fakeModel();
  const dir = mkdtempSync(join(tmpdir(), "tlc-states-"));
  try {
    const names = tlc.states!.fits.map((f) => Array.from({ length: f.k }, (_, q) => `s${q}`));
    const named = tlc.withStateNames(names);
    const path = join(dir, "t.json");
    named.save(path);
    const back = Tlc.load(path, model);
    assert.deepEqual(back.states!.names, names);
    assert.deepEqual(back.leafNames, leafNames(back.states!, back.clusterWaves));
    assert.equal(back.leafNames![0], "C0 · s0");
    const rec = await data.read(data.entries[10]);
    assert.deepEqual(
      await back.bind(model).explainOne(rec),
      await named.bind(model).explainOne(rec),
    );
    // An explainer saved before states existed: no states key.
    const json = JSON.parse(readFileSync(path, "utf8"));
    delete json.states;
    writeFileSync(path, JSON.stringify(json));
    const old = Tlc.load(path, model);
    assert.equal(old.states, undefined);
    const e = await old.bind(model).explainOne(rec);
    assert.equal(e.leaves, undefined);
    assert.equal(e.leafProportions, undefined);
    assert.deepEqual(e.clusters, (await named.bind(model).explainOne(rec)).clusters);
    // Corrupt states: one line naming the file.
    json.states = { ...named.toJSON().states!, waves: [] };
    writeFileSync(path, JSON.stringify(json));
    assert.throws(
      () => Tlc.load(path, model),
      (err: Error) => {
        assert.ok(err instanceof EcgFormatError);
        assert.match(err.message, /t\.json.*states for 0 waves/);
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("leaf view: the leaves as clusters, each leaf's wave name; single-level explainers pass through", async () => {
  const tlc = await fitOnce();
  const model = fakeModel();
  const bound = tlc.bind(model);
  assert.ok(hasLeaves(bound));
  const view = new LeafView(bound as never);
  assert.equal(view.k, tlc.leaves);
  const rec = await data.read(data.entries[11]);
  const [v] = await view.explain([rec]);
  const e = await bound.explainOne(rec);
  assert.deepEqual(v.clusters, e.leaves);
  assert.deepEqual(v.proportions, e.leafProportions);
  assert.deepEqual(v.entropy, e.stateEntropy);
  assert.equal(v.segments.at(-1)!.end, 1000);
  const single = (await Tlc.fit(model, data, train, { ...opts, states: false })).bind(model);
  assert.ok(!hasLeaves(single));
});

test("state names: the class a leaf is most enriched in, numbered when repeated; age: its direction", () => {
  const config = { classes: ["NORM", "CD"], thresholds: [0.5, 0.5], task: "superclass" };
  // Two waves with two states each; leaf 1 and 3 rise with CD, leaf 0 and 2 with NORM.
  const exs = [0.1, 0.2, 0.8, 0.9].map((cd) => ({
    outputs: { NORM: 1 - cd, CD: cd },
    leafProportions: [(1 - cd) / 2, cd / 2, (1 - cd) / 2, cd / 2],
  }));
  assert.deepEqual(stateNames({ config } as never, [2, 2], exs), [
    ["NORM-like", "CD-like"],
    ["NORM-like", "CD-like"],
  ]);
  assert.deepEqual(stateNames({ config } as never, [4], exs), [
    ["NORM-like 0", "CD-like 1", "NORM-like 2", "CD-like 3"],
  ]);
  const age = { classes: ["age"], thresholds: [], task: "age" };
  const old = exs.map((e, i) => ({ ...e, outputs: { age: 40 + 10 * i } }));
  assert.deepEqual(stateNames({ config: age } as never, [2, 2], old), [
    ["younger", "older"],
    ["younger", "older"],
  ]);
});
