/** What inspect-model and import-model need of an ONNX file (src/model/probe.ts's NetworkProbe). */
import { ModelMismatchError } from "../../errors.js";
import type { NetworkProbe, ProbeRun } from "../network-probe.js";
import { graphInputs, graphOutputs, moduleOutputs, nodeOutputs, readOnnxFile } from "./graph.js";
import { OnnxRunner } from "./model.js";

export function probeOnnx(path: string): NetworkProbe {
  const file = readOnnxFile(path);
  const inputs = graphInputs(file);
  const outputs = graphOutputs(file);
  const modules = moduleOutputs(file);
  const values = nodeOutputs(file);
  if (inputs.length !== 1) {
    throw new ModelMismatchError(
      `${path}: the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(", ")}); one ECG input expected`,
    );
  }
  const runners = new Map<string, Promise<OnnxRunner>>();
  return {
    backend: "onnx",
    path,
    bytes: file.bytes,
    inputs,
    outputs,
    modules: [...modules.keys()],
    resolveTap(name: string): string | null {
      return modules.get(name) ?? (values.has(name) ? name : null);
    },
    async run(x, dims, taps, { heads = false } = {}): Promise<ProbeRun> {
      const output = outputs[0].name;
      const key = `${heads}:${taps.join("\n")}`;
      if (!runners.has(key)) runners.set(key, OnnxRunner.open(file, output, taps, { heads }));
      const runner = await runners.get(key)!;
      const m = x.length / dims.reduce((a, b) => a * b, 1);
      const r = await runner.run(x, m, dims, [...new Set([output, ...taps])]);
      const tapOut: ProbeRun["taps"] = {};
      for (const t of taps)
        tapOut[t] = { data: r[t].data as Float32Array, dims: r[t].dims.map(Number) };
      return {
        output: r[output].data as Float32Array,
        outputDims: r[output].dims.map(Number),
        taps: tapOut,
      };
    },
  };
}
