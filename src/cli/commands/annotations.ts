import { UsageError } from "../../errors.js";
import { readAnnotations, readHeader, readLudbWaves } from "../../io/index.js";
import { parseCommandArgs, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc annotations RECORD --ext EXT [--json] [--waves LEAD]

Reads the WFDB annotation file RECORD.EXT (MIT format) and prints one JSON object:
  {record, extension, fs, count, annotations: [{sample, time, symbol, code, subtype, chan, num, aux}]}
time is in seconds when the record's header is there (null otherwise).
  --waves LEAD   LUDB: also pair the (onset, peak, offset) marks of LEAD's file into P/QRS/T waves`;

const command: Command = {
  name: "annotations",
  summary: "print a record's WFDB annotations (and LUDB waves) as JSON",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("annotations", argv, {
      ext: { type: "string" },
      json: { type: "boolean" },
      waves: { type: "string" },
    });
    if (positionals.length !== 1)
      throw new UsageError(
        "annotations: give exactly one RECORD (see 'ecg-tlc annotations --help')",
      );
    const record = positionals[0];
    const ext = values.ext ?? (values.waves !== undefined ? values.waves.toLowerCase() : undefined);
    if (!ext) throw new UsageError("annotations: --ext is required (e.g. --ext atr)");
    let fs: number | null = null;
    try {
      fs = readHeader(record).fs;
    } catch {
      fs = null; // annotations can be read without their record's header
    }
    const anns = readAnnotations(record, ext);
    await writeJsonLine({
      record,
      extension: ext,
      fs,
      count: anns.length,
      annotations: anns.map((a) => ({ ...a, time: fs ? a.sample / fs : null })),
      ...(values.waves !== undefined ? readLudbWaves(record, values.waves) : {}),
    });
    return 0;
  },
};
export default command;
