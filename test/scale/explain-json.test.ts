import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { nativeAddonPath } from "../../src/native.js";
import { explanationJson } from "../../src/scale/explain.js";
import { jsonKernels, JsonLineWriter } from "../../src/scale/json-writer.js";
import { Random } from "../../src/signal/random.js";

const entropy = [0.1, 0.1, 0.1, 1 / 3, 1 / 3, 0, -0, 0, NaN, NaN, Infinity, 2e-300, 2e-300];
const example = {
  record: 'a "quoted" name\\u2028 é \u2028 😀',
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

test("explanationJson: JSON.stringify's text, runs of equal numbers formatted once", () => {
  assert.equal(explanationJson(example), JSON.stringify(example));
  assert.equal(explanationJson([]), "[]");
});

test("the native JSON number formatting loads whenever the addon is built", () => {
  assert.equal(jsonKernels() !== null, existsSync(nativeAddonPath()));
});

test("JsonLineWriter: JSON.stringify's bytes and a newline, natively and without the addon", () => {
  const rng = new Random(5);
  // Long arrays past the first buffer (1 MiB), numbers of every magnitude and sign.
  const long = Array.from({ length: 300_000 }, (_, i) =>
    i % 7 === 0 ? rng.next() : (rng.normal() * 10 ** Math.floor(rng.next() * 40 - 20)) / 3,
  );
  for (const native of [jsonKernels(), null]) {
    const w = new JsonLineWriter(native);
    for (const v of [example, { a: long, b: [long.slice(0, 5)] }, [], [1.5, 2], { x: {} }]) {
      const line = w.line(v);
      assert.equal(Buffer.from(line).toString("utf8"), JSON.stringify(v) + "\n");
    }
  }
});

test("native number text: Number.prototype.toString's for doubles of every kind", (t) => {
  const k = jsonKernels();
  if (!k) return t.skip("native addon not built");
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const rng = new Random(9);
  const values = [0, -0, 1, -1, 1e21, 1e-7, 1e-6, 1.5e-6, 1e20, 2 ** 53, 2 ** 53 + 2, -(2 ** 60)];
  values.push(5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity, 123456789012345680000, 4.35);
  for (let i = 0; i < 100_000; i++) {
    // Random bit patterns (every exponent), then values in [0, 1) as entropies are.
    u32[0] = Math.floor(rng.next() * 2 ** 32);
    u32[1] = Math.floor(rng.next() * 2 ** 32);
    values.push(f64[0], rng.next(), rng.next() ** 9, Math.round(rng.next() * 1e6) / 1e6);
  }
  for (const v of values)
    assert.equal(k.tlcNumberText(v), Number.isFinite(v) ? String(v) : "null", `${v}`);
});
