/**
 * Preprocessing throughput on the 150 LUDB records (500 Hz, 12 leads, 10 s) with a PTB-XL model's
 * spec (100 Hz, 1,024 samples, 0.5-40 Hz 4th-order band-pass, z-score), against scipy on the same
 * records (bench/reference/preprocess_scipy.py) with the largest difference between the outputs;
 * then the synthetic generator's throughput. Skips what lacks its data or python3 with scipy.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pythonWith, referenceScript } from "./reference.js";
import { readRecord } from "../src/io/record.js";
import { preprocess, type Preprocessing } from "../src/signal/preprocess.js";
import { synthesizeOne } from "../src/signal/synth.js";
import type { EcgRecord } from "../src/types.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DATA = process.env.ECG_TLC_DATA ?? resolve(ROOT, "..", "shared", "data");
const REPEATS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const spec: Preprocessing = {
  fs: 100,
  length: 1024,
  leads: ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"],
  bandpass: { low: 0.5, high: 40, order: 4 },
  zscore: true,
};

const ludb = join(DATA, "ludb", "data");
if (!existsSync(ludb)) {
  console.log(`preprocess: skipped (no LUDB records at ${ludb})`);
} else {
  const names = readdirSync(ludb)
    .filter((f) => f.endsWith(".hea"))
    .map((f) => f.slice(0, -4))
    .sort((a, b) => Number(a) - Number(b));
  const records: EcgRecord[] = names.map((n) => readRecord(join(ludb, n)));
  const times: number[] = [];
  let out: Float32Array[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    out = records.map((rec) => preprocess(rec, spec).signal);
    times.push((performance.now() - t0) / 1000);
  }
  const ours = median(times);
  console.log(
    `preprocess_ludb: ${(records.length / ours).toFixed(1)} records/s (median of ${REPEATS}; ${records.length} records 500 Hz -> 100 Hz, band-pass, z-score, pad 1024)`,
  );
  const script = referenceScript("preprocess_scipy.py");
  const python = pythonWith("scipy");
  if (!existsSync(script) || python === null) {
    console.log("preprocess reference: skipped (needs python3 with scipy)");
  } else {
    const tmp = mkdtempSync(join(tmpdir(), "ecg-tlc-bench-"));
    const file = join(tmp, "scipy.f32");
    const r = spawnSync(python, [script, ludb, file, String(REPEATS)], { encoding: "utf8" });
    if (r.status !== 0) {
      console.log(
        `preprocess reference: skipped (scipy script failed: ${r.stderr.trim().split("\n").pop()})`,
      );
    } else {
      const ref = JSON.parse(r.stdout) as { records: number; seconds: number };
      const buf = readFileSync(file);
      const theirs = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
      let maxDiff = 0;
      out.forEach((sig, k) => {
        for (let i = 0; i < sig.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(sig[i] - theirs[k * sig.length + i]));
        }
      });
      const refRate = ref.records / ref.seconds;
      console.log(
        `preprocess_ludb scipy: ${refRate.toFixed(1)} records/s (median of ${REPEATS}); ratio ours/scipy ${(records.length / ours / refRate).toFixed(2)}`,
      );
      console.log(
        `preprocess_ludb max_abs_diff_vs_scipy: ${maxDiff.toExponential(2)} (z-score units)`,
      );
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

for (const fs of [100, 500]) {
  const n = fs === 100 ? 100 : 40;
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) synthesizeOne(r, i, { fs });
    times.push((performance.now() - t0) / 1000);
  }
  console.log(
    `synth_${fs}hz: ${(n / median(times)).toFixed(1)} records/s (median of 3; ${n} records of 10 s, 12 leads, with ground truth)`,
  );
}
