import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError, UsageError } from "../../errors.js";
import { validateDelineation, WAVE_TYPES } from "../../eval/delineation-score.js";
import { parseCommandArgs, parseNumber, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc validate-delineation (RECORD... | --data DIR) [--tolerance MS] [--json] [--per-record]

Delineates records that carry per-lead wave annotations (LUDB layout: NAME.i, NAME.ii, ... NAME.v6)
and scores the result per wave type: sensitivity, PPV and F1 of peaks matched within the tolerance,
mean and SD of onset/peak/offset errors in ms, counted only inside each lead's annotated span.

  --data DIR        every record of DIR (its RECORDS file, else the .hea files in DIR or DIR/data)
  --tolerance MS    peak matching tolerance (default 150)
  --json            one JSON line with the scores
  --per-record      also one JSON line per record (with --json)
`;

/** Record paths of a folder: its RECORDS list, else the .hea files of DIR or DIR/data. */
export function listRecords(dir: string): string[] {
  if (!existsSync(dir)) throw new NotFoundError(`--data ${dir}: folder not found`);
  const list = join(dir, "RECORDS");
  if (existsSync(list)) {
    return readFileSync(list, "utf8")
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l)
      .map((l) => join(dir, l));
  }
  for (const d of [dir, join(dir, "data")]) {
    if (!existsSync(d)) continue;
    const heas = readdirSync(d)
      .filter((f) => f.endsWith(".hea"))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    if (heas.length) return heas.map((f) => join(d, f.slice(0, -4)));
  }
  throw new NotFoundError(`--data ${dir}: no RECORDS file and no .hea record in it`);
}

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "-");

const command: Command = {
  name: "validate-delineation",
  summary: "score the delineator against expert wave annotations (LUDB)",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("validate-delineation", argv, {
      data: { type: "string" },
      tolerance: { type: "string" },
      json: { type: "boolean" },
      "per-record": { type: "boolean" },
    });
    const toleranceMs = parseNumber(values.tolerance, "--tolerance", 150, { min: 1 });
    const paths = [...positionals, ...(values.data ? listRecords(values.data) : [])];
    if (!paths.length) {
      throw new UsageError("validate-delineation: give RECORD paths or --data DIR (see --help)");
    }
    const v = validateDelineation(paths, { toleranceMs });
    if (values.json) {
      if (values["per-record"]) for (const r of v.perRecord) await writeJsonLine(r);
      const { perRecord: _, ...summary } = v;
      await writeJsonLine({ toleranceMs, ...summary });
      return 0;
    }
    const lines = [
      `${v.records} records, ${v.leads} annotated leads, ${fmt(v.msPerRecord, 1)} ms per record`,
      "wave  sens   ppv    F1     onset ms (mean±sd)  peak ms       offset ms",
    ];
    for (const t of WAVE_TYPES) {
      const s = v.scores[t];
      const e = (x: { mean: number; sd: number }) => `${fmt(x.mean, 1)}±${fmt(x.sd, 1)}`.padEnd(14);
      lines.push(
        `${t.padEnd(5)} ${fmt(s.sensitivity)}  ${fmt(s.ppv)}  ${fmt(s.f1)}  ${e(s.onset).padEnd(19)} ${e(s.peak)}${e(s.offset)}`,
      );
    }
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  },
};

export default command;
