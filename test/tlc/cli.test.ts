/**
 * The fit / explain / features commands end to end: a tiny untrained network saved as a model
 * folder, 8 CinC 2021 records (500 Hz, 10 s; copied into a temporary folder) as the dataset.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readNpy } from "../../src/io/npy.js";
import { writeUntrainedModel } from "../../src/model/folder.js";
import { ROOT, sharedData } from "../data.js";

const CLI = join(ROOT, "dist", "src", "cli", "main.js");

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function saveTinyModel(dir: string): Promise<void> {
  await writeUntrainedModel(dir, { network: { channels: [8, 8, 8, 12, 16], kernel: 5 }, seed: 3 });
}

test("fit --json, explain --json, features --out: consistent summaries, per-sample output, npy + inertia", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tlc-cli-"));
  try {
    const model = join(dir, "model");
    spawnSync("mkdir", ["-p", model]);
    await saveTinyModel(model);
    const data = join(dir, "data");
    mkdirSync(data);
    for (const r of [
      "E07500",
      "E07501",
      "E07502",
      "E07503",
      "JS20001",
      "JS20002",
      "HR06000",
      "HR06001",
    ]) {
      for (const ext of [".hea", ".mat"])
        copyFileSync(join(sharedData("cinc2021"), r + ext), join(data, r + ext));
    }
    const tlcPath = join(dir, "tlc.json");
    const fit = run([
      "fit",
      "--model",
      model,
      "--data",
      data,
      "--k",
      "4",
      "--taps",
      "B2,B3,B4",
      "--out",
      tlcPath,
      "--json",
      "--threads",
      "2",
    ]);
    assert.equal(fit.code, 0, fit.err);
    const s = JSON.parse(fit.out);
    assert.equal(s.dims, 8 + 12 + 16);
    assert.equal(s.k, 4);
    assert.equal(s.records, 8);
    for (const key of ["points", "dims", "inertia", "iterations", "seconds"])
      assert.equal(typeof s[key], "number");
    assert.match(fit.err, /fit: features \d+\/8/);
    // the clusters are named on the 8 ECGs (delineated) and the names stored in the explainer
    assert.match(fit.err, /fit: naming clusters 8\/8/);
    assert.equal(s.clusterWaves.length, 4);
    for (const w of s.clusterWaves) assert.ok(w === null || ["P", "QRS", "T", "TP"].includes(w), w);
    const stored = JSON.parse(readFileSync(tlcPath, "utf8")).clusterWaves;
    assert.deepEqual(stored.names, s.clusterWaves);
    assert.equal(stored.records, 8);
    assert.equal(stored.source, "delineator");

    const rec = join(data, "E07500");
    const ex = run([
      "explain",
      "--model",
      model,
      "--tlc",
      tlcPath,
      rec,
      join(data, "JS20001"),
      "--json",
    ]);
    assert.equal(ex.code, 0, ex.err);
    const lines = ex.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].record, "E07500");
    assert.equal(lines[0].clusters.length, lines[0].samples);
    assert.equal(lines[0].entropy.length, lines[0].samples);
    assert.equal(lines[0].proportions.length, 4);
    assert.ok(lines[0].clusters.every((c: number) => Number.isInteger(c) && c >= 0 && c < 4));
    assert.deepEqual(lines[1].clusterWaves, s.clusterWaves);

    // --name-ecgs 0: no names stored, none in explain's output
    const unnamedPath = join(dir, "unnamed.json");
    const unnamed = run(
      ["fit", "--model", model, "--data", data, "--k", "4", "--taps", "B2,B3,B4"].concat([
        "--out",
        unnamedPath,
        "--json",
        "--name-ecgs",
        "0",
        "--threads",
        "2",
        "--variance",
        "refit",
      ]),
    );
    assert.equal(unnamed.code, 0, unnamed.err);
    assert.equal(JSON.parse(unnamed.out).clusterWaves, null);
    // sigma^2 calibrated on a refit: the summary says on what evidence
    const calibrated = JSON.parse(unnamed.out);
    assert.equal(calibrated.variance, "refit");
    assert.equal(calibrated.sigma2, calibrated.heldOut.sigma2);
    assert.ok(calibrated.heldOut.disagreement >= 0 && calibrated.heldOut.disagreement <= 1);
    assert.equal(JSON.parse(readFileSync(unnamedPath, "utf8")).options.variance, "refit");
    assert.equal(s.variance, "per-dim");
    assert.equal("heldOut" in s, false);
    assert.doesNotMatch(unnamed.err, /naming clusters/);
    const plain = run(["explain", "--model", model, "--tlc", unnamedPath, rec, "--json"]);
    assert.equal(plain.code, 0, plain.err);
    assert.equal("clusterWaves" in JSON.parse(plain.out), false);

    const npy = join(dir, "f.npy");
    const fx = run([
      "features",
      "--model",
      model,
      "--tlc",
      tlcPath,
      "--data",
      data,
      "--out",
      npy,
      "--json",
    ]);
    assert.equal(fx.code, 0, fx.err);
    const arr = readNpy(npy);
    assert.deepEqual(arr.shape, [s.points, s.dims]);
    const side = JSON.parse(readFileSync(join(dir, "f.json"), "utf8"));
    // Same points as the fit, so the same inertia (up to float32 summation order).
    assert.ok(
      Math.abs(side.inertia - s.inertia) / s.inertia < 1e-4,
      `${side.inertia} vs ${s.inertia}`,
    );
    assert.equal(readNpy(join(dir, "f.labels.npy")).shape[0], s.points);

    // Errors are one line naming the problem.
    const bad = run(["explain", "--model", model, "--tlc", join(dir, "missing.json"), rec]);
    assert.equal(bad.code, 1);
    assert.equal(bad.err.trim().split("\n").length, 1);
    assert.match(bad.err, /missing\.json: explainer file not found/);
    const usage = run(["fit", "--model", model]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--data is required/);
    const tooMany = run(
      ["fit", "--model", model, "--data", data, "--out", unnamedPath].concat([
        "--name-ecgs",
        "301",
      ]),
    );
    assert.equal(tooMany.code, 2);
    assert.match(tooMany.err, /--name-ecgs/);
    const streamed = run(
      ["fit", "--model", model, "--data", data, "--out", unnamedPath].concat([
        "--streaming",
        "--variance",
        "refit",
      ]),
    );
    assert.equal(streamed.code, 2);
    assert.match(streamed.err, /--variance refit needs the vectors in memory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
