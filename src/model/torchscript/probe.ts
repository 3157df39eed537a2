/** What inspect-model and import-model need of a TorchScript file (see ../probe.ts). */
import { readFileSync } from "node:fs";
import { EcgFormatError } from "../../errors.js";
import type { NetworkProbe } from "../network-probe.js";
import { loadScriptModule } from "./native.js";

export function probeTorchScript(path: string): NetworkProbe {
  const bytes = readFileSync(path);
  let module;
  try {
    module = loadScriptModule(path);
  } catch (err) {
    const msg = (err as Error).message.split("\n")[0];
    throw new EcgFormatError(path, `not a loadable TorchScript module (${msg.slice(0, 300)})`);
  }
  const modules = module.submodules();
  const known = new Set(modules);
  return {
    backend: "torchscript",
    path,
    bytes,
    // TorchScript records no shapes: the geometry comes from the options.
    inputs: [{ name: "input", shape: [] }],
    outputs: [{ name: "output", shape: [] }],
    modules,
    resolveTap: (name) => (known.has(name) ? name : null),
    async run(x, dims, taps, { lenient = false } = {}) {
      const m = x.length / dims.reduce((a, b) => a * b, 1);
      try {
        return await module.forward(x, [m, ...dims], taps, lenient);
      } catch (err) {
        const msg = (err as Error).message.split("\n")[0];
        throw new EcgFormatError(path, `the test batch failed (${msg.slice(0, 300)})`);
      }
    },
  };
}
