/**
 * Grad-CAM of one record through any model face, on the record's own samples (the same
 * step-to-sample mapping as the clusters), with the one default tap and target.
 */
import { ParameterError } from "../errors.js";
import type { ModelFace } from "../model/face.js";
import type { ModelConfig } from "../model/presets.js";
import { checkWindow } from "../signal/window.js";
import type { EcgRecord } from "../types.js";
import { defaultGradcamTap, tapToSamples, topClass } from "./explanation.js";

/** Grad-CAM of one output for one record. */
export interface GradcamMap {
  /** The tap (residual unit) the map was taken at, e.g. "B4". */
  tap: string;
  /** The output (class name) it explains. */
  target: string;
  /** One value >= 0 per tap step. */
  steps: Float32Array;
  /** One value >= 0 per source sample of the record. */
  samples: Float32Array;
}

/** Output index of a class name (case-insensitive) or a numeric index (also given as a string). */
export function targetIndex(config: Pick<ModelConfig, "classes">, target: string | number): number {
  if (typeof target === "number" || /^\d+$/.test(target)) {
    const i = Number(target);
    if (i < config.classes.length) return i;
  } else {
    const i = config.classes.findIndex((c) => c.toLowerCase() === target.toLowerCase());
    if (i >= 0) return i;
  }
  throw new ParameterError(
    "target",
    `'${target}' is not an output of this model (${config.classes.join(", ")})`,
  );
}

/** `tap` if the model has it; otherwise a one-line error naming the parameter and the model's taps. */
export function checkTap(
  config: Pick<ModelConfig, "taps">,
  tap: string,
  parameter = "gradcamTap",
): string {
  if (config.taps.includes(tap)) return tap;
  throw new ParameterError(
    parameter,
    `the model has no tap '${tap}' (it has ${config.taps.join(", ")})`,
  );
}

/**
 * Grad-CAM of `target` (default: the most probable class in `outputs`, else the first output) at
 * `tap` (default: `defaultGradcamTap`) for a record: per tap step, and per source sample.
 */
export async function gradcamRecord(
  model: ModelFace,
  record: EcgRecord,
  opts: { tap?: string; target?: string | number; outputs?: Record<string, number> } = {},
): Promise<GradcamMap> {
  const { classes } = model.config;
  const tap = checkTap(model.config, opts.tap ?? defaultGradcamTap(model), "tap");
  const wanted = opts.target ?? (opts.outputs ? topClass(classes, opts.outputs) : 0);
  const t = targetIndex(model.config, wanted);
  checkWindow(record, model.config.preprocessing); // no map for samples the network did not see
  const prepared = model.prepare(record);
  const steps = await model.gradcam(prepared.signal, tap, t);
  return { tap, target: classes[t], steps, samples: tapToSamples(steps, prepared) };
}
