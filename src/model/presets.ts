/**
 * Presets of the 1D-ResNet (METHOD.md, "The network") and the model configuration a model folder
 * stores in model.json.
 */
import { ParameterError } from "../errors.js";
import type { Preprocessing } from "../signal/preprocess.js";
import { STANDARD_LEADS } from "../types.js";
import type { NetworkShape } from "./engine.js";
import type { ImportedNetwork, ModelBackend } from "./imported.js";

export type PresetName = "ribeiro2020" | "ptbxl100";
export type TaskName = "superclass" | "age";

export const TAPS = ["B1", "B2", "B3", "B4"] as const;
export const SUPERCLASSES = ["NORM", "MI", "STTC", "CD", "HYP"];

export interface Preset {
  name: PresetName;
  /** Network shape without `outputs` (set by the task). */
  network: Omit<NetworkShape, "outputs">;
  /** What every input is turned into before the network sees it. */
  preprocessing: Preprocessing;
}

const CHANNELS = [64, 128, 196, 256, 320];

export const PRESETS: Record<PresetName, Preset> = {
  // Ribeiro et al. 2020 (CODE): 400 Hz, 4,096 samples, raw mV, downsample 4 per unit.
  ribeiro2020: {
    name: "ribeiro2020",
    network: {
      leads: 12,
      length: 4096,
      channels: CHANNELS,
      kernel: 17,
      downsample: 4,
      dropout: 0.2,
    },
    preprocessing: {
      fs: 400,
      length: 4096,
      leads: [...STANDARD_LEADS],
      bandpass: null,
      zscore: false,
    },
  },
  // PTB-XL at 100 Hz: 1,000 samples padded to 1,024, downsample 2 per unit. The shared subset is
  // band-passed 0.5-40 Hz and z-scored per lead; the same steps bring raw mV records (any rate)
  // into that form, and replaying them on the subset itself changes it very little.
  ptbxl100: {
    name: "ptbxl100",
    network: {
      leads: 12,
      length: 1024,
      channels: CHANNELS,
      kernel: 17,
      downsample: 2,
      dropout: 0.2,
    },
    preprocessing: {
      fs: 100,
      length: 1024,
      leads: [...STANDARD_LEADS],
      bandpass: { low: 0.5, high: 40, order: 4 },
      zscore: true,
    },
  },
};

export function getPreset(name: string): Preset {
  if (name in PRESETS) return PRESETS[name as PresetName];
  throw new ParameterError(
    "preset",
    `unknown preset '${name}' (one of ${Object.keys(PRESETS).join(", ")})`,
  );
}

export function checkTask(name: string): TaskName {
  if (name === "superclass" || name === "age") return name;
  throw new ParameterError("task", `unknown task '${name}' (superclass or age)`);
}

/** What model.json holds (docs/CONTRACTS.md's ModelConfig plus what training and loading need). */
export interface ModelConfig {
  format: "ecg-tlc-model";
  version: 1;
  /** "imported" for a network trained elsewhere (then `imported` says where it is). */
  preset: PresetName | "imported";
  /** Which engine runs the network: the native 1D-ResNet (the default when absent) or an importer. */
  backend?: ModelBackend;
  imported?: ImportedNetwork;
  /** Classification (sigmoid or softmax outputs) or regression ("age" for imported regressions). */
  task: TaskName;
  /** ["NORM","MI","STTC","CD","HYP"], or ["age"]. */
  classes: string[];
  /** Per class decision threshold on the probability (classification; empty for age). */
  thresholds: number[];
  preprocessing: Preprocessing;
  taps: string[];
  /** Regression: the network predicts (age - mean) / std. */
  target?: { mean: number; std: number };
  /**
   * Native: the ResNet's shape. Imported: only leads, length and outputs mean anything (channels
   * lists the taps' channels; kernel and downsample are 0).
   */
  network: NetworkShape;
  /** sha256 of the weights file (imported: of the network file): ties explainers to exactly it. */
  weightsSha256: string;
  training?: Record<string, unknown>;
  history?: EpochRecord[];
  data?: {
    root: string;
    fingerprint: string;
    trainFolds: number[];
    valFolds: number[];
    train: number;
    val: number;
  };
  validation?: Record<string, unknown>;
}

export interface EpochRecord {
  epoch: number;
  lr: number;
  loss: number;
  valLoss: number;
  /** Macro AUROC (classification) or MAE in years (age) on the validation records. */
  valMetric: number;
  seconds: number;
}

/** One line on the network: preset, head, task and its validation score when model.json has it. */
export function describeNetwork(config: ModelConfig): string {
  if (config.imported) {
    const { backend, source, outputs } = config.imported;
    return `imported ${backend === "onnx" ? "ONNX" : "TorchScript"} network ${source.split("/").pop()}, ${outputs} outputs`;
  }
  const v = config.validation as { macro?: { auroc?: number }; mae?: number } | undefined;
  const folds = config.data?.valFolds.join(", ");
  const score =
    typeof v?.macro?.auroc === "number"
      ? `, macro AUROC ${v.macro.auroc.toFixed(3)}`
      : typeof v?.mae === "number"
        ? `, MAE ${v.mae.toFixed(1)} years`
        : "";
  const on = score && folds ? ` on fold(s) ${folds}` : "";
  return `${config.preset} 1D-ResNet, ${config.network.head ?? "flatten"} head, ${config.task}${score}${on}`;
}
