/**
 * The per-ECG figure from a model, a record and its explanation: adds what the explanation does
 * not hold (Grad-CAM per sample, the wave each cluster covers in this ECG) and writes SVG/PNG.
 * What `ecg-tlc explain --svg/--png` calls.
 */
import { basename, extname } from "node:path";
import { ParameterError } from "../errors.js";
import { clusterWaveNames, contingency } from "../eval/alignment.js";
import { isAgeModel, type Explanation } from "../explain/explanation.js";
import { gradcamRecord } from "../explain/gradcam.js";
import type { Leaves } from "../explain/levels.js";
import type { ModelFace } from "../model/face.js";
import { delineate } from "../signal/delineate/index.js";
import { waveLabels } from "../signal/waves.js";
import type { EcgRecord } from "../types.js";
import { renderEcgFigure, type EcgFigureOptions } from "./ecg.js";
import { svgToPng, writeFileAtomic } from "./png.js";

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
  /** Overlay Grad-CAM (computed with the model) when true. */
  withGradcam?: boolean;
  /** Label clusters with the wave they cover in this ECG (delineated) when no clusterWaves. */
  waves?: boolean;
}

/** The SVG figure of one explained record. */
export async function explanationFigure(
  model: ModelFace,
  record: EcgRecord,
  explanation: Explanation,
  opts: ExplanationFigureOptions = {},
): Promise<string> {
  // Grad-CAM of the most probable class at the default tap; an age model has no class to map.
  const gradcam =
    opts.gradcam ??
    (opts.withGradcam && !isAgeModel(model.config)
      ? (await gradcamRecord(model, record, { outputs: explanation.outputs })).samples
      : undefined);
  const k = explanation.proportions.length;
  const clusterWaves =
    opts.clusterWaves ??
    (opts.waves !== false ? clusterWavesOf(record, explanation.clusters, k) : undefined);
  return renderEcgFigure(record, explanation, {
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

/** Which figure files to write for an explained record, and how to draw them. */
export interface FigureFileOptions {
  svg?: string;
  png?: string;
  layout?: string;
  gradcam?: boolean;
  /** Several records in one call: the record name is added to each file name. */
  several?: boolean;
  /** The explainer's own cluster names (else each figure names them from its own record). */
  clusterWaves?: (string | null)[];
  /** A two-level explainer's leaves (`leavesOf`): the figure shows the states too. */
  leaves?: Leaves;
}

/** Renders the explanation of `record` and writes the requested files. */
export async function writeFigureFiles(
  model: ModelFace,
  record: EcgRecord,
  explanation: Explanation,
  opts: FigureFileOptions,
): Promise<string[]> {
  if (!opts.svg && !opts.png) return [];
  const layout = parseLayout(opts.layout);
  const svg = await explanationFigure(model, record, explanation, {
    layout,
    withGradcam: opts.gradcam,
    clusterWaves: opts.clusterWaves?.map((w) => w ?? undefined),
    leaves: opts.leaves,
  });
  const several = opts.several ?? false;
  return writeExplanationFigure(svg, {
    svg: opts.svg && figurePath(opts.svg, explanation.record, several),
    png: opts.png && figurePath(opts.png, explanation.record, several),
  });
}

/** A layout: "standard" (4x3 + rhythm strip, the default) or "column" (one row per lead). */
export function parseLayout(value: string | undefined): "standard" | "column" {
  if (value === undefined || value === "standard" || value === "4x3") return "standard";
  if (value === "column" || value === "12x1") return "column";
  throw new ParameterError(
    "layout",
    `expected 'standard' (4x3 + rhythm strip) or 'column' (one row per lead), got '${value}'`,
  );
}
