import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../data.js";

function serve(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "dist/src/cli/main.js"), "serve", ...args], {
    encoding: "utf8",
    timeout: 20_000,
  });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

test("serve: usage errors are one line and exit 2", () => {
  for (const [args, re] of [
    [[], /^ecg-tlc: serve: --model MODEL is required$/],
    [["--model", "m"], /^ecg-tlc: serve: --tlc TLC\.json is required$/],
    [
      ["--model", "m", "--tlc", "t", "--port", "http"],
      /^ecg-tlc: --port: expected an integer in \[0, 65535\], got 'http'$/,
    ],
    [
      ["--model", "m", "--tlc", "t", "--rate", "250"],
      /^ecg-tlc: --rate: expected 100 or 500, got '250'$/,
    ],
    [["--model", "m", "--bogus"], /^ecg-tlc: serve: Unknown option '--bogus'/],
  ] as [string[], RegExp][]) {
    const r = serve(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

test("serve: a missing model folder is named, exit 1", () => {
  const r = serve("--model", "/nonexistent/model", "--tlc", "t.json");
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "ecg-tlc: /nonexistent/model: model folder not found");
});

test("serve --help documents the API", () => {
  const r = serve("--help");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /POST \/api\/explain/);
  assert.match(r.stdout, /default 127\.0\.0\.1/);
});
