import assert from "node:assert/strict";
import { test } from "node:test";
import { explanationJson } from "../../src/scale/explain.js";

test("explanationJson: JSON.stringify's text, runs of equal numbers formatted once", () => {
  const entropy = [0.1, 0.1, 0.1, 1 / 3, 1 / 3, 0, -0, 0, NaN, NaN, Infinity, 2e-300, 2e-300];
  const e = {
    record: 'a "quoted" name\\u2028',
    fs: 400,
    samples: entropy.length,
    outputs: { AF: 0.25, "1dAVb": -1e-7 },
    labels: ["AF"],
    clusters: [0, 0, 0, 5, 5, 5, 1, 1, 1, 2, 2, 2, 2],
    entropy,
    segments: [{ start: 0, end: 3, cluster: 0, entropy: 0.1 }],
    proportions: [0.5, 0.5],
    empty: [],
    skipped: undefined,
    mixed: [1, "1", null, 2],
    meanEntropy: 0.123456789012345,
    blocks: { B1: { clusters: [3, 3], entropy: [0.2, 0.2], proportions: [1] } },
    clusterWaves: ["P", "QRS", null],
  };
  assert.equal(explanationJson(e), JSON.stringify(e));
  assert.equal(explanationJson([]), "[]");
});
