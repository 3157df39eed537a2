import { readRecord } from "../../io/index.js";
import { UsageError } from "../../errors.js";
import { gradcamRecord } from "../../explain/gradcam.js";
import { loadModel } from "../../model/index.js";
import { parseCommandArgs, writeJsonLine, type Command } from "../command.js";

const usage = `usage: ecg-tlc gradcam --model MODEL RECORD --tap NAME --target CLASS [--json]

Grad-CAM (Selvaraju et al. 2017) of one output at one residual unit: the unit's activation maps
weighted by the time-averaged gradient of the output's score, ReLU; mapped back to the record's
own samples.

  --model MODEL    model folder
  --tap NAME       B1, B2, B3 or B4, or an imported model's tap (default: the model's last tap)
  --target CLASS   class name (e.g. MI) or output index; "age" for the age model
  --json           {record, tap, target, steps: [...], samples: [...] (one per record sample)}
`;

/**
 * One line on a map: where it peaks, or that it is zero at every step (the gradient-weighted
 * activations are negative throughout, common below the last block), which has no peak.
 */
export function gradcamSummary(
  record: { name: string; fs: number },
  r: { tap: string; target: string; steps: ArrayLike<number>; samples: ArrayLike<number> },
): string {
  const head = `${record.name}: Grad-CAM of ${r.target} at ${r.tap}, ${r.steps.length} steps`;
  let peak = 0;
  for (let i = 1; i < r.samples.length; i++) if (r.samples[i] > r.samples[peak]) peak = i;
  if (!(r.samples[peak] > 0)) {
    return `${head}; zero at every step (nothing at ${r.tap} raises ${r.target}'s score; try another --tap)`;
  }
  return `${head}; peak at sample ${peak} (${(peak / record.fs).toFixed(2)} s)`;
}

const command: Command = {
  name: "gradcam",
  summary: "Grad-CAM of a model output at a residual unit, per record sample",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("gradcam", argv, {
      model: { type: "string" },
      tap: { type: "string" },
      target: { type: "string" },
      json: { type: "boolean" },
    });
    if (!v.model) throw new UsageError("gradcam: --model MODEL is required");
    if (positionals.length !== 1) throw new UsageError("gradcam: exactly one RECORD expected");
    const model = await loadModel(v.model);
    const record = readRecord(positionals[0]);
    const r = await gradcamRecord(model, record, { tap: v.tap, target: v.target });
    if (v.json) {
      await writeJsonLine({
        record: record.name,
        tap: r.tap,
        target: r.target,
        steps: Array.from(r.steps),
        samples: Array.from(r.samples),
      });
    } else {
      process.stdout.write(`${gradcamSummary(record, r)}\n`);
    }
    model.dispose();
    return 0;
  },
};

export default command;
