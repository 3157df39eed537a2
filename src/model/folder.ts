/**
 * The model folder: `model.json` (ModelConfig) beside `weights.pt` (parameters and buffers, a
 * torch archive), or beside an imported network file (`model.onnx`, `model.pt`: see imported.ts). Everything is written to a temporary name and renamed into place, so a reader
 * (or a crash) never sees a half-written file; model.json is written last and names the sha256 of
 * the weights it goes with.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EcgFormatError, ModelMismatchError, NotFoundError } from "../errors.js";
import { createNetwork, type NetworkShape } from "./engine.js";
import { checkImportedFolder } from "./imported-folder.js";
import { PRESETS, type ModelConfig } from "./presets.js";

export const CONFIG_FILE = "model.json";
export const WEIGHTS_FILE = "weights.pt";

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Writes `data` to `path` through `path.tmp-PID` and a rename (atomic on one file system). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Runs `write(tmpPath)` then renames the result to `path` (for files the native engine writes). */
export async function withAtomicPath(
  path: string,
  write: (tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await write(tmp);
  } catch (err) {
    rmSync(tmp, { force: true }); // a half-written temporary is never left behind
    throw err;
  }
  renameSync(tmp, path);
}

/** Reads and checks model.json and the weights file beside it; one-line errors naming the file. */
export function readModelFolder(dir: string): { config: ModelConfig; weights: string } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new NotFoundError(`${dir}: model folder not found`);
  }
  const file = join(dir, CONFIG_FILE);
  if (!existsSync(file)) {
    throw new ModelMismatchError(`${dir}: not an ecg-tlc model folder (no ${CONFIG_FILE})`);
  }
  let config: ModelConfig;
  try {
    config = JSON.parse(readFileSync(file, "utf8")) as ModelConfig;
  } catch (err) {
    throw new EcgFormatError(file, `not valid JSON (${(err as Error).message.split("\n")[0]})`);
  }
  if (config === null || typeof config !== "object" || config.format !== "ecg-tlc-model") {
    throw new ModelMismatchError(
      `${file}: not an ecg-tlc model configuration (format field missing)`,
    );
  }
  if (config.backend !== undefined && config.backend !== "native") {
    return { config, weights: checkImportedFolder(dir, file, config) };
  }
  const preset = config.preset === "imported" ? undefined : PRESETS[config.preset];
  if (!preset) throw new ModelMismatchError(`${file}: unknown preset '${String(config.preset)}'`);
  const net = config.network;
  if (
    !net ||
    !Array.isArray(net.channels) ||
    !Array.isArray(config.classes) ||
    net.outputs !== config.classes.length ||
    !config.preprocessing ||
    net.length !== preset.network.length ||
    net.downsample !== preset.network.downsample
  ) {
    throw new ModelMismatchError(
      `${file}: network does not match preset '${config.preset}' and its ${config.classes?.length} classes`,
    );
  }
  if (net.head !== undefined && net.head !== "flatten" && net.head !== "mean") {
    throw new ModelMismatchError(
      `${file}: unknown network head '${String(net.head)}' (flatten or mean)`,
    );
  }
  const weights = join(dir, WEIGHTS_FILE);
  if (!existsSync(weights)) throw new NotFoundError(`${dir}: weights file ${WEIGHTS_FILE} missing`);
  if (config.weightsSha256 && sha256File(weights) !== config.weightsSha256) {
    throw new ModelMismatchError(
      `${weights}: does not match ${CONFIG_FILE} (sha256 differs; corrupt or replaced)`,
    );
  }
  return { config, weights };
}

export function writeModelConfig(dir: string, config: ModelConfig): void {
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + "\n");
}

/** Short identity of a model: its configuration's shape plus the exact weights. */
export function modelFingerprint(config: ModelConfig): string {
  const h = createHash("sha256");
  h.update(
    JSON.stringify([
      config.preset,
      config.task,
      config.classes,
      config.network,
      config.preprocessing,
    ]),
  );
  h.update(config.weightsSha256);
  return h.digest("hex").slice(0, 16);
}

/**
 * Writes a model folder holding an untrained network of a preset (seeded He initialisation,
 * thresholds 0.5): what tests and benchmarks use where a trained model's weights do not matter,
 * since an untrained network costs the same to run. `network` overrides the preset's layer sizes.
 */
export async function writeUntrainedModel(
  dir: string,
  opts: {
    preset?: keyof typeof PRESETS;
    network?: Partial<NetworkShape>;
    classes?: string[];
    seed?: number;
  } = {},
): Promise<ModelConfig> {
  const name = opts.preset ?? "ptbxl100";
  const preset = PRESETS[name];
  const classes = opts.classes ?? ["NORM", "MI", "STTC", "CD", "HYP"];
  const network = { ...preset.network, ...opts.network, outputs: classes.length };
  const net = createNetwork({ ...network, seed: opts.seed ?? 0, lr: 0, weightDecay: 0 });
  await net.save(join(dir, WEIGHTS_FILE));
  const config: ModelConfig = {
    format: "ecg-tlc-model",
    version: 1,
    preset: name,
    task: "superclass",
    classes,
    thresholds: classes.map(() => 0.5),
    preprocessing: preset.preprocessing,
    taps: ["B1", "B2", "B3", "B4"],
    network,
    weightsSha256: sha256File(join(dir, WEIGHTS_FILE)),
  };
  writeModelConfig(dir, config);
  return config;
}
