import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openDataset } from "../../src/io/index.js";
import { loadModel } from "../../src/model/index.js";
import { Tlc } from "../../src/tlc/index.js";
import { CLI, code15Fixture, run, type Fixture } from "./fixture.js";

let fx: Fixture;
before(async () => {
  fx = await code15Fixture(150);
});
after(() => rmSync(fx.dir, { recursive: true, force: true }));

const explain = (out: string, shard?: string) =>
  run(
    [
      "explain",
      "--model",
      fx.model,
      "--tlc",
      fx.tlc,
      "--data",
      fx.data,
      "--out",
      out,
      ...(shard ? ["--shard", shard] : []),
    ],
    { env: { ...process.env, ECG_TLC_THREADS: "1" } },
  );

test("dataset --json counts the synthetic CODE-15% records", () => {
  const r = run(["dataset", fx.data, "--json"]);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.equal(s.kind, "code15");
  assert.equal(s.records, 150);
});

test("explain --data --out: one line per record in dataset order, the objects explain --json prints", async () => {
  const out = join(fx.dir, "all.jsonl");
  const r = explain(out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /explain: 150\/150 ECGs, [\d.]+ ECGs\/s/);
  const lines = readFileSync(out, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));
  const d = await openDataset(fx.data);
  const model = await loadModel(fx.model);
  try {
    assert.deepEqual(
      lines.map((l) => l.record),
      d.entries.map((e) => e.id),
    );
    const tlc = Tlc.load(fx.tlc, model);
    const recs = await d.readBatch([d.entries[0], d.entries[149]]);
    const direct = await tlc.bind(model).explain(recs);
    for (const [i, k] of [
      [0, 0],
      [1, 149],
    ]) {
      // the same object as `explain RECORD --json` (explanation + the explainer's names)
      const named = { ...direct[i], clusterWaves: tlc.clusterWaves, leafNames: tlc.leafNames };
      const want = JSON.parse(JSON.stringify(named));
      assert.deepEqual(Object.keys(lines[k]), Object.keys(want));
      assert.equal(lines[k].clusters.length, 4096);
      assert.deepEqual(lines[k].proportions, want.proportions);
    }
    const m = JSON.parse(readFileSync(out + ".manifest.json", "utf8"));
    assert.equal(m.output.records, 150);
    assert.equal(m.output.bytes, statSync(out).size);
    assert.ok(m.cost.peakRss > 0 && m.cost.seconds > 0);
  } finally {
    d.close();
    model.dispose();
  }
});

test("shards: merged equals the single run; a killed shard leaves nothing merge takes; re-run alone", async () => {
  const ref = join(fx.dir, "ref.jsonl");
  assert.equal(explain(ref).code, 0);
  const part = (i: number) => join(fx.dir, `part-${i}.jsonl`);
  for (const i of [0, 2]) assert.equal(explain(part(i), `${i}/3`).code, 0);
  // shard 1: killed while it writes
  const child = spawn(
    process.execPath,
    [
      CLI,
      "explain",
      "--model",
      fx.model,
      "--tlc",
      fx.tlc,
      "--data",
      fx.data,
      "--out",
      part(1),
      "--shard",
      "1/3",
    ],
    { env: { ...process.env, ECG_TLC_THREADS: "1" }, stdio: "ignore" },
  );
  const tmp = `${part(1)}.tmp-${child.pid}`;
  for (let t = 0; t < 600 && !(existsSync(tmp) && statSync(tmp).size > 0); t++)
    await new Promise((r) => setTimeout(r, 25));
  assert.ok(existsSync(tmp), "shard 1 started writing");
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  assert.ok(!existsSync(part(1)) && !existsSync(part(1) + ".manifest.json"));
  const merged = join(fx.dir, "merged.jsonl");
  const parts = [0, 1, 2].map(part);
  let m = run(["merge", "--out", merged, ...parts]);
  assert.equal(m.code, 1);
  assert.match(m.err, /part-1\.jsonl: no complete shard output here .*re-run that shard/);
  m = run(["merge", "--out", merged, part(0), part(2)]);
  assert.match(m.err, /shard 1 of 3 missing/);
  assert.ok(!existsSync(merged));
  // re-run shard 1 alone (its stale temporary file does not matter)
  assert.equal(explain(part(1), "1/3").code, 0);
  m = run(["merge", "--out", merged, "--json", part(2), part(0), part(1)]);
  assert.equal(m.code, 0, m.err);
  assert.ok(readFileSync(merged).equals(readFileSync(ref)), "merged == single run, byte for byte");
  const report = JSON.parse(m.out);
  assert.equal(report.records, 150);
  assert.deepEqual(
    report.costs.map((c: { records: number }) => c.records),
    [64, 64, 22],
  );
  // every shard once
  m = run(["merge", "--out", merged, part(0), part(0), part(1), part(2)]);
  assert.match(m.err, /shard 0 of 3 is also/);
  // a changed output is refused
  const text = readFileSync(part(2), "utf8");
  writeFileSync(part(2), text.slice(0, -10) + "0123456789");
  m = run(["merge", "--out", merged, ...parts]);
  assert.match(m.err, /part-2\.jsonl.*SHA-256.*re-run shard 2/);
  writeFileSync(part(2), text.slice(0, 1000));
  m = run(["merge", "--out", merged, ...parts]);
  assert.match(m.err, /part-2\.jsonl: 1000 bytes, its manifest says \d+ \(partial or changed\)/);
  // a shard of another explainer is refused
  const other = join(fx.dir, "tlc2.json");
  assert.equal(
    run([
      "fit",
      "--model",
      fx.model,
      "--data",
      fx.data,
      "--k",
      "3",
      "--out",
      other,
      "--name-ecgs",
      "0",
    ]).code,
    0,
  );
  const r = run([
    "explain",
    "--model",
    fx.model,
    "--tlc",
    other,
    "--data",
    fx.data,
    "--out",
    part(2),
    "--shard",
    "2/3",
  ]);
  assert.equal(r.code, 0, r.err);
  m = run(["merge", "--out", merged, ...parts]);
  assert.match(m.err, /part-2\.jsonl: the inputs \(model, explainer\) differs/);
});

