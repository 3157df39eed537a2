import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ShardError } from "../../src/errors.js";
import { evaluate, type EvaluateOptions } from "../../src/eval/evaluate.js";
import { evaluateShard, mergeEvaluationShards } from "../../src/scale/evaluate.js";
import { manifestPath } from "../../src/scale/output.js";
import type { EcgRecord } from "../../src/types.js";
import { fakeBound, oneLeadModel } from "../model-face.js";

// A fake world (as in test/eval/evaluate.test.ts): one lead of 100 samples, a run of high
// samples; the "CNN" says A when over 30 % is high, B when the first sample is; K = 2 clusters.
const SAMPLES = 100;
function record(id: number): EcgRecord {
  const w = 5 + ((id * 37) % 45);
  const start = id % 2 ? 0 : 20 + (id % 7);
  const signal = new Float32Array(SAMPLES);
  signal.fill(1, start, start + w);
  for (let t = 0; t < SAMPLES; t++) signal[t] += 0.01 * Math.sin(id + t);
  return { name: String(id), fs: 100, samples: SAMPLES, leads: ["II"], units: ["mV"], signal };
}
const cnn = (s: Float32Array): [number, number] => {
  const share = s.reduce((a, v) => a + (v > 0.5 ? 1 : 0), 0) / s.length;
  return [0.1 + 0.8 * share, s[0] > 0.5 ? 0.8 : 0.2];
};
const model = oneLeadModel(cnn, SAMPLES);
const explainer = fakeBound(model, (rec) => {
  const clusters: number[] = Array.from(rec.signal).map((v) => (v > 0.5 ? 1 : 0));
  const p1 = clusters.reduce((s, v) => s + v, 0) / SAMPLES;
  const [a, b] = cnn(rec.signal);
  return {
    samples: SAMPLES,
    outputs: { A: a, B: b },
    clusters,
    entropy: Array.from(rec.signal).map((v) => 0.1 + 0.2 * Math.abs(v - 0.5)),
    proportions: [1 - p1, p1],
    softProportions: [0.9 * (1 - p1) + 0.05, 0.9 * p1 + 0.05],
    meanEntropy: 0.3 - 0.2 * p1 + 0.001 * rec.signal[3],
  };
});
// 200 ECGs: 4 blocks of 64 records, so each of 3 shards holds some. Ages unknown (NaN) in
// some, so the state's non-finite numbers round-trip.
const entries = Array.from({ length: 200 }, (_, i) => {
  const [a, b] = cnn(record(i).signal);
  const labels = [a > 0.5 !== (i % 17 === 0) ? "A" : "", b > 0.5 ? "B" : ""].filter(Boolean);
  return { id: `ecg${i}`, labels, fold: (i % 4) + 1, ...(i % 5 ? { age: 40 + (i % 30) } : {}) };
});
const dataset = {
  root: "/fake",
  kind: "fake",
  read: async (e: { id: string }) => record(Number(e.id.slice(3))),
};
const opts: EvaluateOptions = {
  forest: { nEstimators: 10 },
  waves: false,
  sample: 30,
  noise: 0.05,
};
const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-eval-shards-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const withoutTime = (r: { seconds: number }) => ({ ...r, seconds: 0 });

test("evaluate as 3 shards + merge gives the single run's result exactly", async () => {
  const single = await evaluate(explainer, dataset, entries, opts);
  const parts: string[] = [];
  for (let i = 0; i < 3; i++) {
    const out = join(dir, `part${i}.json`);
    const m = await evaluateShard(explainer, dataset, entries, {
      ...opts,
      out,
      shard: { index: i, count: 3 },
      explainerSha256: "tlc-1",
    });
    assert.ok(m.output.records > 0, `shard ${i} holds ECGs`);
    parts.push(out);
  }
  const { result, shards } = await mergeEvaluationShards(
    explainer,
    [parts[2], parts[0], parts[1]],
    {
      ...opts,
      explainerSha256: "tlc-1",
    },
  );
  assert.deepEqual(
    shards.map((s) => s.range),
    [
      [0, 64],
      [64, 128],
      [128, 200],
    ],
  );
  // The sample spans the shards, and every analysis has something to merge.
  assert.equal(single.stability.records, 34);
  assert.ok(single.gradcam && single.gradcam.records === 34);
  assert.ok(single.prototypes.clusters.every((c) => c.segments > 0));
  assert.equal(JSON.stringify(withoutTime(result)), JSON.stringify(withoutTime(single)));
});

test("merge refuses shards of other options, a missing shard and changed content", async () => {
  const parts = [0, 1].map((i) => join(dir, `two${i}.json`));
  for (let i = 0; i < 2; i++)
    await evaluateShard(explainer, dataset, entries, {
      ...opts,
      out: parts[i],
      shard: { index: i, count: 2 },
      explainerSha256: "tlc-1",
    });
  const merge = (ps: string[]) =>
    mergeEvaluationShards(explainer, ps, { forest: opts.forest, explainerSha256: "tlc-1" });
  await assert.rejects(
    merge([parts[0]]),
    (e) => e instanceof ShardError && /shard 1 of 2 missing/.test(e.message),
  );
  await assert.rejects(
    mergeEvaluationShards(explainer, parts, { explainerSha256: "tlc-2" }),
    /another model or explainer than these/,
  );
  // A shard run with other options (the stability noise) is not of the same run.
  const other = join(dir, "other1.json");
  await evaluateShard(explainer, dataset, entries, {
    ...opts,
    noise: 0.2,
    out: other,
    shard: { index: 1, count: 2 },
    explainerSha256: "tlc-1",
  });
  await assert.rejects(merge([parts[0], other]), /the inputs \(model, explainer\) differs/);
  // Same size, other bytes: the SHA-256 catches it.
  const text = readFileSync(parts[1], "utf8");
  writeFileSync(parts[1], text.replace(/"ecg130"/, '"ecg13X"'));
  await assert.rejects(merge(parts), /differs from its manifest's SHA-256; re-run shard 1/);
  // A killed shard leaves no manifest: not merged.
  rmSync(manifestPath(parts[1]));
  await assert.rejects(merge(parts), /no complete shard output here/);
});
