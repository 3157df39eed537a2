/**
 * Delineation speed over LUDB (12 leads, 500 Hz, 10 s per record): records per second of
 * delineate() (reading excluded), and the same on the PTB-XL subset (100 Hz, resampled inside).
 * There is no reference figure: NeuroKit2 (the usual Python baseline) cannot be installed here
 * (no PyPI access). Skips with a message when the shared data is missing.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { readRecord } from "../src/io/index.js";
import { delineate } from "../src/signal/delineate/index.js";
import type { EcgRecord } from "../src/types.js";
import { ROOT } from "../test/data.js";

const REPEATS = 5;
const data = process.env.ECG_TLC_DATA ?? resolve(ROOT, "..", "shared", "data");

function bench(name: string, records: EcgRecord[]): void {
  delineate(records[0]); // warm-up
  const rates: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (const rec of records) delineate(rec);
    const c = process.cpuUsage(c0);
    rates.push(records.length / ((performance.now() - t0) / 1000));
    cpu.push((c.user + c.system) / 1000 / records.length);
  }
  // CPU time as well: on a shared machine the wall clock also counts the other processes
  cpu.sort((a, b) => a - b);
  rates.sort((a, b) => a - b);
  const median = rates[REPEATS >> 1];
  console.log(`${name}: ${median.toFixed(1)} records/s (median of ${REPEATS})`);
  console.log(`${name}_ms: ${(1000 / median).toFixed(2)} ms/record (median of ${REPEATS})`);
  console.log(`${name}_cpu: ${cpu[REPEATS >> 1].toFixed(2)} ms/record CPU (median of ${REPEATS})`);
}

const ludb = join(data, "ludb");
if (!existsSync(join(ludb, "RECORDS"))) {
  console.log(`delineate: skipped, LUDB not found at ${ludb}`);
} else {
  const names = readFileSync(join(ludb, "RECORDS"), "utf8").trim().split(/\r?\n/);
  bench(
    "delineate_ludb_500hz",
    names.map((n) => readRecord(join(ludb, n))),
  );
}

const ptb = join(data, "ptbxl", "records100", "00000");
if (!existsSync(ptb)) {
  console.log(`delineate: PTB-XL part skipped, ${ptb} not found`);
} else {
  const heas = readdirSync(ptb)
    .filter((f) => f.endsWith(".hea"))
    .slice(0, 200);
  bench(
    "delineate_ptbxl_100hz",
    heas.map((f) => readRecord(join(ptb, f.slice(0, -4)))),
  );
}
console.log("delineate: no reference (NeuroKit2 is not installable here: no PyPI access)");
