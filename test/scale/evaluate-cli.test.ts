import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { code15Fixture, run, type Fixture } from "./fixture.js";

let fx: Fixture;
before(async () => {
  fx = await code15Fixture(150, "scale-eval-");
});
after(() => rmSync(fx.dir, { recursive: true, force: true }));

const env = { env: { ...process.env, ECG_TLC_THREADS: "1" } };
const common = () => ["--model", fx.model, "--tlc", fx.tlc, "--sample", "6", "--trees", "10"];
const withoutTime = (text: string) => ({ ...JSON.parse(text), seconds: 0 });

test("evaluate --shard I/N on 3 shards + merge prints the single run's JSON", () => {
  const single = run(["evaluate", ...common(), "--data", fx.data, "--json"], env);
  assert.equal(single.code, 0, single.err);
  const parts = [0, 1, 2].map((i) => join(fx.dir, `eval${i}.json`));
  // Shards in another order than their numbers: each writes only its own state.
  for (const i of [2, 0, 1]) {
    const r = run(
      ["evaluate", ...common(), "--data", fx.data, "--shard", `${i}/3`, "--out", parts[i]],
      env,
    );
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(`${parts[i]}.manifest.json`));
  }
  const merged = run(
    [
      "merge",
      "--model",
      fx.model,
      "--tlc",
      fx.tlc,
      "--trees",
      "10",
      "--json",
      "--out",
      join(fx.dir, "eval.json"),
      ...parts,
    ],
    env,
  );
  assert.equal(merged.code, 0, merged.err);
  assert.match(merged.err, /merge: 3 shards, 150 ECGs evaluated/);
  const a = withoutTime(single.out);
  assert.equal(a.n, 150);
  // The fixture's explainer has two levels: the evaluation is per leaf (4 wave clusters' states).
  assert.ok(a.k > 4 && a.leaves.names.length === a.k && a.waveLevel.k === 4);
  assert.ok(a.stability.records > 0 && a.prototypes.clusters.length === a.k);
  assert.deepEqual(withoutTime(merged.out), a);
  // A shard's flags that only the merge takes are refused with the flag named.
  const bad = run(
    [
      "evaluate",
      ...common(),
      "--data",
      fx.data,
      "--shard",
      "0/3",
      "--out",
      parts[0],
      "--table",
      "x.csv",
    ],
    env,
  );
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /--table is not for a shard/);
});
