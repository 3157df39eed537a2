import { strict as assert } from "node:assert";
import { test } from "node:test";
import { parseFolds, parseNumber } from "../../src/cli/command.js";
import train from "../../src/cli/commands/train.js";
import report from "../../src/cli/commands/report.js";
import { gradcamSummary } from "../../src/cli/commands/gradcam.js";
import { UsageError } from "../../src/errors.js";

test("parseFolds reads ranges and lists", () => {
  assert.deepEqual(parseFolds("1-8"), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(parseFolds("9"), [9]);
  assert.deepEqual(parseFolds("3,1,5-6,1"), [1, 3, 5, 6]);
  assert.throws(() => parseFolds("8-1"), UsageError);
  assert.throws(() => parseFolds("a"), /--folds: expected folds/);
});

test("parseNumber validates and names the option", () => {
  assert.equal(parseNumber(undefined, "--k", 8), 8);
  assert.equal(parseNumber("12", "--k", 8, { integer: true, min: 2 }), 12);
  assert.throws(() => parseNumber("1.5", "--k", 8, { integer: true }), /--k: expected an integer/);
  assert.throws(
    () => parseNumber("1", "--k", 8, { min: 2 }),
    /--k: expected a number in \[2, inf\]/,
  );
});

test("train: the augmentation options are validated before any data is read", async () => {
  const base = ["--data", "/nonexistent/data", "--out", "/nonexistent/out"];
  await assert.rejects(
    train.run([...base, "--shift=-1"]),
    /--shift: expected a number in \[0, inf\], got '-1'/,
  );
  await assert.rejects(
    train.run([...base, "--scale", "1"]),
    /--scale: expected a number in \[0, 0\.95\]/,
  );
  await assert.rejects(train.run([...base, "--noise", "x"]), /--noise/);
});

test("report: --by-k takes K (at least 2) or explainer files", async () => {
  const base = ["--model", "/nonexistent/m", "--tlc", "t.json", "--data", "d", "--out", "o.html"];
  await assert.rejects(report.run([...base, "--by-k", "1-4"]), /--by-k: K must be at least 2/);
  // Files are not parsed as K: the missing model is what fails.
  await assert.rejects(report.run([...base, "--by-k", "a.json,b.json"]), /\/nonexistent\/m/);
});

test("gradcam: the one-line summary gives the peak, or says the map is zero at every step", () => {
  const rec = { name: "00103_lr", fs: 100 };
  const samples = new Float32Array(1000);
  samples[250] = 0.4;
  const r = { tap: "B4", target: "CD", steps: new Float32Array(64), samples };
  assert.equal(
    gradcamSummary(rec, r),
    "00103_lr: Grad-CAM of CD at B4, 64 steps; peak at sample 250 (2.50 s)",
  );
  assert.equal(
    gradcamSummary(rec, { ...r, tap: "B2", samples: new Float32Array(1000) }),
    "00103_lr: Grad-CAM of CD at B2, 64 steps; zero at every step (nothing at B2 raises CD's score; try another --tap)",
  );
});
