import { UsageError } from "../../errors.js";
import { inspectModel } from "../../model/inspect.js";
import { parseCommandArgs, parseNumber, writeJsonLine, type Command } from "../command.js";
import { parseLayout, parseLeads } from "./import-model.js";

const usage = `usage: ecg-tlc inspect-model FILE [--json] [--length N] [--layout nct|ntc]

Shows what a network trained elsewhere (ONNX, or TorchScript from torch.jit.save) takes and
returns, and the module outputs that can be tapped (module paths with channels x time shapes),
from one test batch. TorchScript files record no input shape: it is taken as 12 leads x --length
samples (default 1000), channels first unless --layout ntc.

  --json            one JSON object: {file, backend, inputs, outputs, input, taps: [{name, shape}]}
  --length N        samples per lead, when the file does not fix it (default 1000)
  --layout L        nct (batch x leads x samples) or ntc (batch x samples x leads)
  --leads LIST      lead names, when the file does not fix their number
`;

const command: Command = {
  name: "inspect-model",
  summary: "inputs, outputs and candidate taps of an ONNX or TorchScript network",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("inspect-model", argv, {
      json: { type: "boolean" },
      length: { type: "string" },
      layout: { type: "string" },
      leads: { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError("inspect-model: exactly one FILE expected");
    const r = await inspectModel(positionals[0], {
      ...(v.length
        ? { length: parseNumber(v.length, "--length", 0, { integer: true, min: 1 }) }
        : {}),
      ...(v.layout ? { layout: parseLayout(v.layout) } : {}),
      ...(v.leads ? { leads: parseLeads(v.leads) } : {}),
    });
    if (v.json) {
      await writeJsonLine({
        file: r.file,
        backend: r.backend,
        inputs: r.inputs,
        outputs: r.outputs,
        input: { layout: r.input.layout, leads: r.input.leads, length: r.input.length },
        taps: r.taps.map((t) => ({
          name: t.name,
          shape: t.shape,
          value: t.value,
          layout: t.layout,
        })),
      });
      return 0;
    }
    const dims = (s: (number | string)[]) => `[${s.join(", ")}]`;
    const lines = [
      `${r.file}: ${r.backend === "onnx" ? "ONNX" : "TorchScript"}`,
      ...r.inputs.map((i) => `  input  ${i.name} ${dims(i.shape)}`),
      ...r.outputs.map((o) => `  output ${o.name} ${dims(o.shape)}`),
      `  input layout ${r.input.layout}: ${r.input.leads} leads x ${r.input.length} samples`,
      `  taps (module: channels x steps):`,
      ...r.taps.map((t) => `    ${t.name.padEnd(32)} ${t.shape[0]} x ${t.shape[1]}`),
    ];
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  },
};

export default command;
