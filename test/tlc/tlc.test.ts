import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EcgFormatError, ModelMismatchError } from "../../src/errors.js";
import { readRecord } from "../../src/io/index.js";
import { softAssign } from "../../src/tlc/assign.js";
import { Tlc } from "../../src/tlc/tlc.js";
import { sharedData } from "../data.js";
import { fakeModel, ptbxlDataset } from "./fake.js";

// METHOD.md's composite with training-set standardisation (the fake model has no B1 tap).
const B234 = { taps: ["B2", "B3", "B4"], recordScale: false };
const data = ptbxlDataset(12);
const train = data.entries.slice(0, 10);
const fitOnce = (() => {
  let p: Promise<Tlc> | null = null;
  return () => (p ??= Tlc.fit(fakeModel(), data, train, { k: 5, seed: 7, threads: 2, ...B234 }));
})();

test("fit: composite of B2-B4 (6+5+3 channels) on kept steps, sigma^2 = inertia / (points x dims)", async () => {
  const tlc = await fitOnce();
  assert.equal(tlc.dims, 14);
  assert.equal(tlc.k, 5);
  assert.equal(tlc.layout.fineSteps, 256);
  // 10 records x 250 kept steps (1000 samples of 1024, 4 samples per step).
  assert.equal(tlc.info.points, 2500);
  assert.ok(Math.abs(tlc.sigma2 - tlc.inertia / (2500 * 14)) < 1e-15);
  assert.deepEqual(Object.keys(tlc.blockFits), ["B2", "B3", "B4"]);
  assert.deepEqual(tlc.blockFits.B3.columns, [6, 11]);
  assert.deepEqual(tlc.spec.weights, [1 / Math.sqrt(6), 1 / Math.sqrt(5), 1 / Math.sqrt(3)]);
});

