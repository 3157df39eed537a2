import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, sharedData } from "../data.js";

const MAIN = join(ROOT, "dist", "src", "cli", "main.js");
function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("read --json: fs, samples, leads and stats equal to a direct decoding of the .dat bytes", () => {
  const rec = join(sharedData("ptbxl", "records100", "00000"), "00024_lr");
  const { code, out } = cli("read", rec, "--json");
  assert.equal(code, 0);
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1);
  const j = JSON.parse(lines[0]);
  assert.equal(j.record, rec);
  assert.equal(j.fs, 100);
  assert.equal(j.samples, 1000);
  assert.deepEqual(j.leads, [
    "I",
    "II",
    "III",
    "AVR",
    "AVL",
    "AVF",
    "V1",
    "V2",
    "V3",
    "V4",
    "V5",
    "V6",
  ]);
  // Format 16, 12 interleaved signals, gain 2000, baseline 0 (the header says so).
  const dat = readFileSync(`${rec}.dat`);
  for (const [l, lead] of j.leads.entries()) {
    const x: number[] = [];
    for (let i = 0; i < 1000; i++) x.push(dat.readInt16LE(2 * (i * 12 + l)) / 2000);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    const s = j.stats[lead];
    assert.ok(Math.abs(s.mean - mean) < 1e-6 && Math.abs(s.std - std) < 1e-6, lead);
    assert.ok(
      Math.abs(s.min - Math.min(...x)) < 1e-6 && Math.abs(s.max - Math.max(...x)) < 1e-6,
      lead,
    );
  }
  const two = cli("read", rec, join(sharedData("wfdb-samples"), "100"), "--json", "--sampto", "10");
  assert.deepEqual(
    two.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).samples),
    [10, 10],
  );
});

test("read --csv prints a header of leads and the physical samples", () => {
  const { code, out } = cli(
    "read",
    join(sharedData("wfdb-samples"), "100"),
    "--csv",
    "--sampto",
    "4",
  );
  assert.equal(code, 0);
  assert.deepEqual(out.trim().split("\n"), [
    "MLII,V5",
    "-0.145,-0.065",
    "-0.145,-0.065",
    "-0.145,-0.065",
    "-0.145,-0.065",
  ]);
});

test("annotations --json and dataset --json", () => {
  const a = cli("annotations", join(sharedData("wfdb-samples"), "100"), "--ext", "atr", "--json");
  assert.equal(a.code, 0, a.err);
  const j = JSON.parse(a.out);
  assert.equal(j.count, 2274);
  assert.deepEqual([j.annotations[1].sample, j.annotations[1].symbol], [77, "N"]);
  const d = cli("dataset", sharedData("cinc2021"), "--json");
  assert.equal(d.code, 0, d.err);
  const s = JSON.parse(d.out);
  assert.equal(s.kind, "cinc2021");
  assert.equal(s.records, 50);
  assert.equal(s.classes["426783006"] > 0, true); // sinus rhythm, SNOMED 426783006
});

test("bad input: one line on stderr naming the file, non-zero exit, no stack", () => {
  const dir = mkdtempSync(join(tmpdir(), "cli-bad-"));
  writeFileSync(join(dir, "t.hea"), "t 1 500 1000\nt.dat 16 200 16 0 0 0 0 I\n");
  writeFileSync(join(dir, "t.dat"), Buffer.alloc(100));
  for (const args of [
    ["read", join(dir, "t"), "--json"],
    ["read", join(dir, "missing")],
    ["annotations", join(dir, "t"), "--ext", "atr"],
    ["dataset", join(dir, "nothing-here")],
    ["read", join(dir, "t.dat")],
  ]) {
    const r = cli(...args);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
    assert.match(r.err, /^ecg-tlc: .*(t\.dat|missing|t\.atr|nothing-here)/);
    assert.doesNotMatch(r.err, /\bat .*\.js:\d+/);
  }
});
