/**
 * Read throughput: every record of the shared PTB-XL subset (format 16, 12 leads, 100 Hz, 10 s),
 * whole, in records per second; the same with numpy (bench/reference/read_numpy.py, the core of
 * wfdb-python's format-16 path; wfdb-python itself is not installed here) and the ratio; then
 * MIT-BIH record 100 (format 212, 2 x 650,000 samples) in samples per second and the dataset listing
 * (openDataset on ptbxl_database.csv, 21,837 rows). Skips what lacks its data or python3 with numpy.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pythonWith, referenceScript } from "./reference.js";
import { openDataset } from "../src/io/datasets/index.js";
import { readRecord } from "../src/io/record.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DATA = process.env.ECG_TLC_DATA ?? resolve(ROOT, "..", "shared", "data");
const REPEATS = 5;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeIt(repeats: number, fn: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

const records100 = join(DATA, "ptbxl", "records100");
if (!existsSync(records100)) {
  console.log(`read_ptbxl: skipped (no PTB-XL records at ${records100})`);
} else {
  const paths: string[] = [];
  for (const sub of readdirSync(records100).sort()) {
    for (const f of readdirSync(join(records100, sub)).sort()) {
      if (f.endsWith(".hea")) paths.push(join(records100, sub, f.slice(0, -4)));
    }
  }
  for (const p of paths.slice(0, 50)) readRecord(p); // warm-up (JIT, file cache)
  const ours = timeIt(REPEATS, () => {
    for (const p of paths) readRecord(p);
  });
  const rate = paths.length / ours;
  console.log(
    `read_ptbxl: ${rate.toFixed(0)} records/s (median of ${REPEATS}; ${paths.length} records, 12 x 1000 samples, format 16)`,
  );
  const script = referenceScript("read_numpy.py");
  const python = pythonWith("numpy");
  if (!existsSync(script) || python === null) {
    console.log("read_ptbxl reference: skipped (needs python3 with numpy)");
  } else {
    const r = spawnSync(python, [script, records100, String(REPEATS)], { encoding: "utf8" });
    const [n, secs] = r.stdout.trim().split(/\s+/).map(Number);
    if (r.status !== 0 || !(secs > 0))
      console.log(`read_ptbxl reference: failed (${r.stderr.trim().split("\n").pop()})`);
    else {
      const ref = n / secs;
      console.log(
        `read_ptbxl_numpy: ${ref.toFixed(0)} records/s (median of ${REPEATS}; numpy np.fromfile, same records)`,
      );
      console.log(`read_ptbxl_ratio: ${(rate / ref).toFixed(2)} x numpy (higher is faster)`);
    }
  }
}

const mit = join(DATA, "wfdb-samples", "100");
if (existsSync(`${mit}.hea`)) {
  readRecord(mit);
  const secs = timeIt(REPEATS, () => readRecord(mit));
  console.log(
    `read_mitbih100: ${((2 * 650000) / secs / 1e6).toFixed(1)} Msamples/s (median of ${REPEATS}; format 212)`,
  );
} else console.log("read_mitbih100: skipped (no wfdb-samples/100)");

const ptbxl = join(DATA, "ptbxl");
if (existsSync(join(ptbxl, "ptbxl_database.csv"))) {
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await openDataset(ptbxl);
    times.push((performance.now() - t0) / 1000);
  }
  console.log(
    `open_ptbxl: ${(median(times) * 1000).toFixed(0)} ms (median of 3; ptbxl_database.csv + scp_statements.csv + listing)`,
  );
}
