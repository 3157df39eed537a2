import { UsageError } from "../../errors.js";
import { exportOnnx } from "../../model/onnx/export.js";
import { parseCommandArgs, type Command } from "../command.js";

const usage = `usage: ecg-tlc export-model MODEL --onnx FILE

Writes a model trained by 'ecg-tlc train' as an ONNX graph (opset 13): input "ecg" (batch x
leads x samples, after the model's preprocessing), output "logits" (raw scores, before the
sigmoid), and each tap (B1..B4) as a named output of the same name.

  --onnx FILE   ONNX file to write
`;

const command: Command = {
  name: "export-model",
  summary: "export a trained model as ONNX (taps as named outputs)",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("export-model", argv, {
      onnx: { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError("export-model: exactly one MODEL expected");
    if (!v.onnx) throw new UsageError("export-model: --onnx FILE is required");
    const r = await exportOnnx(positionals[0], v.onnx);
    process.stderr.write(`${v.onnx}: ${r.nodes} nodes, ${r.parameters} parameters\n`);
    return 0;
  },
};

export default command;
