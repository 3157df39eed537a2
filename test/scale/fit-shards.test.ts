import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ColumnStats } from "../../src/tlc/index.js";
import { mergeSamples } from "../../src/scale/fit.js";
import { rerunAdvice, writeSlurmScripts } from "../../src/scale/slurm.js";
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
  assert.ok(a.states, "the single-process fit has two levels");
  assert.equal(b.states, undefined, "the wave pass alone: one level");
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

test("fit --states-of --shard + merge --states-of: the two-level explainer of one process", () => {
  const single = join(fx.dir, "single.json");
  const waves = join(fx.dir, "merged.json");
  const parts = [0, 1, 2].map((i) => join(fx.dir, `states-${i}.npy`));
  for (const [i, p] of parts.entries()) {
    const r = run(fitArgs(["--states-of", waves, "--out", p, "--shard", `${i}/3`]), { env });
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /fit: shard \d\/3: \d+ ECGs, states: kept \d+ of \d+ steps' vectors \(4 waves\)/,
    );
  }
  const out = join(fx.dir, "two-level.json");
  const merge = (extra: string[], ps = parts) =>
    run(["merge", "--model", fx.model, "--out", out, "--threads", "1", ...extra, ...ps], { env });
  // --data: names the states as fit does (its clusters stay unnamed, as fit's with --name-ecgs 0)
  const m = merge(["--states-of", waves, "--data", fx.data, "--name-ecgs", "0"]);
  assert.equal(m.code, 0, m.err);
  assert.match(
    m.err,
    /merge: 3 shards, 150 ECGs: states clustered on 76800 of 76800 steps' vectors/,
  );
  const a = JSON.parse(readFileSync(single, "utf8"));
  const b = JSON.parse(readFileSync(out, "utf8"));
  // Every field but the fit's time and the states' training statistics is the single run's to
  // the bit: the statistics are the same sums taken in another order (shard by shard), equal to
  // ~1e-13, and the scaled vectors (float32), hence every state, are identical.
  const { seconds: _s, states: sa, ...restA } = a;
  const { seconds: _t, states: sb, ...restB } = b;
  assert.deepEqual(restB, restA);
  const { scaler: ca, ...statesA } = sa;
  const { scaler: cb, ...statesB } = sb;
  assert.deepEqual(statesB, statesA, "states");
  assert.equal(statesA.waves.length, 4);
  assert.ok(statesA.waves.every((w: { centroids: number[] }) => w.centroids.length > 0));
  for (const key of ["mean", "std"] as const)
    ca[key].forEach((v: number, j: number) =>
      assert.ok(Math.abs(cb[key][j] - v) <= 1e-9 * Math.abs(v), `scaler ${key}[${j}]`),
    );
  // the two-level explainer explains
  const x = join(fx.dir, "x2.jsonl");
  const e = run(["explain", "--model", fx.model, "--tlc", out, "--data", fx.data, "--out", x, "--shard", "2/3"], { env }); // prettier-ignore
  assert.equal(e.code, 0, e.err);
  assert.match(readFileSync(x, "utf8").split("\n")[0], /"leaves"/);

  // the wrong merges, each a one-line error
  const waveParts = [0, 1, 2].map((i) => join(fx.dir, `fit-${i}.npy`));
  const lines = (r: { err: string }) => r.err.trim().split("\n").length;
  let r = merge([]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /states-0\.npy is a part of the state pass .*: give --states-of WAVES\.json/);
  assert.equal(lines(r), 1, r.err);
  r = merge(["--states-of", fx.tlc]);
  assert.match(
    r.err,
    /states-0\.npy: its shard read the wave explainer [0-9a-f]{12}, not this one/,
  );
  assert.equal(lines(r), 1, r.err);
  r = merge(["--states-of", waves], [parts[0], waveParts[1], parts[2]]);
  assert.match(
    r.err,
    /fit-1\.npy is a part of the wave pass .*, .*states-0\.npy of the state pass .*: merge each pass on its own/,
  );
  assert.equal(lines(r), 1, r.err);
  r = merge(["--states-of", waves], waveParts);
  assert.match(r.err, /fit-0\.npy is a part of the wave pass .*: merge it without --states-of/);
  assert.equal(lines(r), 1, r.err);
  r = run(fitArgs(["--states-of", waves, "--out", join(fx.dir, "no.npy")]), { env });
  assert.match(r.err, /--states-of runs the state pass of a sharded fit: give --shard I\/N/);
});

