import { UsageError } from "../../errors.js";
import { writeCode15Dataset } from "../../signal/synth-code15.js";
import { writeSyntheticDataset } from "../../signal/synth-dataset.js";
import { parseCommandArgs, parseNumber, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc synth --out DIR --n N --seed S [--layout ptbxl|code15] [--fs HZ] [--seconds S] [--no-noise]

Writes N synthetic 12-lead ECGs (mV, WFDB format 16) as a PTB-XL folder that 'ecg-tlc dataset'
and the training commands read: ptbxl_database.csv (scp_codes, strat_fold 1-10, age, sex),
scp_statements.csv, records{HZ}/NNNNN/NNNNN_lr (_hr at 500 Hz) and per-lead LUDB-style wave
annotations beside each record (.i, .ii, ..., .v6: '(' onset, p/N/t peak, ')' offset).
Classes are the PTB-XL super-classes NORM, MI, STTC, CD, HYP; the same seed gives the same bytes.
With --layout code15: CODE-15%'s layout instead (exams.csv, exams_partK.hdf5 with 'tracings'
N x 4096 x 12 float32 at 400 Hz and 'exam_id'), labels 1dAVb, RBBB, LBBB, SB, ST, AF carried by
the morphology, ages by voltages and intervals; written a batch at a time (memory stays flat).
Options:
  --layout L     ptbxl (default) or code15         --per-file N exams per HDF5 file (code15, 20000)
  --out DIR      output folder (created)          --n N        number of records (>= 1)
  --seed S       integer seed (default 1)          --fs HZ      sampling rate (default 100)
  --seconds S    record duration (default 10)      --no-noise   no baseline wander or noise
Prints a JSON summary: records, fs, records per class and per fold.`;

const command: Command = {
  name: "synth",
  summary: "write synthetic 12-lead ECGs with exact P/QRS/T ground truth (PTB-XL layout)",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("synth", argv, {
      out: { type: "string" },
      n: { type: "string" },
      seed: { type: "string" },
      fs: { type: "string" },
      seconds: { type: "string" },
      "no-noise": { type: "boolean" },
      layout: { type: "string" },
      "per-file": { type: "string" },
    });
    if (positionals.length > 0)
      throw new UsageError(`synth: unexpected argument '${positionals[0]}'`);
    if (!values.out)
      throw new UsageError("synth: --out DIR is required (see 'ecg-tlc synth --help')");
    if (values.n === undefined) throw new UsageError("synth: --n N is required");
    const layout = values.layout ?? "ptbxl";
    if (layout !== "ptbxl" && layout !== "code15")
      throw new UsageError(`--layout: expected ptbxl or code15, got '${layout}'`);
    if (layout === "code15") {
      if (values.fs !== undefined || values.seconds !== undefined)
        throw new UsageError(
          "synth: --fs and --seconds are fixed by --layout code15 (400 Hz, 10 s)",
        );
      const n = parseNumber(values.n, "--n", 0, { integer: true, min: 1, max: 1e8 });
      let shown = -1;
      const summary = await writeCode15Dataset(values.out, {
        n,
        seed: parseNumber(values.seed, "--seed", 1, { integer: true, min: 0, max: 2 ** 32 - 1 }),
        perFile: parseNumber(values["per-file"], "--per-file", 20_000, { integer: true, min: 1 }),
        noise: !values["no-noise"],
        onProgress: (done, total) => {
          const tenth = Math.floor((10 * done) / total);
          if (total >= 1000 && tenth !== shown) {
            shown = tenth;
            process.stderr.write(`synth: ${done}/${total} exams\n`);
          }
        },
      });
      await writeJsonLine(summary);
      return 0;
    }
    const summary = await writeSyntheticDataset(values.out, {
      n: parseNumber(values.n, "--n", 0, { integer: true, min: 1, max: 1e6 }),
      seed: parseNumber(values.seed, "--seed", 1, { integer: true, min: 0, max: 2 ** 32 - 1 }),
      fs: parseNumber(values.fs, "--fs", 100, { min: 50, max: 10000 }),
      seconds: parseNumber(values.seconds, "--seconds", 10, { min: 1, max: 3600 }),
      noise: !values["no-noise"],
    });
    await writeJsonLine(summary);
    return 0;
  },
};
export default command;
