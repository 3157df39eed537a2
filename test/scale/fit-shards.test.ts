import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ColumnStats } from "../../src/tlc/index.js";
import { mergeSamples } from "../../src/scale/fit.js";
import { code15Fixture, run, type Fixture } from "./fixture.js";

let fx: Fixture;
before(async () => {
  fx = await code15Fixture(150, "fit-shards-");
});
after(() => rmSync(fx.dir, { recursive: true, force: true }));

const env = { ...process.env, ECG_TLC_THREADS: "1" };
const fitArgs = (extra: string[]) => [
  "fit", "--model", fx.model, "--data", fx.data, "--k", "4", "--name-ecgs", "0", "--threads", "1", ...extra,
]; // prettier-ignore

test("fit --shard + merge --model: every vector kept -> the same explainer as one process", () => {
  const single = join(fx.dir, "single.json");
  assert.equal(run(fitArgs(["--out", single]), { env }).code, 0);
  const parts = [0, 1, 2].map((i) => join(fx.dir, `fit-${i}.npy`));
  for (const [i, p] of parts.entries()) {
    const r = run(fitArgs(["--out", p, "--shard", `${i}/3`]), { env });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /fit: shard \d\/3: \d+ ECGs, kept \d+ of \d+ vectors/);
  }
  const merged = join(fx.dir, "merged.json");
  const m = run(["merge", "--model", fx.model, "--out", merged, "--threads", "1", ...parts], {
    env,
  });
  assert.equal(m.code, 0, m.err);
  assert.match(m.err, /merge: 3 shards, 150 ECGs: clustered 76800 of 76800 vectors/);
  const a = JSON.parse(readFileSync(single, "utf8"));
  const b = JSON.parse(readFileSync(merged, "utf8"));
  for (const key of [
    "centroids",
    "sigma2",
    "inertia",
    "points",
    "records",
    "dims",
    "blocks",
    "scaler",
  ])
    assert.deepEqual(b[key], a[key], key);
  // the merged explainer explains
  const out = join(fx.dir, "x.jsonl");
  const e = run(
    [
      "explain",
      "--model",
      fx.model,
      "--tlc",
      merged,
      "--data",
      fx.data,
      "--out",
      out,
      "--shard",
      "2/3",
    ],
    { env },
  );
  assert.equal(e.code, 0, e.err);
  // a missing shard is refused
  const r = run(["merge", "--model", fx.model, "--out", merged, parts[0], parts[2]]);
  assert.match(r.err, /shard 1 of 3 missing/);
});

test("fit --shard with a sample smaller than the vectors: a uniform sample of the union", () => {
  const parts = [0, 1].map((i) => join(fx.dir, `small-${i}.npy`));
  for (const [i, p] of parts.entries())
    assert.equal(
      run(fitArgs(["--out", p, "--shard", `${i}/2`, "--max-points", "5000"]), { env }).code,
      0,
    );
  const merged = join(fx.dir, "small.json");
  const m = run(["merge", "--model", fx.model, "--out", merged, ...parts], { env });
  assert.equal(m.code, 0, m.err);
  assert.match(m.err, /clustered 5000 of 76800 vectors/);
  assert.equal(JSON.parse(readFileSync(merged, "utf8")).points, 5000);
});

test("mergeSamples: shares follow the vectors each shard saw; column statistics merge exactly", () => {
  const layout = { taps: ["B1"], channels: [1], steps: [1], fineSteps: 1, offsets: [0], dims: 1 };
  const shard = (value: number, seen: number, stored: number) => {
    const stats = new ColumnStats(1);
    const x = Float32Array.from({ length: seen }, (_, i) => value + (i % 3));
    stats.add(x, seen);
    return {
      sample: {
        layout,
        stats,
        points: new Float32Array(stored).fill(value),
        stored,
        seen,
        records: 1,
      },
      maxPoints: 1000,
    };
  };
  const m = mergeSamples([shard(0, 9000, 1000), shard(10, 1000, 1000)], 1);
  assert.equal(m.stored, 1000);
  assert.equal(m.seen, 10_000);
  const fromSecond = m.points.filter((v) => v === 10).length;
  assert.ok(fromSecond > 60 && fromSecond < 140, `${fromSecond} of 1000 from the 10 % shard`);
  const all = new ColumnStats(1);
  all.add(
    Float32Array.from({ length: 9000 }, (_, i) => i % 3),
    9000,
  );
  all.add(
    Float32Array.from({ length: 1000 }, (_, i) => 10 + (i % 3)),
    1000,
  );
  const [a, b] = [m.stats.finish(), all.finish()];
  assert.ok(Math.abs(a.mean[0] - b.mean[0]) < 1e-9 && Math.abs(a.std[0] - b.std[0]) < 1e-9);
});
