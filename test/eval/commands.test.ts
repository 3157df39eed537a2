import { test } from "node:test";
import assert from "node:assert/strict";
import evaluate from "../../src/cli/commands/evaluate.js";
import align from "../../src/cli/commands/align.js";
import { NotFoundError, UsageError } from "../../src/errors.js";

test("evaluate: missing or bad options are one-line usage errors naming the option", async () => {
  await assert.rejects(evaluate.run(["--tlc", "t.json", "--data", "d"]), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /--model MODEL is required/);
    return true;
  });
  await assert.rejects(
    evaluate.run(["--model", "m", "--tlc", "t", "--data", "d", "--by-k", "1-4"]),
    /--by-k: K must be at least 2/,
  );
  await assert.rejects(
    evaluate.run(["--model", "m", "--tlc", "t", "--data", "d", "--trees", "0"]),
    /--trees: expected an integer in \[1, inf\], got '0'/,
  );
  await assert.rejects(
    evaluate.run(["--model", "m", "--tlc", "t", "--data", "d", "--by-k-points", "0"]),
    /--by-k-points: expected an integer in \[1, inf\], got '0'/,
  );
  await assert.rejects(evaluate.run(["--bogus"]), UsageError);
});

test("align: records are required; a missing model folder is named", async () => {
  await assert.rejects(align.run(["--model", "m", "--tlc", "t"]), /give at least one RECORD/);
  await assert.rejects(
    align.run(["--model", "/nonexistent/model", "--tlc", "t.json", "rec"]),
    (e: Error) => e instanceof NotFoundError && /\/nonexistent\/model/.test(e.message),
  );
});
