/**
 * Importing a network trained elsewhere (ONNX or TorchScript) as a model folder (model.json + the
 * network file) that every analysis loads like one `train` wrote. Every check (inspect.ts's
 * geometry, taps, outputs, labelled data) runs before anything is written.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createHash } from "node:crypto";
import { ModelMismatchError, UsageError } from "../errors.js";
import type { Preprocessing } from "../signal/preprocess.js";
import { STANDARD_LEADS } from "../types.js";
import { CONFIG_FILE } from "./folder.js";
import {
  tapShape,
  type Activation,
  type ImportedNetwork,
  type ImportedTap,
  type OutputKind,
} from "./imported.js";
import { candidates, inputGeometry, testInput, type GeometryOptions } from "./inspect.js";
import type { DatasetLike, EntryLike } from "./data.js";
import type { ModelConfig } from "./presets.js";
import { openProbe } from "./probe.js";

export interface ImportOptions extends GeometryOptions {
  /** Sampling rate the network expects, Hz. */
  fs: number;
  classes?: string[];
  outputs: OutputKind;
  /** "record-zscore": per-lead z-score over each record; "none": values in mV as they are. */
  normalise: "none" | "record-zscore";
  bandpass?: { low: number; high: number; order: number } | null;
  /** Module paths (or ONNX value names); default: the last top-level module shaped like a tap. */
  taps?: string[];
  /**
   * Labelled records (e.g. a validation fold): their leads and labels are checked against the
   * network, and the per-class thresholds are tuned on them (max F1) instead of 0.5.
   */
  validation?: { dataset: DatasetLike; entries: EntryLike[]; name: string };
}

export const NORMALISATIONS = ["none", "record-zscore"] as const;

export interface ImportResult {
  config: ModelConfig;
  notes: string[];
}

/**
 * Checks `path` against what the options say, runs one test batch, and writes the model folder
 * `out` (replacing an earlier import there). Nothing is written when any check fails.
 */
export async function importModel(
  path: string,
  out: string,
  opts: ImportOptions,
): Promise<ImportResult> {
  if (!(opts.fs > 0)) throw new UsageError("import: the sampling rate (fs) must be positive");
  const probe = await openProbe(path);
  try {
    const g = inputGeometry(probe, opts);
    const notes: string[] = [];
    const leads = opts.leads ?? (g.leads === 12 ? [...STANDARD_LEADS] : null);
    if (!leads) {
      throw new UsageError(
        `${path}: the network takes ${g.leads} leads: name them in the order it expects`,
      );
    }
    // Taps: resolved, distinct, and shaped channels x time over the input.
    let tapNames = opts.taps?.length ? opts.taps : null;
    if (!tapNames) {
      const all = await candidates(probe, g);
      const top = all.filter((c) => !c.name.includes("."));
      const pick = (top.length ? top : all).at(-1);
      if (!pick) throw new UsageError(`${path}: no module output looks like a tap: name one`);
      tapNames = [pick.name];
      notes.push(`taps: ${pick.name} (the last module shaped channels x time; choose with taps)`);
    }
    const values = tapNames.map((t) => {
      const v = probe.resolveTap(t);
      if (!v) {
        const some = probe.modules.slice(0, 12).join(", ");
        throw new ModelMismatchError(
          `${path}: no tap '${t}' (module paths include ${some}${probe.modules.length > 12 ? ", ..." : ""}; see inspect-model)`,
        );
      }
      return v;
    });
    const run = await probe.run(testInput(g, 2), g.dims, values);
    const perEcg = run.output.length / 2;
    const classes = opts.classes ?? Array.from({ length: perEcg }, (_, i) => `output${i}`);
    if (!opts.classes) notes.push(`classes: ${classes.join(", ")} (not named)`);
    if (perEcg !== classes.length) {
      throw new ModelMismatchError(
        `${path}: the network returns ${perEcg} values per ECG, ${classes.length} classes were named`,
      );
    }
    if (!run.output.every(Number.isFinite)) {
      throw new ModelMismatchError(`${path}: the test batch gave non-finite outputs`);
    }
    const activation = outputActivation(path, opts.outputs, run.output, classes.length);
    const taps: Record<string, ImportedTap> = {};
    tapNames.forEach((t, i) => {
      const s = tapShape(path, t, run.taps[values[i]].dims, g.length);
      taps[t] = { value: values[i], ...s };
    });
    await probe.run(testInput(g, 1), g.dims, values, { heads: true }); // Grad-CAM heads cut
    const regression = opts.outputs === "regression";
    const preprocessing: Preprocessing = {
      fs: opts.fs,
      length: g.length,
      leads,
      bandpass: opts.bandpass ?? null,
      zscore: opts.normalise === "record-zscore",
    };
    const file = probe.backend === "onnx" ? "model.onnx" : "model.pt";
    const imported: ImportedNetwork = {
      backend: probe.backend,
      file,
      source: resolve(path),
      input: probe.inputs[0]?.name ?? "",
      output: probe.outputs[0]?.name ?? "",
      layout: g.layout,
      outputs: opts.outputs,
      activation,
      taps,
    };
    if (opts.validation) checkValidation(path, opts.validation, classes, opts.outputs);
    else if (!regression) {
      notes.push("thresholds: 0.5 for every class (no labelled data tuned them)");
    }
    const config: ModelConfig = {
      format: "ecg-tlc-model",
      version: 1,
      preset: "imported",
      backend: probe.backend,
      imported,
      task: regression ? "age" : "superclass",
      classes,
      thresholds: regression ? [] : classes.map(() => 0.5),
      preprocessing,
      taps: tapNames,
      network: {
        leads: g.leads,
        length: g.length,
        channels: tapNames.map((t) => taps[t].channels),
        kernel: 0,
        downsample: 0,
        outputs: classes.length,
        dropout: 0,
      },
      weightsSha256: createHash("sha256").update(probe.bytes).digest("hex"),
      training: { imported: new Date().toISOString(), thresholds: "0.5, not tuned" },
    };
    await writeFolder(out, file, probe.bytes, config, async (tmp) => {
      if (!opts.validation || regression) return;
      const { tuned, n } = await tuneOn(tmp, opts.validation);
      config.thresholds = tuned;
      config.training = {
        ...config.training,
        thresholds: `max F1 on ${n} records of ${opts.validation.name}`,
      };
      notes.push(
        `thresholds: ${tuned.map((t) => t.toFixed(3)).join(", ")} (max F1 on ${n} records of ${opts.validation.name})`,
      );
    });
    return { config, notes };
  } finally {
    probe.dispose?.();
  }
}

