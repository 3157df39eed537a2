/**
 * What the explorer sends the page (the page's types come from here, web/ is checked against
 * them): one explained ECG as one block's view, and a Grad-CAM map, both rounded for the wire.
 */
import {
  predictedLabels,
  segmentsOf,
  topClass,
  type Explanation,
  type Segment,
} from "../explain/explanation.js";
import type { Leaves } from "../explain/levels.js";
import type { EcgRecord } from "../types.js";
import { HttpError } from "./http-error.js";
import {
  COMBINED,
  selectBlock,
  type BlockView,
  type Explainer,
  type ExplorerGradcam,
} from "./explainer.js";

/** Rounds for the wire: 1e-4 is far below what a screen or an ECG reader resolves. */
export function round4(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.round(values[i] * 1e4) / 1e4;
  return out;
}

/** A record's signal for drawing: one array per lead. */
export interface SignalJson {
  fs: number;
  samples: number;
  leads: string[];
  units: string[];
  data: number[][];
}

/**
 * Most signal values sent for drawing (12 leads x 87 s at 1 kHz, about 8 MB of JSON, written in
 * about 0.1 s): a four-hour Holter took 9 s and 217 MB, and no network window is that long.
 */
const MAX_SIGNAL_VALUES = 2 ** 20;

/** The record's signal, one array per lead, for drawing. */
export function signalJson(record: EcgRecord): SignalJson {
  const values = record.samples * record.leads.length;
  if (values > MAX_SIGNAL_VALUES) {
    throw new HttpError(
      413,
      `signal: ${record.samples} samples x ${record.leads.length} leads is too long to send (limit ${MAX_SIGNAL_VALUES} values); choose a segment with from/to`,
    );
  }
  const data: number[][] = [];
  for (let l = 0; l < record.leads.length; l++) {
    data.push(round4(record.signal.subarray(l * record.samples, (l + 1) * record.samples)));
  }
  return { fs: record.fs, samples: record.samples, leads: record.leads, units: record.units, data };
}

/** A Grad-CAM map as the page draws it: per sample in [0, 1], with the maximum it was scaled by. */
export interface GradcamJson {
  tap: string;
  target: string;
  max: number;
  values: number[];
}

/**
 * A Grad-CAM map for the wire: per source sample, scaled to its maximum (only its shape over time
 * is comparable across ECGs, as in the figures), with that maximum beside it.
 */
export function gradcamJson(g: ExplorerGradcam): GradcamJson {
  let max = 0;
  for (let i = 0; i < g.samples.length; i++) if (g.samples[i] > max) max = g.samples[i];
  const values = new Array<number>(g.samples.length);
  for (let i = 0; i < values.length; i++) {
    values[i] = max > 0 ? Math.round((Math.max(0, g.samples[i]) / max) * 1e4) / 1e4 : 0;
  }
  return { tap: g.tap, target: g.target, max, values };
}

/** What the explorer says about itself (`GET /api/health`): the model, the clusters, the data. */
export interface Health {
  status: "ok";
  classes: string[];
  thresholds: number[];
  k: number;
  clusterWaves: (string | null)[] | null;
  blockWaves: Record<string, (string | null)[] | null>;
  records: number;
  labels: string[];
  folds: number[];
  indexed: number;
  blocks: string[];
  /** A two-level explainer's leaves (wave cluster · state); null for a single-level one. */
  leaves: Leaves | null;
  gradcam: boolean;
  labelsComparable: boolean;
  gradcamTaps: string[];
  gradcamTap: string | null;
  /** Upload size limit (bytes), uploads at once, the body deadline, and the memory they may take. */
  uploads: { limit: number; slots: number; deadlineMs: number; memoryBound: number };
}

/** One explained ECG as the page shows it, a dataset record's or an upload's alike. */
export interface RecordView {
  /** The dataset id, or the uploaded record's name. */
  id: string;
  /** True labels (none for an upload). */
  labels: string[];
  fold: number | null;
  age: number | null;
  outputs: Record<string, number>;
  /** The classes the model predicts (`predictedLabels`). */
  predicted: string[];
  /** The most probable class: the default Grad-CAM target (`topClass`). */
  topClass: string;
  classes: string[];
  k: number;
  /** The wave each cluster of this block stands for, when known. */
  clusterWaves: (string | null)[] | null;
  blocks: string[];
  view: BlockView;
  /** The states within the wave clusters (two-level explainers, combined clusters only). */
  states: StateView | null;
  signal: SignalJson;
}

/** The second level of an explained ECG: each sample's leaf (wave cluster · state). */
export interface StateView {
  /** Each leaf's name and wave cluster (index = leaf). */
  names: string[];
  waves: number[];
  /** Leaf per sample, its runs, and the state entropy (within the step's wave) per sample. */
  leaves: number[];
  segments: Segment[];
  entropy: number[];
  /** Each leaf's share of the ECG's steps. */
  proportions: number[];
  meanEntropy: number;
}

/** The state view of an explanation, when the explainer and the block have one. */
export function stateView(
  leaves: Leaves | undefined,
  e: Explanation,
  block: string,
): StateView | null {
  if (!leaves || block !== COMBINED || !e.leaves || !e.stateEntropy) return null;
  return {
    names: leaves.names,
    waves: leaves.waves,
    leaves: e.leaves,
    segments: segmentsOf(e.leaves, e.stateEntropy),
    entropy: round4(e.stateEntropy),
    proportions: e.leafProportions ?? [],
    meanEntropy: e.meanStateEntropy ?? 0,
  };
}

/** The page's view of `block` of an explained record. */
export function recordView(
  explainer: Explainer,
  record: EcgRecord,
  explanation: Explanation,
  opts: {
    id: string;
    block: string;
    blocks: string[];
    clusterWaves: (string | null)[] | null;
    entry?: { labels: string[]; fold?: number; age?: number };
  },
): RecordView {
  const view = selectBlock(explanation, opts.block);
  return {
    id: opts.id,
    labels: opts.entry?.labels ?? [],
    fold: opts.entry?.fold ?? null,
    age: opts.entry?.age ?? null,
    outputs: explanation.outputs,
    predicted: predictedLabels(explainer, explanation.outputs),
    topClass: topClass(explainer.classes, explanation.outputs),
    classes: explainer.classes,
    k: explainer.k,
    clusterWaves: opts.clusterWaves,
    blocks: opts.blocks,
    view: { ...view, entropy: round4(view.entropy) },
    states: stateView(explainer.leaves, explanation, opts.block),
    signal: signalJson(record),
  };
}
