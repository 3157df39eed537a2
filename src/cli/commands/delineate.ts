import { readRecord } from "../../io/index.js";
import { delineate } from "../../signal/delineate/index.js";
import { UsageError } from "../../errors.js";
import { parseCommandArgs, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc delineate RECORD... [--json] [--consensus]

P, QRS and T onset, peak and offset of every lead (wavelet method of Martinez et al. 2004 with a
multi-lead consensus per beat). RECORD is a WFDB record path without extension.

  --json       one JSON line per record: {record, fs, waves: [{lead, type, onset, peak, offset}], reason?}
               (samples of the record)
  --consensus  one wave per beat (lead "all") instead of one per lead
`;

const command: Command = {
  name: "delineate",
  summary: "P, QRS and T onsets, peaks and offsets of ECG records",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("delineate", argv, {
      json: { type: "boolean" },
      consensus: { type: "boolean" },
    });
    if (!positionals.length)
      throw new UsageError("delineate: no RECORD given (see 'ecg-tlc delineate --help')");
    for (const path of positionals) {
      const record = readRecord(path);
      const { waves, reason } = delineate(record, { consensusOnly: values.consensus });
      if (values.json) {
        await writeJsonLine({
          record: record.name,
          fs: record.fs,
          waves,
          ...(reason ? { reason } : {}),
        });
      } else {
        const count = (t: string) => waves.filter((w) => w.type === t).length;
        const note = reason ? ` (${reason})` : "";
        process.stdout.write(
          `${record.name}: ${count("P")} P, ${count("QRS")} QRS, ${count("T")} T waves over ${record.leads.length} leads${note}\n`,
        );
      }
    }
    return 0;
  },
};

export default command;