/** What turns the network's outputs into probabilities, checked on the test batch. */
function outputActivation(path: string, kind: OutputKind, y: Float32Array, k: number): Activation {
  const inUnit = y.every((v) => v >= 0 && v <= 1);
  if (kind === "logits") return "sigmoid";
  if (kind === "regression") return "none";
  if (kind === "sigmoid") {
    if (!inUnit) {
      throw new ModelMismatchError(
        `${path}: outputs are not probabilities (a value outside [0, 1]); use outputs logits`,
      );
    }
    return "none";
  }
  if (k < 2) throw new ModelMismatchError(`${path}: a softmax needs at least 2 classes`);
  let sums = inUnit;
  for (let r = 0; sums && r < y.length; r += k) {
    let s = 0;
    for (let c = 0; c < k; c++) s += y[r + c];
    sums = Math.abs(s - 1) < 1e-4;
  }
  return sums ? "none" : "softmax"; // rows that already sum to 1: the graph ends in its softmax
}

/** Labels the network cannot give (a softmax over multi-label records) are refused up front. */
function checkValidation(
  path: string,
  v: NonNullable<ImportOptions["validation"]>,
  classes: string[],
  kind: OutputKind,
): void {
  if (!v.entries.length) throw new UsageError(`${v.name}: no records to tune thresholds on`);
  if (kind === "softmax") {
    const multi = v.entries.filter((e) => e.labels.filter((l) => classes.includes(l)).length > 1);
    if (multi.length) {
      throw new ModelMismatchError(
        `${path}: softmax outputs give one class per ECG, but ${multi.length} records of ${v.name} carry several (e.g. ${multi[0].id}: ${multi[0].labels.join(",")}); use outputs logits or sigmoid`,
      );
    }
  }
  if (!v.entries.some((e) => e.labels.some((l) => classes.includes(l)))) {
    throw new ModelMismatchError(
      `${path}: no record of ${v.name} carries any of the classes ${classes.join(", ")}`,
    );
  }
}

/** Per-class max-F1 thresholds of the model in `dir` on the validation records. */
async function tuneOn(
  dir: string,
  v: NonNullable<ImportOptions["validation"]>,
): Promise<{ tuned: number[]; n: number }> {
  const { loadModel } = await import("./load.js");
  const { predictBatches } = await import("./run.js");
  const { targetOf } = await import("./data.js");
  const { tuneThresholds } = await import("./scores.js");
  const model = await loadModel(dir);
  try {
    const k = model.config.classes.length;
    const probs = new Float32Array(v.entries.length * k);
    const targets = new Float32Array(v.entries.length * k);
    for await (const r of predictBatches(model, v.entries, (e) => v.dataset.read(e))) {
      probs.set(r.outputs, r.index * k);
      targets.set(targetOf(r.item, "superclass", model.config.classes)!, r.index * k);
    }
    return { tuned: tuneThresholds(probs, targets, k), n: v.entries.length };
  } finally {
    model.dispose();
  }
}

/**
 * model.json + the network file into a fresh folder, `finish(tmp)` (which may still change the
 * configuration), then renamed into place, replacing `out`.
 */
async function writeFolder(
  out: string,
  file: string,
  bytes: Uint8Array,
  config: ModelConfig,
  finish: (tmp: string) => Promise<void>,
): Promise<void> {
  if (existsSync(out) && !statSync(out).isDirectory()) {
    throw new UsageError(`${out}: exists and is not a folder`);
  }
  if (existsSync(out) && !existsSync(join(out, CONFIG_FILE)) && readdirSync(out).length) {
    throw new UsageError(`${out}: exists and is not a model folder; choose another output folder`);
  }
  mkdirSync(dirname(resolve(out)), { recursive: true });
  const tmp = join(dirname(resolve(out)), `.${basename(out)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    mkdirSync(tmp);
    writeFileSync(join(tmp, file), bytes);
    writeFileSync(join(tmp, CONFIG_FILE), JSON.stringify(config, null, 2) + "\n");
    await finish(tmp);
    writeFileSync(join(tmp, CONFIG_FILE), JSON.stringify(config, null, 2) + "\n");
    if (existsSync(out)) {
      const old = `${tmp}-old`;
      renameSync(out, old);
      renameSync(tmp, out);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
