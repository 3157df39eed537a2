import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readHeader, readRecord, writeRecord } from "../../src/io/index.js";
import type { EcgRecord } from "../../src/types.js";
import { sharedData } from "../data.js";

/** A deterministic 3-lead test signal in mV (odd length to exercise partial 212/310/311 groups). */
function testRecord(n = 1001): EcgRecord {
  const signal = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    signal[i] = Math.sin(i / 7) * 1.2;
    signal[n + i] = ((i * 37) % 101) / 50 - 1;
    signal[2 * n + i] = i % 250 < 3 ? 2 : -0.3;
  }
  signal[n + 17] = NaN;
  return {
    name: "rt",
    fs: 500,
    samples: n,
    leads: ["I", "aVR", "V1"],
    units: ["mV", "mV", "mV"],
    signal,
    comments: ["made by a test"],
  };
}

test("writeRecord then readRecord restores the quantized signal in every format", () => {
  const rec = testRecord();
  for (const fmt of ["16", "212", "8", "24", "32", "61", "80", "160", "310", "311"]) {
    const dir = mkdtempSync(join(tmpdir(), `wr-${fmt}-`));
    const path = writeRecord(dir, rec, { fmt });
    const back = readRecord(path);
    assert.deepEqual(back.warnings, [], fmt); // the checksums the writer put in the header verify
    assert.deepEqual(back.leads, rec.leads);
    assert.equal(back.samples, rec.samples);
    assert.deepEqual(back.comments, ["made by a test"]);
    const gain = readHeader(path).signals.map((s) => s.adcGain);
    const narrow = ["8", "80", "212", "310", "311"].includes(fmt);
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < rec.samples; i++) {
        const x = rec.signal[s * rec.samples + i];
        const y = back.signal[s * rec.samples + i];
        if (Number.isNaN(x)) {
          if (fmt !== "8") assert.ok(Number.isNaN(y), `${fmt} NaN`);
          continue;
        }
        // Within half a quantization step (format 8 can lag on steep slopes; 10-bit formats clip).
        if (fmt === "8" || (narrow && Math.abs(x) * gain[s] > 500)) continue;
        assert.ok(
          Math.abs(x - y) <= 0.5 / gain[s] + 1e-6,
          `${fmt} lead ${s} sample ${i}: ${x} vs ${y}`,
        );
      }
    }
  }
});

test("a written record is byte-identical to the original WFDB files it was read from", () => {
  const src = join(sharedData("wfdb-samples"), "test01_00s");
  const r = readRecord(src);
  const dir = mkdtempSync(join(tmpdir(), "wr-same-"));
  const out = writeRecord(dir, { ...r, name: "test01_00s" }, { gain: 100 });
  assert.deepEqual(readFileSync(`${out}.dat`), readFileSync(`${src}.dat`));
  const h = readHeader(out).signals.map((s) => [s.checksum, s.initValue]);
  assert.deepEqual(
    h,
    readHeader(src).signals.map((s) => [s.checksum, s.initValue]),
  );
});
