/**
 * The explainer file: everything needed to explain without the training data (`Tlc.save`,
 * `Tlc.load`). Files written by every earlier version still load.
 */
import type { ClusterWaves } from "../types.js";
import type { CompositeLayout, CompositeSpec } from "./features.js";
import { recordScaleExponent, type ClusterFit, type ResolvedOptions } from "./fit.js";
import type { StateLevel } from "./states.js";

export interface ClusterJson {
  columns: [number, number];
  k: number;
  centroids: number[][];
  sigma2: number;
  inertia: number;
  iterations: number;
}

/** The explainer as saved on disk. */
export interface TlcJson {
  format: "ecg-tlc-explainer";
  version: 1;
  model: { fingerprint: string; preset?: string; classes: string[] };
  taps: string[];
  channels: number[];
  steps: number[];
  fineSteps: number;
  weights: number[];
  centre: boolean;
  /** Per-record scaling exponent (absent when off, and in explainers saved before it existed). */
  recordScale?: number | boolean;
  scaler: { mean: number[]; std: number[] };
  k: number;
  seed: number;
  options: Omit<ResolvedOptions, "taps" | "k" | "seed">;
  centroids: number[][];
  sigma2: number;
  inertia: number;
  points: number;
  records: number;
  dims: number;
  iterations: number;
  seconds: number;
  blocks: Record<string, ClusterJson>;
  /** The wave each cluster stands for, from a sample of the training ECGs (absent in explainers
   * written before names were stored, or fitted with `--name-ecgs 0`). */
  clusterWaves?: ClusterWaves;
  /** The second level (absent in single-level explainers and those saved before it existed). */
  states?: StatesJson;
}

/** The state level as saved: per wave cluster, its states' k-means on the state taps. */
export interface StatesJson {
  taps: string[];
  channels: number[];
  steps: number[];
  fineSteps: number;
  scaler: { mean: number[]; std: number[] };
  /** One clustering per wave cluster, in wave order. */
  waves: ClusterJson[];
  /** Per wave, per state: its name. */
  names?: string[][];
}

/** What a fitted explainer holds (`Tlc`'s fields). */
export interface TlcParts {
  /** The fingerprint of the model it was fitted on. */
  fingerprint: string;
  layout: CompositeLayout;
  spec: CompositeSpec;
  main: ClusterFit;
  blockFits: Record<string, ClusterFit>;
  options: ResolvedOptions;
  info: { points: number; records: number; seconds: number; preset?: string; classes: string[] };
  /** What each cluster stands for (see `Tlc.withClusterWaves`). */
  waves?: ClusterWaves;
  /** The second level: states within each wave cluster. */
  states?: StateLevel;
}

export function clusterToJson(c: ClusterFit): ClusterJson {
  const w = c.columns[1] - c.columns[0];
  const centroids: number[][] = [];
  for (let q = 0; q < c.k; q++)
    centroids.push(Array.from(c.centroids.subarray(q * w, (q + 1) * w)));
  return {
    columns: c.columns,
    k: c.k,
    centroids,
    sigma2: c.sigma2,
    inertia: c.inertia,
    iterations: c.iterations,
  };
}

export function clusterFromJson(j: ClusterJson): ClusterFit {
  const w = j.columns[1] - j.columns[0];
  const centroids = new Float32Array(j.k * w);
  j.centroids.forEach((row, q) => {
    if (row.length !== w)
      throw new RangeError(`centroid ${q} has ${row.length} values, expected ${w}`);
    centroids.set(row, q * w);
  });
  return {
    columns: j.columns,
    k: j.k,
    centroids,
    sigma2: j.sigma2,
    inertia: j.inertia,
    iterations: j.iterations,
  };
}

export function partsToJson(p: TlcParts): TlcJson {
  const { taps, k, seed, ...rest } = p.options;
  const blocks: Record<string, ClusterJson> = {};
  for (const [name, c] of Object.entries(p.blockFits)) blocks[name] = clusterToJson(c);
  const main = clusterToJson(p.main);
  return {
    format: "ecg-tlc-explainer",
    version: 1,
    model: { fingerprint: p.fingerprint, preset: p.info.preset, classes: p.info.classes },
    taps,
    channels: p.layout.channels,
    steps: p.layout.steps,
    fineSteps: p.layout.fineSteps,
    weights: p.spec.weights,
    centre: p.spec.centre,
    ...(p.spec.recordScale ? { recordScale: p.spec.recordScale } : {}),
    scaler: { mean: Array.from(p.spec.mean), std: Array.from(p.spec.std) },
    k,
    seed,
    options: rest,
    centroids: main.centroids,
    sigma2: main.sigma2,
    inertia: main.inertia,
    points: p.info.points,
    records: p.info.records,
    dims: p.layout.dims,
    iterations: main.iterations,
    seconds: p.info.seconds,
    blocks,
    ...(p.waves ? { clusterWaves: p.waves } : {}),
    ...(p.states ? { states: statesToJson(p.states) } : {}),
  };
}

