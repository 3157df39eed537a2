import { UsageError } from "../../errors.js";
import { readRecord, recordCsvLines, recordSummary } from "../../io/index.js";
import { parseCommandArgs, parseNumber, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc read RECORD... [--json | --csv] [--sampfrom N] [--sampto N] [--channels A,B]

Reads WFDB records (RECORD is a path without extension, e.g. records100/00000/00001_lr) and prints
  --json  one JSON object per record per line: record, fs, samples, leads, units and per-lead
          stats {mean, std, min, max, nan} of the physical signal (the default)
  --csv   the physical samples: a header of lead names, then one row per sample
Options:
  --sampfrom N     first sample (default 0)      --sampto N   sample to stop at (exclusive)
  --channels A,B   signals by name or index, in this order
Checksum mismatches are reported in a "warnings" field (and on stderr with --csv).`;

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text))
    await new Promise<void>((r) => process.stdout.once("drain", () => r()));
}

const command: Command = {
  name: "read",
  summary: "read WFDB records: per-lead statistics as JSON, or the samples as CSV",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("read", argv, {
      json: { type: "boolean" },
      csv: { type: "boolean" },
      sampfrom: { type: "string" },
      sampto: { type: "string" },
      channels: { type: "string" },
    });
    if (positionals.length === 0)
      throw new UsageError("read: give at least one RECORD (see 'ecg-tlc read --help')");
    if (values.json && values.csv)
      throw new UsageError("read: --json and --csv exclude each other");
    const sampfrom = parseNumber(values.sampfrom, "--sampfrom", 0, { integer: true, min: 0 });
    const sampto =
      values.sampto === undefined
        ? undefined
        : parseNumber(values.sampto, "--sampto", 0, { integer: true, min: 0 });
    const channels = values.channels
      ?.split(",")
      .map((c) => (/^\d+$/.test(c.trim()) ? Number(c) : c.trim()));
    for (const path of positionals) {
      const record = readRecord(path, { sampfrom, sampto, channels });
      if (values.csv) {
        for (const w of record.warnings) process.stderr.write(`ecg-tlc: warning: ${w}\n`);
        for (const chunk of recordCsvLines(record)) await write(chunk);
      } else await writeJsonLine(recordSummary(record, path));
    }
    return 0;
  },
};
export default command;
