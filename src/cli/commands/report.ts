import { UsageError } from "../../errors.js";
import { writeReport } from "../../report/write.js";
import {
  parseCommandArgs,
  parseFolds,
  optionalNumber,
  parseKs,
  parseNumber,
  writeJsonLine,
  type Command,
} from "../command.js";

const usage = `usage: ecg-tlc report --model MODEL --tlc TLC.json --data DIR --out report.html [options]

Evaluates the explainer on a labelled dataset (surrogate fidelity, label correlation, alignment
with the delineated waves, uncertainty, Grad-CAM, prototypes) and writes ONE self-contained HTML
file: the evaluation table beside the paper's numbers, the dataset figures and example ECGs.
It needs no network to open.

  --model MODEL     model folder
  --tlc TLC.json    explainer from 'ecg-tlc fit'
  --data DIR        dataset folder (PTB-XL layout, LUDB, CinC, ...)
  --out FILE        the HTML file to write
  --folds LIST      strat_folds to evaluate, e.g. 1-9 (default: every record)
  --limit N         only the first N records (a quick look)
  --sample N        ECGs for the costly analyses (deletion, stability, Grad-CAM; default 100)
  --examples N      example ECG figures (default 3)
  --ludb DIR        landmark alignment on DIR's records with the LUDB lead II annotations (as
                    'evaluate --ludb') instead of the delineated evaluated ECGs
  --flagged N       figures of N possible label errors, plus the ECG where Grad-CAM and TLC
                    disagree most (default 2; 0 for none)
  --by-k LIST       adds the fidelity vs K figure: the K to compare (e.g. 2-20, fitted like
                    the explainer on --fit-folds in one pass), or comma-separated TLC.json files
                    fitted with other K on this model
  --fit-folds LIST  strat_folds the --by-k explainers are fitted on (default: --folds)
  --eval-json FILE  also write the evaluation result as JSON
  --compare LABEL=FILE
                    a column beside ours in the evaluation table: another run's evaluation as
                    '--eval-json' or 'evaluate --json' wrote it, e.g. the paper's setup (train
                    --head flatten, fit --no-states); repeat for several
  --title TEXT      page title
  --json            print {out, bytes, n, k, fidelity} as one JSON line
`;

/** --by-k: K as a list or ranges ("2-20", "4,6,8"), else explainer files. */
function byK(value: string | undefined): number[] | string[] | undefined {
  if (value === undefined) return undefined;
  return /^[\d,\s-]+$/.test(value) ? parseKs(value) : value.split(",").filter(Boolean);
}

const command: Command = {
  name: "report",
  summary: "evaluate an explainer and write a self-contained HTML report with the figures",
  usage,
  async run(argv) {
    const { values: v } = parseCommandArgs("report", argv, {
      model: { type: "string" },
      tlc: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      folds: { type: "string" },
      limit: { type: "string" },
      sample: { type: "string" },
      examples: { type: "string" },
      flagged: { type: "string" },
      ludb: { type: "string" },
      "eval-json": { type: "string" },
      compare: { type: "string", multiple: true },
      "by-k": { type: "string" },
      "fit-folds": { type: "string" },
      title: { type: "string" },
      json: { type: "boolean" },
    });
    for (const o of ["model", "tlc", "data", "out"] as const) {
      if (!v[o]) throw new UsageError(`report: --${o} is required (see 'ecg-tlc report --help')`);
    }
    const limit =
      v.limit === undefined
        ? undefined
        : parseNumber(v.limit, "--limit", 0, { integer: true, min: 1 });
    let last = "";
    const res = await writeReport(v.model!, v.tlc!, v.data!, v.out!, {
      folds: v.folds ? parseFolds(v.folds) : undefined,
      limit,
      examples: optionalNumber(v.examples, "--examples", { integer: true, min: 0 }),
      flagged: optionalNumber(v.flagged, "--flagged", { integer: true, min: 0 }),
      alignData: v.ludb,
      evaluationJson: v["eval-json"],
      compareFiles: v.compare,
      byK: byK(v["by-k"]),
      fitFolds: v["fit-folds"] ? parseFolds(v["fit-folds"], "--fit-folds") : undefined,
      title: v.title,
      evaluate: { sample: optionalNumber(v.sample, "--sample", { integer: true, min: 0 }) },
      progress: (stage, done, total) => {
        // One line per stage and per 10 %, so logs stay short.
        const line = `report: ${stage} ${Math.floor((10 * done) / Math.max(1, total)) * 10}%`;
        if (line !== last) process.stderr.write(line + "\n");
        last = line;
      },
    });
    const e = res.evaluation;
    if (v.json) {
      await writeJsonLine({
        out: res.out,
        bytes: res.bytes,
        n: e.n,
        k: e.k,
        fidelity: e.fidelity ?? null,
      });
    } else {
      const fid = e.fidelity ? `, fidelity ${(100 * e.fidelity.mean).toFixed(1)}%` : "";
      process.stdout.write(
        `report: ${res.out} (${e.n} ECGs, K=${e.k}${fid}); open it in any browser\n`,
      );
    }
    return 0;
  },
};

export default command;