function statesToJson(s: StateLevel): StatesJson {
  return {
    taps: s.layout.taps,
    channels: s.layout.channels,
    steps: s.layout.steps,
    fineSteps: s.layout.fineSteps,
    scaler: { mean: Array.from(s.spec.mean), std: Array.from(s.spec.std) },
    waves: s.fits.map(clusterToJson),
    ...(s.names ? { names: s.names } : {}),
  };
}

function layoutOf(taps: string[], channels: number[], steps: number[], fineSteps: number) {
  const offsets: number[] = [];
  let dims = 0;
  for (const c of channels) {
    offsets.push(dims);
    dims += c;
  }
  return { taps, channels, steps, fineSteps, offsets, dims } satisfies CompositeLayout;
}

function statesFromJson(j: StatesJson, waves: number): StateLevel {
  const layout = layoutOf(j.taps, j.channels, j.steps, j.fineSteps);
  if (j.scaler.mean.length !== layout.dims || j.scaler.std.length !== layout.dims)
    throw new RangeError(
      `state scaler has ${j.scaler.mean.length} columns, the taps give ${layout.dims}`,
    );
  if (j.waves.length !== waves)
    throw new RangeError(`states for ${j.waves.length} waves, K = ${waves}`);
  const fits = j.waves.map((c) => {
    if (c.columns[1] - c.columns[0] !== layout.dims)
      throw new RangeError(`state columns ${c.columns.join("-")} do not match ${layout.dims} dims`);
    return clusterFromJson(c);
  });
  if (j.names && (j.names.length !== waves || j.names.some((n, w) => n.length !== fits[w].k)))
    throw new RangeError("state names do not match the states");
  return {
    layout,
    spec: {
      weights: layout.taps.map(() => 1),
      mean: Float64Array.from(j.scaler.mean),
      std: Float64Array.from(j.scaler.std),
      centre: false,
    },
    fits,
    ...(j.names ? { names: j.names } : {}),
  };
}

/** The parts of a saved explainer; RangeError when they do not fit together. */
export function partsFromJson(json: TlcJson): TlcParts {
  const layout = layoutOf(json.taps, json.channels, json.steps, json.fineSteps);
  const dims = layout.dims;
  if (json.scaler.mean.length !== dims || json.scaler.std.length !== dims) {
    throw new RangeError(`scaler has ${json.scaler.mean.length} columns, the taps give ${dims}`);
  }
  const spec: CompositeSpec = {
    weights: json.weights,
    mean: Float64Array.from(json.scaler.mean),
    std: Float64Array.from(json.scaler.std),
    centre: json.centre,
    ...(json.recordScale ? { recordScale: recordScaleExponent(json.recordScale) } : {}),
  };
  const main = clusterFromJson({
    columns: [0, dims],
    k: json.k,
    centroids: json.centroids,
    sigma2: json.sigma2,
    inertia: json.inertia,
    iterations: json.iterations,
  });
  const blockFits: Record<string, ClusterFit> = {};
  for (const [name, b] of Object.entries(json.blocks ?? {})) blockFits[name] = clusterFromJson(b);
  if (json.clusterWaves && json.clusterWaves.names?.length !== json.k)
    throw new RangeError(
      `clusterWaves names ${json.clusterWaves.names?.length} clusters, K = ${json.k}`,
    );
  return {
    fingerprint: json.model.fingerprint,
    layout,
    spec,
    main,
    blockFits,
    // Explainers saved before record scaling existed did not scale.
    options: {
      ...json.options,
      recordScale: recordScaleExponent(json.recordScale ?? false),
      taps: json.taps,
      k: json.k,
      seed: json.seed,
    },
    info: {
      points: json.points,
      records: json.records,
      seconds: json.seconds,
      preset: json.model.preset,
      classes: json.model.classes,
    },
    waves: json.clusterWaves,
    ...(json.states ? { states: statesFromJson(json.states, json.k) } : {}),
  };
}
