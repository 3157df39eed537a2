/**
 * The per-ECG figure from a model, a record and its explanation: adds what the explanation does
 * not hold (Grad-CAM per sample, the wave each cluster covers in this ECG) and writes SVG/PNG.
 * What `ecg-tlc explain --svg/--png` calls.
 */
import { basename, extname } from "node:path";
import { UsageError } from "../errors.js";
import { clusterWaveNames, contingency } from "../eval/alignment.js";
import { readRecord } from "../io/index.js";
import type { PreparedSignal } from "../signal/preprocess.js";
import { delineate } from "../signal/delineate/index.js";
import { waveLabels } from "../signal/waves.js";
import type { EcgRecord } from "../types.js";
import { renderEcgFigure, type EcgFigureOptions, type ExplanationView } from "./ecg.js";
import { svgToPng, writeFileAtomic } from "./png.js";

/** What the figure needs of a model (src/model's Model satisfies it). */
export interface FigureModel {
  config: { classes: string[]; thresholds: number[]; taps: string[]; task?: string };
  prepare(record: EcgRecord): PreparedSignal;
  gradcam?(input: Float32Array, tap: string, target: number): Promise<Float32Array>;
}

/**
 * Grad-CAM of class `target` (default: the most probable one in `outputs`) on `tap` (default the
 * last tap), mapped to the record's own samples as the clusters are (METHOD.md step 5).
 */
export async function gradcamPerSample(
  model: FigureModel,
  record: EcgRecord,
  opts: { tap?: string; target?: number; outputs?: Record<string, number> } = {},
): Promise<Float64Array | undefined> {
  if (!model.gradcam || model.config.task === "age") return undefined;
  const tap = opts.tap ?? model.config.taps[model.config.taps.length - 1];
  let target = opts.target ?? 0;
  if (opts.target === undefined && opts.outputs) {
    const cls = model.config.classes;
    cls.forEach((c, j) => {
      if ((opts.outputs![c] ?? -Infinity) > (opts.outputs![cls[target]] ?? -Infinity)) target = j;
    });
  }
  const p = model.prepare(record);
  const steps = await model.gradcam(p.signal, tap, target);
  const out = new Float64Array(record.samples);
  for (let t = 0; t < record.samples; t++) {
    const j = (t * p.fs) / p.sourceFs + p.offset;
    const step = Math.floor((j * steps.length) / p.length);
    out[t] = steps[Math.min(steps.length - 1, Math.max(0, step))];
  }
  return out;
}

/** The wave (P, QRS, T, TP) each cluster stands for in this ECG, by the delineator. */
export function clusterWavesOf(
  record: EcgRecord,
  clusters: ArrayLike<number>,
  k: number,
): (string | undefined)[] {
  const d = delineate(record);
  if (!d.waves.length) return [];
  return clusterWaveNames(contingency(clusters, waveLabels(d.waves, record.samples), k, 4));
}

export interface ExplanationFigureOptions extends EcgFigureOptions {
  /** The record's true labels when known (a dataset's); the figure shows "–" without them. */
  trueLabels?: string[];
  /** Overlay Grad-CAM (computed with the model) when true. */
  withGradcam?: boolean;
  /** Label clusters with the wave they cover in this ECG (delineated) when no clusterWaves. */
  waves?: boolean;
}

/** The SVG figure of one explained record. */
export async function explanationFigure(
  model: FigureModel,
  record: EcgRecord,
  explanation: ExplanationView,
  opts: ExplanationFigureOptions = {},
): Promise<string> {
  const gradcam =
    opts.gradcam ??
    (opts.withGradcam
      ? await gradcamPerSample(model, record, { outputs: explanation.outputs })
      : undefined);
  const k = explanation.proportions.length;
  const clusterWaves =
    opts.clusterWaves ??
    (opts.waves !== false && explanation.clusters
      ? clusterWavesOf(record, explanation.clusters, k)
      : undefined);
  // An Explanation's `labels` are its predictions: the truth row must not repeat them.
  const view = { ...explanation, labels: opts.trueLabels ?? [] };
  return renderEcgFigure(record, view, {
    thresholds: model.config.thresholds,
    ...opts,
    gradcam,
    clusterWaves,
  });
}

/** `fig.svg` -> `fig-RECORD.svg` when several records share one output name. */
export function figurePath(template: string, record: string, several: boolean): string {
  if (!several) return template;
  const ext = extname(template);
  const safe = basename(record).replace(/[^\w.-]+/g, "_");
  return `${template.slice(0, template.length - ext.length)}-${safe}${ext}`;
}

/** Writes the figure as SVG and/or PNG (atomically); returns the paths written. */
export async function writeExplanationFigure(
  svg: string,
  out: { svg?: string; png?: string; pngWidth?: number },
): Promise<string[]> {
  const written: string[] = [];
  if (out.svg) {
    writeFileAtomic(out.svg, svg);
    written.push(out.svg);
  }
  if (out.png) {
    writeFileAtomic(out.png, await svgToPng(svg, { width: out.pngWidth }));
    written.push(out.png);
  }
  return written;
}

/** Options of `ecg-tlc explain` for figures (`--svg`, `--png`, `--layout`, `--gradcam`). */
export interface FigureFileOptions {
  svg?: string;
  png?: string;
  layout?: string;
  gradcam?: boolean;
  /** Several records in one call: the record name is added to each file name. */
  several?: boolean;
  /** The explainer's own cluster names (else each figure names them from its own record). */
  clusterWaves?: (string | null)[];
}

/** Reads the record at `path` again, renders its explanation and writes the requested files. */
export async function writeFigureFiles(
  model: FigureModel,
  path: string,
  explanation: ExplanationView,
  opts: FigureFileOptions,
): Promise<string[]> {
  if (!opts.svg && !opts.png) return [];
  const layout = parseLayout(opts.layout);
  const record = readRecord(path);
  const svg = await explanationFigure(model, record, explanation, {
    layout,
    withGradcam: opts.gradcam,
    clusterWaves: opts.clusterWaves?.map((w) => w ?? undefined),
  });
  const several = opts.several ?? false;
  return writeExplanationFigure(svg, {
    svg: opts.svg && figurePath(opts.svg, explanation.record, several),
    png: opts.png && figurePath(opts.png, explanation.record, several),
  });
}

/** `--layout`: "standard" (4x3 + rhythm strip, the default) or "column" (one row per lead). */
export function parseLayout(value: string | undefined): "standard" | "column" {
  if (value === undefined || value === "standard" || value === "4x3") return "standard";
  if (value === "column" || value === "12x1") return "column";
  throw new UsageError(
    `--layout: expected 'standard' (4x3 + rhythm strip) or 'column' (one row per lead), got '${value}'`,
  );
}
