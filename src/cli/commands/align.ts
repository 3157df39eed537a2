import { UsageError } from "../../errors.js";
import { loadModel } from "../../model/index.js";
import { Tlc } from "../../tlc/index.js";
import { alignRecords } from "../../eval/landmarks.js";
import { renderAlignment, renderApart } from "../../eval/report.js";
import { parseCommandArgs, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc align --model MODEL --tlc TLC.json RECORD... [--lead II] [--json]

Landmark alignment: explains each record and compares its clusters with the wave labels of one
lead, from LUDB-style annotation files (RECORD.ii, ...) or from the delineator where there are
none. Prints the cluster x [P, QRS, T, TP] contingency table, NMI, purity, the best cluster's
Jaccard index per wave, and at the P, R and T peaks the NMI and the share of each wave's peaks
held by its most frequent cluster; the records that keep at most half of a wave's peaks in
that wave's cluster (JSON: apart); the same for each block's own clustering.

  --model MODEL   model folder
  --tlc FILE      explainer written by 'ecg-tlc fit'
  --lead NAME     annotated lead (default II)
  --json          one JSON object
`;

const command: Command = {
  name: "align",
  summary: "alignment of clusters with P, QRS, T, TP waves (LUDB annotations or delineator)",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("align", argv, {
      model: { type: "string" },
      tlc: { type: "string" },
      lead: { type: "string", default: "II" },
      json: { type: "boolean" },
    });
    if (!v.model) throw new UsageError("align: --model MODEL is required");
    if (!v.tlc) throw new UsageError("align: --tlc TLC.json is required");
    if (positionals.length === 0) throw new UsageError("align: give at least one RECORD");
    const model = await loadModel(v.model);
    try {
      const explainer = Tlc.load(v.tlc, model).bind(model);
      const report = await alignRecords(explainer, positionals, {
        lead: v.lead,
        progress: (d, n) => {
          if (n > 16) process.stderr.write(`align: ${d}/${n}\n`);
        },
      });
      if (v.json) await writeJsonLine(report);
      else {
        process.stdout.write(renderAlignment(report) + "\n\n");
        process.stdout.write(renderApart(report.apart, report.records) + "\n");
        for (const [b, a] of Object.entries(report.blocks ?? {}))
          process.stdout.write(
            `\n${b} alone: NMI ${a.nmi.toFixed(3)}, landmark NMI ${a.landmarks.nmi.toFixed(3)}\n`,
          );
      }
    } finally {
      model.dispose();
    }
    return 0;
  },
};

export default command;
