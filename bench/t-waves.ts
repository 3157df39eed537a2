/**
 * Which records' T peaks leave the T cluster, and what their T waves look like (docs/EVIDENCE.md,
 * "How far the alignment targets carry"). From the JSON of `ecg-tlc align --json` over LUDB records
 * (perRecord[].landmarks) and the records themselves: the T cluster is the one holding most T peaks;
 * a record is "in" when more than half its T peaks fall there. Per group: median lead II amplitude
 * at the T and R peaks (from the record's median), records with a negative median T, and how many
 * carry LUDB's ischemia label (ludb.csv).
 *
 * usage: node dist/bench/t-waves.js ALIGN.json [LUDB_DIR]   (default ../shared/data/ludb; skips
 * with a message without ALIGN.json)
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readLudbWaves } from "../src/io/annotations.js";
import { readCsvObjects } from "../src/io/csv.js";
import { readRecord } from "../src/io/index.js";
import type { AlignReport } from "../src/eval/landmarks.js";

const [alignPath, ludbArg] = process.argv.slice(2);
const ludb = ludbArg ?? resolve("..", "shared", "data", "ludb");

const median = (a: number[]) => {
  const s = a.filter(Number.isFinite).sort((p, q) => p - q);
  return s.length ? s[s.length >> 1] : NaN;
};

function main(): void {
  if (!alignPath || !existsSync(alignPath)) {
    console.log("t-waves: skipped (pass the JSON of 'ecg-tlc align --json' over LUDB records)");
    return;
  }
  const report = JSON.parse(readFileSync(alignPath, "utf8")) as AlignReport;
  const tCluster = report.landmarks.cluster.T;
  const ischemic = new Set(
    readCsvObjects(join(ludb, "ludb.csv"))
      .rows.filter((r) => (r.Ischemia ?? "").trim() !== "")
      .map((r) => r.ID.trim()),
  );
  const groups = { in: [] as Row[], out: [] as Row[] };
  type Row = { tAmp: number; rAmp: number; ischemic: boolean };
  for (const r of report.perRecord) {
    const tPeaks = r.landmarks.reduce((s, row) => s + row[2], 0);
    if (tPeaks === 0) continue;
    const path = join(ludb, "data", r.record);
    const rec = readRecord(path);
    const li = rec.leads.findIndex((l) => l.toLowerCase() === "ii");
    const x = rec.signal.subarray(li * rec.samples, (li + 1) * rec.samples);
    const base = median(Array.from(x));
    const { waves } = readLudbWaves(path, "II");
    const at = (type: string) =>
      median(waves.filter((w) => w.type === type).map((w) => x[w.peak] - base));
    const row = { tAmp: at("T"), rAmp: at("QRS"), ischemic: ischemic.has(r.record) };
    (r.landmarks[tCluster][2] / tPeaks > 0.5 ? groups.in : groups.out).push(row);
  }
  const summary = (g: Row[]) => ({
    records: g.length,
    medianTmV: median(g.map((r) => r.tAmp)),
    medianRmV: median(g.map((r) => r.rAmp)),
    negativeT: g.filter((r) => r.tAmp < 0).length,
    ischemia: g.filter((r) => r.ischemic).length,
  });
  console.log(JSON.stringify({ tCluster, in: summary(groups.in), out: summary(groups.out) }));
}

main();
