/**
 * A real single-node Slurm (scripts/slurm-local: munged, slurmctld, slurmd) runs a 4-shard explain
 * array and its merge; the merged file must equal the single-process run byte for byte. A
 * two-level fit runs its four chained jobs (wave array, merge, state array, merge). Needs root
 * and Debian's slurmctld, slurmd, slurm-client and munge (scripts/setup installs them): without
 * them the test fails and says so, it does not skip.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../data.js";
import { code15Fixture, run, type Fixture } from "./fixture.js";

const SCRIPT = join(ROOT, "scripts", "slurm-local");
let fx: Fixture;
let cluster: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  fx = await code15Fixture(200, "slurm-");
  cluster = join(fx.dir, "cluster");
  const t0 = performance.now();
  const r = spawnSync(SCRIPT, ["start", cluster], { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(
      `cannot start a local Slurm with scripts/slurm-local (${(r.stderr || r.error?.message || "").trim()}): run scripts/setup as root`,
    );
  const conf = /SLURM_CONF=(\S+)/.exec(r.stdout)![1];
  env = { ...process.env, SLURM_CONF: conf, ECG_TLC_THREADS: "1" };
  process.stderr.write(`slurm-local up in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
});

after(() => {
  if (cluster && existsSync(cluster)) spawnSync(SCRIPT, ["stop", cluster]);
  rmSync(fx.dir, { recursive: true, force: true });
});

test("slurm explain --submit: 4 shards + merge on a real Slurm equal the single-process run", () => {
  const ref = join(fx.dir, "ref.jsonl");
  const a = ["--model", fx.model, "--tlc", fx.tlc, "--data", fx.data];
  const single = run(["explain", ...a, "--out", ref], { env });
  assert.equal(single.code, 0, single.err);
  const out = join(fx.dir, "merged.jsonl");
  const r = run(
    ["slurm", "explain", ...a, "--shards", "4", "--out", out, "--submit", "--poll", "0.3"],
    { env },
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /slurm: submitted array job \d+ \(4 shards\), merge job \d+/);
  assert.match(r.err, /merge: 4 shards, 200 ECGs/);
  assert.match(r.err, /shard 3: 8 ECGs, \d+s, peak \d+ MiB/);
  assert.ok(readFileSync(out).equals(readFileSync(ref)), "merged == single run");
  const script = readFileSync(join(`${out}.slurm`, "explain.sbatch"), "utf8");
  assert.match(script, /#SBATCH --array=0-3/);
  assert.match(script, /--shard "\$I\/4"/);
});

test("slurm: a failed shard makes the run fail, names it, and re-running it alone completes the merge", () => {
  const out = join(fx.dir, "failing.jsonl");
  const work = `${out}.slurm`;
  // shard 2 cannot rename its output into place: it fails after its work, the others succeed
  mkdirSync(join(work, "shards", "shard-2-of-4.jsonl"), { recursive: true });
  const a = ["--model", fx.model, "--tlc", fx.tlc, "--data", fx.data];
  const r = run(
    ["slurm", "explain", ...a, "--shards", "4", "--out", out, "--submit", "--poll", "0.3"],
    { env },
  );
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /slurm: shard 2 failed: .*shard-2\.log/);
  assert.match(
    r.err,
    /ecg-tlc: slurm: shard 2 of 4 failed; re-run the failed shard: jid=\$\(sbatch --parsable --array=2 /,
  );
  assert.ok(!existsSync(out), "nothing merged");
  rmSync(join(work, "shards", "shard-2-of-4.jsonl"), { recursive: true });
  const advice = /re-run the failed shard: (.*)$/m.exec(r.err)![1];
  const again = spawnSync(
    "bash",
    ["-c", `${advice} && while squeue -h | grep -q .; do sleep 0.3; done`],
    { env, encoding: "utf8" },
  );
  assert.equal(again.status, 0, again.stderr);
  assert.ok(
    readFileSync(out).equals(readFileSync(join(fx.dir, "ref.jsonl"))),
    "merged after re-run == single run",
  );
});

test("slurm fit --submit: the wave pass, its merge, the state pass, its merge: the single-process explainer", () => {
  const a = [
    "--model",
    fx.model,
    "--data",
    fx.data,
    "--k",
    "4",
    "--name-ecgs",
    "0",
    "--threads",
    "1",
    // a wave of 200 ECGs has more than the 50,000 steps sampled by default: keep them all
    "--state-points",
    "all",
  ];
  const ref = join(fx.dir, "tlc-ref.json");
  assert.equal(run(["fit", ...a, "--out", ref], { env }).code, 0);
  const out = join(fx.dir, "tlc-slurm.json");
  const r = run(
    ["slurm", "fit", ...a, "--shards", "2", "--out", out, "--submit", "--poll", "0.3"],
    { env },
  );
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    /slurm: submitted array job \d+ \(2 shards\), merge job \d+, state array job \d+, state merge job \d+/,
  );
  assert.match(r.err, /merge: 2 shards, 200 ECGs: clustered 102400 of 102400 vectors/);
  assert.match(
    r.err,
    /merge: 2 shards, 200 ECGs: states clustered on 102400 of 102400 steps' vectors/,
  );
  const [x, y] = [ref, out].map((f) => JSON.parse(readFileSync(f, "utf8")));
  for (const key of ["centroids", "sigma2", "inertia", "blocks", "clusterWaves"])
    assert.deepEqual(y[key], x[key], key);
  // the states and their names (the state merge names them on --data, as fit does); the
  // states' column statistics are sums in another order (fit-shards.test.ts)
  const { scaler: _a, ...sx } = x.states;
  const { scaler: _b, ...sy } = y.states;
  assert.ok(sx.names, "named states");
  assert.deepEqual(sy, sx, "states");
});

test("slurm fit --submit: a failed state shard fails the run, names it, and re-running it completes it", () => {
  const a = ["--model", fx.model, "--data", fx.data, "--k", "4", "--name-ecgs", "0", "--name-states", "0"]; // prettier-ignore
  const out = join(fx.dir, "tlc-failing.json");
  const work = `${out}.slurm`;
  // state shard 1 cannot rename its output into place: the wave pass succeeds, the state pass not
  mkdirSync(join(work, "shards", "states-1-of-2.npy"), { recursive: true });
  const r = run(
    ["slurm", "fit", ...a, "--shards", "2", "--out", out, "--submit", "--poll", "0.3"],
    { env },
  );
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /slurm: state shard 1 failed: .*states-1\.log/);
  assert.match(
    r.err,
    /ecg-tlc: slurm: state shard 1 of 2 failed; re-run the failed state shard: jid=\$\(sbatch --parsable --array=1 \S+fit-states\.sbatch\) && sbatch --dependency=afterok:\$jid \S+merge-states\.sbatch$/m,
  );
  assert.ok(existsSync(join(work, "waves.json")), "the wave pass merged");
  assert.ok(!existsSync(out), "nothing merged");
  rmSync(join(work, "shards", "states-1-of-2.npy"), { recursive: true });
  const advice = /re-run the failed state shard: (.*)$/m.exec(r.err)![1];
  const again = spawnSync(
    "bash",
    ["-c", `${advice} && while squeue -h | grep -q .; do sleep 0.3; done`],
    { env, encoding: "utf8" },
  );
  assert.equal(again.status, 0, again.stderr);
  const tlc = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(tlc.states.waves.length, 4);
});

test("slurm evaluate --submit: 3 shards' states merged into the single-process report", () => {
  const a = ["--model", fx.model, "--tlc", fx.tlc, "--data", fx.data, "--sample", "4"];
  const ref = run(["evaluate", ...a, "--trees", "10", "--json"], { env });
  assert.equal(ref.code, 0, ref.err);
  const out = join(fx.dir, "evaluation.json");
  const r = run(
    [
      "slurm",
      "evaluate",
      ...a,
      "--trees",
      "10",
      "--json",
      "--shards",
      "3",
      "--out",
      out,
      "--submit",
      "--poll",
      "0.3",
    ],
    { env },
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /merge: 3 shards, 200 ECGs evaluated/);
  // The report's options go to the merge, the pass's to the shards.
  const script = readFileSync(join(`${out}.slurm`, "evaluate.sbatch"), "utf8");
  assert.doesNotMatch(script, /--json|--trees/);
  assert.match(
    readFileSync(join(`${out}.slurm`, "merge.sbatch"), "utf8"),
    /'--trees' '10' '--json'/,
  );
  const strip = (t: string) => ({ ...JSON.parse(t), seconds: 0 });
  assert.deepEqual(strip(readFileSync(out, "utf8")), strip(ref.out));
});
