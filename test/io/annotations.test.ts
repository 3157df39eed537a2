import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  annotation,
  readAnnotations,
  readLudbWaves,
  writeAnnotations,
} from "../../src/io/index.js";
import type { Annotation } from "../../src/types.js";
import { sharedData } from "../data.js";

test("MIT-BIH 100.atr: 2273 beats (2239 N, 33 A, 1 V) and one rhythm annotation", () => {
  const anns = readAnnotations(join(sharedData("wfdb-samples"), "100"), "atr");
  const count: Record<string, number> = {};
  for (const a of anns) count[a.symbol] = (count[a.symbol] ?? 0) + 1;
  assert.deepEqual(count, { "+": 1, N: 2239, A: 33, V: 1 });
  assert.deepEqual(
    anns.slice(0, 3).map((a) => [a.sample, a.symbol, a.aux]),
    [
      [18, "+", "(N"],
      [77, "N", ""],
      [370, "N", ""],
    ],
  );
  assert.ok(anns.every((a, i) => i === 0 || a.sample >= anns[i - 1].sample));
});

test("NUM, CHN and AUX fields and SKIP intervals decode", () => {
  const dir = sharedData("wfdb-samples");
  const q = readAnnotations(join(dir, "12726"), "wqrs");
  // CHN is sticky: set once on the first annotation, it carries over to the next ones.
  assert.deepEqual(
    q.slice(0, 3).map((a) => a.chan),
    [1, 1, 1],
  );
  assert.equal(q[0].aux, "QRSw=60.0ms");
  const g = readAnnotations(join(dir, "03700181"), "gqrsh");
  assert.equal(g[1].num, 10);
  const huge = readAnnotations(join(dir, "huge"), "qrs");
  assert.deepEqual(
    huge.map((a) => a.sample),
    [10_000_000_000],
  );
});

test("LUDB: onset/peak/offset triples per lead, cardiologists' counts", () => {
  const rec = join(sharedData("ludb", "data"), "1");
  const anns = readAnnotations(rec, "i");
  assert.equal(anns.length, 48);
  const { waves, span } = readLudbWaves(rec, "I");
  assert.equal(waves.length, 16);
  assert.deepEqual(span, [641, 3996]);
  assert.deepEqual(waves[0], { lead: "I", type: "QRS", onset: 641, peak: 664, offset: 690 });
  assert.ok(waves.every((w) => w.onset <= w.peak && w.peak <= w.offset));
  assert.deepEqual(readLudbWaves(rec, "avr").waves.length, readLudbWaves(rec, "AVR").waves.length);
});

test("LUDB quirks: an onset mark one sample after its peak, peaks cut by the record edge", () => {
  // Record 7, lead V1 starts "N968 )996" (no onset: not a wave) and has "N1765 (1766 )1796".
  const { waves } = readLudbWaves(join(sharedData("ludb", "data"), "7"), "V1");
  assert.ok(waves.every((w) => w.peak !== 968));
  const q = waves.find((w) => w.peak === 1765);
  assert.deepEqual(q, { lead: "V1", type: "QRS", onset: 1765, peak: 1765, offset: 1796 });
});

test("writeAnnotations round-trips every field, including long intervals", () => {
  const dir = mkdtempSync(join(tmpdir(), "ann-"));
  const anns: Annotation[] = [
    annotation(0, "+", { aux: "(N" }),
    annotation(5, "(", { chan: 3 }),
    annotation(20, "N", { chan: 3, num: -5, subtype: 2 }),
    annotation(40, ")", { chan: 3, num: -5 }),
    annotation(100_000, "V", { chan: 0, num: 7, aux: "odd" }),
    annotation(3_000_000_000, "t", { chan: 0, num: 7 }),
  ];
  writeAnnotations(join(dir, "r"), "test", anns);
  assert.deepEqual(readAnnotations(join(dir, "r"), "test"), anns);
});
