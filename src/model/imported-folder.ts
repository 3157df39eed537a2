/** Checks of a model folder holding an imported network (model.json's `imported` block). */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ModelMismatchError, NotFoundError } from "../errors.js";
import { LAYOUTS, OUTPUT_KINDS, type ImportedNetwork } from "./imported.js";
import type { ModelConfig } from "./presets.js";

/** Checks `config` (read from `file` in `dir`) and returns the network file's path. */
export function checkImportedFolder(dir: string, file: string, config: ModelConfig): string {
  const bad = (why: string): never => {
    throw new ModelMismatchError(`${file}: ${why}`);
  };
  const net = config.imported as ImportedNetwork | undefined;
  if (config.backend !== "onnx" && config.backend !== "torchscript") {
    bad(`unknown backend '${String(config.backend)}' (native, onnx or torchscript)`);
  }
  if (!net || net.backend !== config.backend || typeof net.file !== "string") {
    bad(`backend '${config.backend}' without its imported network description`);
  }
  if (!LAYOUTS.includes(net!.layout)) bad(`unknown layout '${String(net!.layout)}'`);
  if (!OUTPUT_KINDS.includes(net!.outputs)) bad(`unknown output kind '${String(net!.outputs)}'`);
  if (!Array.isArray(config.classes) || !config.classes.length || !config.preprocessing) {
    bad("classes or preprocessing missing");
  }
  for (const t of config.taps ?? []) if (!net!.taps?.[t]) bad(`tap '${t}' is not described`);
  const path = join(dir, net!.file);
  if (!existsSync(path)) throw new NotFoundError(`${dir}: network file ${net!.file} missing`);
  const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
  if (sha !== config.weightsSha256) {
    throw new ModelMismatchError(
      `${path}: does not match model.json (sha256 differs; corrupt or replaced)`,
    );
  }
  return path;
}