test("explain --shard: usage errors in one line", () => {
  let r = explain(join(fx.dir, "x.jsonl"), "3/3");
  assert.equal(r.code, 2);
  assert.match(r.err, /--shard: shard 3 of 3 does not exist/);
  r = run(["explain", "--model", fx.model, "--tlc", fx.tlc, "--data", fx.data]);
  assert.match(r.err, /--data needs --out FILE.jsonl/);
});

test("features and predict --shard: merged arrays, index and lines equal the single run", () => {
  const a = ["--model", fx.model, "--tlc", fx.tlc, "--data", fx.data, "--threads", "1"];
  const env = { ...process.env, ECG_TLC_THREADS: "1" };
  const single = join(fx.dir, "f.npy");
  assert.equal(run(["features", ...a, "--out", single], { env }).code, 0);
  const parts = [0, 1].map((i) => join(fx.dir, `f-${i}.npy`));
  for (const [i, p] of parts.entries()) {
    const r = run(["features", ...a, "--out", p, "--shard", `${i}/2`], { env });
    assert.equal(r.code, 0, r.err);
  }
  const merged = join(fx.dir, "fm.npy");
  const m = run(["merge", "--out", merged, ...parts]);
  assert.equal(m.code, 0, m.err);
  assert.ok(readFileSync(merged).equals(readFileSync(single)), "vectors");
  const labels = (f: string) => readFileSync(f.replace(/\.npy$/, ".labels.npy"));
  assert.ok(labels(merged).equals(labels(single)), "labels");
  const index = (f: string) => JSON.parse(readFileSync(f.replace(/\.npy$/, ".json"), "utf8"));
  assert.deepEqual(index(merged).records, index(single).records);
  assert.ok(Math.abs(index(merged).inertia / index(single).inertia - 1) < 1e-9);

  const p1 = join(fx.dir, "p.jsonl");
  assert.equal(
    run(["predict", "--model", fx.model, "--data", fx.data, "--out", p1], { env }).code,
    0,
  );
  const pp = [0, 1].map((i) => join(fx.dir, `p-${i}.jsonl`));
  for (const [i, p] of pp.entries())
    assert.equal(
      run(["predict", "--model", fx.model, "--data", fx.data, "--out", p, "--shard", `${i}/2`], {
        env,
      }).code,
      0,
    );
  const pm = join(fx.dir, "pm.jsonl");
  assert.equal(run(["merge", "--out", pm, ...pp]).code, 0);
  assert.ok(readFileSync(pm).equals(readFileSync(p1)));
  assert.equal(readFileSync(p1, "utf8").trimEnd().split("\n").length, 150);
});