test("explain: one cluster and entropy per source sample, consistent with a direct soft assignment", async () => {
  const tlc = await fitOnce();
  const model = fakeModel();
  const rec = await data.read(data.entries[11]);
  const e = await tlc.bind(model).explainOne(rec);
  assert.equal(e.samples, 1000);
  assert.equal(e.fs, 100);
  assert.equal(e.clusters.length, 1000);
  assert.equal(e.entropy.length, 1000);
  assert.ok(e.entropy.every((h) => h >= 0 && h <= 1));
  assert.ok(Math.abs(e.proportions.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(Math.abs(e.softProportions.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.deepEqual(Object.keys(e.outputs), ["NORM", "MI"]);
  // Direct computation from the composite vectors.
  const [f] = await tlc.features(model, [rec]);
  const s = softAssign(f.x, 250, tlc.dims, tlc.main.centroids, tlc.k, tlc.sigma2);
  for (let i = 0; i < 1000; i++) {
    assert.equal(e.clusters[i], s.labels[Math.floor(i / 4)]);
    assert.equal(e.entropy[i], s.entropy[Math.floor(i / 4)]);
  }
  const mean = s.entropy.reduce((a, b) => a + b, 0) / 250;
  assert.ok(Math.abs(e.meanEntropy - mean) < 1e-12);
  // Segments tile the record.
  assert.equal(e.segments[0].start, 0);
  assert.equal(e.segments.at(-1)!.end, 1000);
  for (let i = 1; i < e.segments.length; i++)
    assert.equal(e.segments[i].start, e.segments[i - 1].end);
  // Per-block variants on the same samples.
  for (const b of ["B2", "B3", "B4"]) {
    assert.equal(e.blocks![b].clusters.length, 1000);
    assert.ok(Math.abs(e.blocks![b].proportions.reduce((x, y) => x + y, 0) - 1) < 1e-12);
  }
});

test("explain: a 500 Hz LUDB record gets one value per own sample", async () => {
  const tlc = await fitOnce();
  const rec = readRecord(join(sharedData("ludb", "data"), "1"));
  const e = await tlc.bind(fakeModel()).explainOne(rec);
  assert.equal(e.fs, 500);
  assert.equal(e.clusters.length, 5000);
  assert.equal(e.entropy.length, 5000);
  // 20 source samples per fine step: clusters change only on step boundaries.
  for (let i = 1; i < 5000; i++) if (i % 20 !== 0) assert.equal(e.clusters[i], e.clusters[i - 1]);
});

test("same seed gives identical explainer; JSON round trip explains identically", async () => {
  const a = await fitOnce();
  const b = await Tlc.fit(fakeModel(), data, train, { k: 5, seed: 7, threads: 1, ...B234 });
  assert.deepEqual(b.toJSON().centroids, a.toJSON().centroids);
  assert.deepEqual(b.toJSON().scaler, a.toJSON().scaler);
  const dir = mkdtempSync(join(tmpdir(), "tlc-json-"));
  try {
    const path = join(dir, "tlc.json");
    a.save(path);
    const c = Tlc.load(path, fakeModel());
    assert.deepEqual(c.toJSON(), a.toJSON());
    const rec = await data.read(data.entries[10]);
    assert.deepEqual(
      await c.bind(fakeModel()).explainOne(rec),
      await a.bind(fakeModel()).explainOne(rec),
    );
    // Another model's fingerprint is refused, on load and on explain.
    assert.throws(() => Tlc.load(path, fakeModel("other-model")), ModelMismatchError);
    assert.throws(() => a.bind(fakeModel("other-model")), /fitted on model fake-model-0/);
    writeFileSync(join(dir, "bad.json"), "{}");
    assert.throws(() => Tlc.load(join(dir, "bad.json")), EcgFormatError);
    // Cluster names travel with the explainer; names for another K are refused.
    assert.equal(a.clusterWaves, undefined);
    const table = [0, 1, 2, 3, 4].map((c) => [c, 1, 0, 0]);
    const waves = {
      names: ["P", "QRS", "T", "TP", null],
      table,
      records: 9,
      source: "delineator" as const,
    };
    const named = a.withClusterWaves(waves);
    named.save(path);
    const back = Tlc.load(path, fakeModel());
    assert.deepEqual(back.clusterWaves, waves.names);
    assert.deepEqual(back.toJSON().clusterWaves, waves);
    assert.deepEqual(
      await back.bind(fakeModel()).explainOne(rec),
      await a.bind(fakeModel()).explainOne(rec),
    );
    assert.throws(
      () => a.withClusterWaves({ ...waves, names: ["P"] }),
      /1 cluster names for K = 5/,
    );
    writeFileSync(
      join(dir, "k.json"),
      JSON.stringify({ ...named.toJSON(), clusterWaves: { ...waves, names: ["P"] } }),
    );
    assert.throws(
      () => Tlc.load(join(dir, "k.json")),
      /k\.json: corrupt explainer: clusterWaves names 1 clusters, K = 5/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("options: no centring, no standardisation, one tap, max-points sample", async () => {
  const t = await Tlc.fit(fakeModel(), data, train.slice(0, 4), {
    k: 3,
    taps: ["B4"],
    recordScale: false,
    centre: false,
    standardise: false,
    maxPoints: 100,
    threads: 2,
  });
  assert.equal(t.dims, 3);
  assert.equal(t.info.points, 100);
  assert.equal(t.layout.fineSteps, 64);
  assert.deepEqual(Array.from(t.spec.std), [1, 1, 1]);
  assert.deepEqual(t.blockFits, {});
  const e = await t.bind(fakeModel()).explainOne(await data.read(data.entries[0]));
  assert.equal(e.clusters.length, 1000);
  assert.equal(e.blocks, undefined);
});

test("streaming (mini-batch) fit: inertia within 10 % of the in-memory fit on the same vectors", async () => {
  const full = await fitOnce();
  const s = await Tlc.fit(fakeModel(), data, train, {
    k: 5,
    seed: 7,
    streaming: true,
    miniBatchPoints: 600,
    threads: 2,
    ...B234,
  });
  assert.equal(s.info.points, 2500);
  assert.ok(s.inertia <= full.inertia * 1.1, `${s.inertia} vs ${full.inertia}`);
  assert.deepEqual(Array.from(s.spec.mean), Array.from(full.spec.mean));
});

test("variance per-point: sigma^2 = inertia / points, softer posteriors than per-dim", async () => {
  const a = await fitOnce();
  const b = await Tlc.fit(fakeModel(), data, train, {
    k: 5,
    seed: 7,
    threads: 2,
    variance: "per-point",
    ...B234,
  });
  assert.equal(b.inertia, a.inertia);
  assert.ok(Math.abs(b.sigma2 - a.inertia / 2500) < 1e-12);
  const rec = await data.read(data.entries[11]);
  const ea = await a.bind(fakeModel()).explainOne(rec);
  const eb = await b.bind(fakeModel()).explainOne(rec);
  assert.deepEqual(eb.clusters, ea.clusters);
  assert.ok(eb.meanEntropy > ea.meanEntropy);
});

test("record scaling (the default): each channel of a record centred, unit std, times its block weight", async () => {
  const t = await Tlc.fit(fakeModel(), data, train, {
    k: 4,
    seed: 2,
    threads: 2,
    taps: ["B2", "B3"],
  });
  assert.equal(t.spec.recordScale, 1);
  assert.deepEqual(new Set(t.spec.std), new Set([1]));
  assert.deepEqual(new Set(t.spec.mean), new Set([0]));
  const rec = await data.read(data.entries[11]);
  const model = fakeModel();
  const e = await t.bind(model).explainOne(rec);
  // The saved explainer keeps the scaling: the same clusters after a round trip.
  const dir = mkdtempSync(join(tmpdir(), "tlc-rs-"));
  try {
    t.save(join(dir, "tlc.json"));
    const back = Tlc.load(join(dir, "tlc.json"));
    assert.equal(back.spec.recordScale, 1);
    assert.equal(back.options.recordScale, 1);
    // An explainer saved before record scaling existed loads as not scaling.
    const legacy = JSON.parse(readFileSync(join(dir, "tlc.json"), "utf8"));
    delete legacy.recordScale;
    delete legacy.options.recordScale;
    writeFileSync(join(dir, "legacy.json"), JSON.stringify(legacy));
    const old = Tlc.load(join(dir, "legacy.json"));
    assert.equal(old.options.recordScale, 0);
    assert.equal(old.spec.recordScale, undefined);
    assert.deepEqual(
      Array.from((await back.bind(model).explainOne(rec)).clusters),
      Array.from(e.clusters),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Scaling a record's activations by any positive factor leaves its segmentation unchanged.
  const scaled = {
    ...model,
    async forward(x: Float32Array, batch: number, opts?: { taps?: string[] }) {
      const r = await model.forward(x, batch, opts);
      for (const tap of Object.values(r.taps)) tap.data.forEach((v, i, a) => (a[i] = 3 * v + 0));
      return r;
    },
  } as typeof model;
  assert.deepEqual(
    Array.from((await t.bind(scaled).explainOne(rec)).clusters),
    Array.from(e.clusters),
  );
});

test("variance effective: between per-dim and per-point, the same clusters", async () => {
  const a = await fitOnce();
  const e = await Tlc.fit(fakeModel(), data, train, {
    k: 5,
    seed: 7,
    threads: 2,
    variance: "effective",
    ...B234,
  });
  assert.equal(e.inertia, a.inertia);
  assert.ok(e.sigma2 >= a.sigma2 && e.sigma2 <= a.inertia / 2500, `${e.sigma2} vs ${a.sigma2}`);
  const rec = await data.read(data.entries[11]);
  const [xa, xe] = [
    await a.bind(fakeModel()).explainOne(rec),
    await e.bind(fakeModel()).explainOne(rec),
  ];
  assert.deepEqual(Array.from(xe.clusters), Array.from(xa.clusters));
  assert.ok(xe.meanEntropy >= xa.meanEntropy);
  // Streaming accumulates the same moments in its inertia pass (around its own centroids).
  const s = await Tlc.fit(fakeModel(), data, train, {
    k: 5,
    seed: 7,
    threads: 2,
    variance: "effective",
    streaming: true,
    miniBatchPoints: 600,
    ...B234,
  });
  assert.ok(Math.abs(s.sigma2 / e.sigma2 - 1) < 0.15, `${s.sigma2} vs ${e.sigma2}`);
});

test("variance held-out and refit: chosen on held-out vectors, the same clusters; not streaming", async () => {
  const a = await fitOnce();
  const fit = (variance: "held-out" | "refit", more = {}) =>
    Tlc.fit(fakeModel(), data, train, { k: 5, seed: 7, threads: 2, variance, ...B234, ...more });
  const h = await fit("held-out");
  const r = await fit("refit");
  for (const t of [h, r]) {
    assert.equal(t.inertia, a.inertia);
    assert.ok(t.sigma2 > 0 && Number.isFinite(t.sigma2), `${t.sigma2}`);
    assert.ok(t.blockFits.B2.sigma2 > 0 && t.blockFits.B2.sigma2 !== t.sigma2);
  }
  // The mixture's held-out likelihood lands near the per-dimension variance.
  assert.ok(h.sigma2 > a.sigma2 / 3 && h.sigma2 < a.sigma2 * 3, `${h.sigma2} vs ${a.sigma2}`);
  assert.equal((await fit("refit")).sigma2, r.sigma2);
  const rec = await data.read(data.entries[11]);
  const [xa, xr] = [
    await a.bind(fakeModel()).explainOne(rec),
    await r.bind(fakeModel()).explainOne(rec),
  ];
  assert.deepEqual(xr.clusters, xa.clusters);
  await assert.rejects(fit("refit", { streaming: true }), (e: Error) =>
    /variance: 'refit' needs the vectors in memory/.test(e.message),
  );
});

test("an explainer saved with an earlier variance convention loads and explains as saved", async () => {
  const a = await fitOnce();
  const dir = mkdtempSync(join(tmpdir(), "tlc-var-"));
  try {
    a.save(join(dir, "tlc.json"));
    const json = JSON.parse(readFileSync(join(dir, "tlc.json"), "utf8"));
    assert.equal(json.options.variance, "per-dim");
    const back = Tlc.load(join(dir, "tlc.json"));
    assert.equal(back.sigma2, a.sigma2);
    assert.equal(back.options.variance, "per-dim");
    const rec = await data.read(data.entries[11]);
    const [xa, xb] = [
      await a.bind(fakeModel()).explainOne(rec),
      await back.bind(fakeModel()).explainOne(rec),
    ];
    assert.deepEqual(xb.entropy, xa.entropy);
    assert.deepEqual(xb.softProportions, xa.softProportions);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("record scaling in part: std_record^a x std_train^(1 - a); a outside [0, 1] is refused", async () => {
  const taps = ["B2", "B3"];
  const off = await Tlc.fit(fakeModel(), data, train, {
    k: 4,
    seed: 2,
    threads: 2,
    taps,
    recordScale: 0,
  });
  const half = await Tlc.fit(fakeModel(), data, train, {
    k: 4,
    seed: 2,
    threads: 2,
    taps,
    recordScale: 0.5,
  });
  assert.equal(off.spec.recordScale, undefined);
  assert.equal(half.spec.recordScale, 0.5);
  assert.equal(half.options.recordScale, 0.5);
  // The training std enters with exponent 1 - a: its square root here.
  Array.from(half.spec.std).forEach((s, j) =>
    assert.ok(Math.abs(s - Math.sqrt(off.spec.std[j])) < 1e-12, `column ${j}`),
  );
  await assert.rejects(
    Tlc.fit(fakeModel(), data, train, { k: 4, taps, recordScale: 1.5 }),
    /recordScale: expected a number in \[0, 1\], got 1.5/,
  );
});

test("fitEach: one pass through the model, each K as Tlc.fit would fit it", async () => {
  const model = fakeModel();
  const seen: string[] = [];
  const each = await Tlc.fitEach(model, data, train, [3, 5], {
    seed: 7,
    threads: 1,
    ...B234,
    onProgress: (p) => p.stage !== "features" && seen.push(`${p.stage} ${p.done}/${p.total}`),
  });
  // the features pass says what it sampled (every vector here), then one line per K
  assert.deepEqual(seen, ["sampled 2500/2500", "kmeans 1/2", "kmeans 2/2"]);
  const passes = model.calls;
  assert.deepEqual(
    each.map((t) => t.k),
    [3, 5],
  );
  const alone = fakeModel();
  // fitEach fits the wave level only (fidelity by K): as Tlc.fit without states
  const five = await Tlc.fit(alone, data, train, {
    k: 5,
    seed: 7,
    threads: 1,
    ...B234,
    states: false,
  });
  assert.equal(passes, alone.calls, "two K for the forward passes of one");
  assert.deepEqual(each[1].toJSON().centroids, five.toJSON().centroids);
  assert.deepEqual(each[1].toJSON().blocks, five.toJSON().blocks);
  assert.deepEqual(each[1].toJSON().options, five.toJSON().options);
  assert.equal(each[0].toJSON().centroids.length, 3);
});

test("refitEach: the explainer's own options, other K", async () => {
  const opts = { k: 5, seed: 7, threads: 1, nInit: 2, weights: "equal" as const, ...B234 };
  const base = await Tlc.fit(fakeModel(), data, train, opts);
  const [three] = await base.refitEach(fakeModel(), data, train, [3]);
  const direct = await Tlc.fit(fakeModel(), data, train, { ...opts, k: 3, blocks: false });
  assert.equal(three.k, 3);
  assert.deepEqual(three.toJSON().centroids, direct.toJSON().centroids);
  const { blocks: _b, ...rest } = three.toJSON().options;
  const { blocks: _d, ...baseRest } = base.toJSON().options;
  assert.deepEqual(rest, baseRest);
  assert.deepEqual(Object.keys(three.blockFits), []);
});
