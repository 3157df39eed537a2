import { strict as assert } from "node:assert";
import { test } from "node:test";
import { ParameterError } from "../../src/errors.js";
import { entriesInFolds } from "../../src/io/index.js";

const entries = [
  { id: "a", fold: 1 },
  { id: "b", fold: 2 },
  { id: "c", fold: 9 },
  { id: "d", fold: 2 },
];

test("entriesInFolds keeps dataset order and every entry without a fold list", () => {
  assert.deepEqual(
    entriesInFolds(entries, [2, 9]).map((e) => e.id),
    ["b", "c", "d"],
  );
  assert.equal(entriesInFolds(entries, undefined), entries);
});

test("entriesInFolds names the parameter and the dataset when nothing is left", () => {
  assert.throws(
    () => entriesInFolds(entries, [5], "valFolds", "ptbxl"),
    (e: unknown) =>
      e instanceof ParameterError && e.message === "valFolds: no record of ptbxl is in fold(s) 5",
  );
  assert.throws(
    () => entriesInFolds([{ id: "x" } as { id: string; fold?: number }], [1], "folds", "ludb"),
    /^ParameterError: folds: ludb has no folds/,
  );
});