test("the state pass with fewer state vectors kept than steps: per wave a uniform sample", () => {
  const waves = join(fx.dir, "merged.json");
  const parts = [0, 1].map((i) => join(fx.dir, `states-small-${i}.npy`));
  for (const [i, p] of parts.entries()) {
    const r = run(
      fitArgs(["--states-of", waves, "--state-points", "300", "--out", p, "--shard", `${i}/2`]),
      { env },
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /states: kept (\d+) of \d+/);
  }
  const out = join(fx.dir, "two-level-small.json");
  const m = run(["merge", "--model", fx.model, "--states-of", waves, "--out", out, ...parts], {
    env,
  });
  assert.equal(m.code, 0, m.err);
  // at most 300 per wave of 4 (a wave with fewer steps keeps all of them)
  const sampled = Number(/states clustered on (\d+) of 76800/.exec(m.err)?.[1]);
  assert.ok(sampled > 300 && sampled <= 1200, m.err);
  const tlc = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(tlc.states.waves.length, 4);
  assert.ok(tlc.states.waves.every((w: { centroids: number[] }) => w.centroids.length > 0));
  // the explainer's manifest counts both passes' shards
  const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, "utf8"));
  assert.equal(manifest.command, "fit");
  assert.equal(manifest.output.records, 150);
});

test("slurm fit (two levels) writes four chained jobs; --no-states two", () => {
  const out = join(fx.dir, "slurm-tlc.json");
  const r = run(["slurm", ...fitArgs(["--shards", "3", "--out", out])]);
  assert.equal(r.code, 0, r.err);
  const work = `${out}.slurm`;
  const scripts = ["fit.sbatch", "merge.sbatch", "fit-states.sbatch", "merge-states.sbatch"];
  assert.deepEqual(
    r.out.trim().split("\n").slice(0, 4),
    scripts.map((f) => join(work, f)),
  );
  assert.match(
    r.out,
    /submit with: jid=\$\(sbatch --parsable .*fit\.sbatch\) && jid=\$\(sbatch --parsable --dependency=afterok:\$jid --kill-on-invalid-dep=yes .*merge\.sbatch\) && jid=\$\(sbatch --parsable --dependency=afterok:\$jid --kill-on-invalid-dep=yes .*fit-states\.sbatch\) && sbatch --dependency=afterok:\$jid --kill-on-invalid-dep=yes .*merge-states\.sbatch$/m,
  );
  const [fit, merge, states, mergeStates] = scripts.map((f) => readFileSync(join(work, f), "utf8"));
  const waves = join(work, "waves.json");
  assert.match(fit, /#SBATCH --array=0-2/);
  assert.doesNotMatch(fit, /--states-of/);
  assert.match(
    merge,
    new RegExp(`merge '--model' '[^']+' --out '${waves}' --shards 3 .*shard-0-of-3\\.npy`),
  );
  assert.match(states, /#SBATCH --array=0-2/);
  assert.match(
    states,
    new RegExp(`'--states-of' '${waves}' --out '[^']*states-'"\\$I"'-of-3\\.npy' --shard "\\$I/3"`),
  );
  assert.match(
    mergeStates,
    new RegExp(
      `merge '--model' '[^']+' '--states-of' '${waves}' '--data' '[^']+' '--name-ecgs' '0' --out '${out}' --shards 3 .*states-2-of-3\\.npy'$`,
      "m",
    ),
  );
  // what to re-run: a failed wave shard, everything after it; a failed state shard, its pass
  const scriptsOf = writeSlurmScripts({
    command: "fit",
    args: fitArgs([]).slice(1),
    out,
    shards: 3,
  });
  const [A, M, SA, SM] = scripts.map((f) => join(work, f));
  assert.equal(
    rerunAdvice(scriptsOf, [2]),
    `re-run the failed shard and what follows: jid=$(sbatch --parsable --array=2 ${A}) && jid=$(sbatch --parsable --dependency=afterok:$jid ${M}) && jid=$(sbatch --parsable --dependency=afterok:$jid ${SA}) && sbatch --dependency=afterok:$jid ${SM}`,
  );
  assert.equal(
    rerunAdvice(scriptsOf, [], 0),
    `re-run the merge and what follows: jid=$(sbatch --parsable ${M}) && jid=$(sbatch --parsable --dependency=afterok:$jid ${SA}) && sbatch --dependency=afterok:$jid ${SM}`,
  );
  assert.equal(
    rerunAdvice(scriptsOf, [0, 1], 1),
    `re-run the failed state shards: jid=$(sbatch --parsable --array=0,1 ${SA}) && sbatch --dependency=afterok:$jid ${SM}`,
  );
  assert.equal(rerunAdvice(scriptsOf, [], 1), `re-run the state merge: sbatch ${SM}`);
  const one = run([
    "slurm",
    ...fitArgs(["--no-states", "--shards", "2", "--out", join(fx.dir, "one.json")]),
  ]);
  assert.equal(one.code, 0, one.err);
  assert.equal(one.out.trim().split("\n").length, 3);
  assert.match(
    readFileSync(join(fx.dir, "one.json.slurm", "merge.sbatch"), "utf8"),
    /merge '--model' '[^']+' '--data' '[^']+' '--name-ecgs' '0' --out/,
  );
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
