import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ROOT } from "../data.js";

const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "ecg-tlc-synth-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });

test("ecg-tlc synth writes a dataset and prints its summary", () => {
  const out = join(tmp, "d");
  const r = run("synth", "--out", out, "--n", "10", "--seed", "4", "--fs", "250", "--seconds", "3");
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { records: number; fs: number; folds: object };
  assert.deepEqual([summary.records, summary.fs], [10, 250]);
  assert.equal(Object.keys(summary.folds).length, 10);
  const hea = readFileSync(join(out, "records250", "00000", "00010_lr.hea"), "utf8");
  assert.match(hea.split("\n")[0], /^00010_lr 12 250 750$/);
});

test("bad usage is one line naming the option, exit 2", () => {
  for (const [args, message] of [
    [["synth", "--n", "5"], /^ecg-tlc: synth: --out DIR is required/],
    [["synth", "--out", join(tmp, "x"), "--n", "0"], /^ecg-tlc: --n: expected an integer in \[1, /],
    [
      ["synth", "--out", join(tmp, "x"), "--n", "3", "--fs", "abc"],
      /^ecg-tlc: --fs: expected a number/,
    ],
    [["synth", "--out", join(tmp, "x"), "--n", "3", "--bogus"], /^ecg-tlc: synth: Unknown option/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});
