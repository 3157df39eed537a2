/**
 * The second level of a two-level explainer: within each wave cluster, the *states* of what the
 * network's head reads there (docs/EVIDENCE.md, "Two levels"). The wave says where in the beat a
 * step is; the state says what the network made of it. States are fitted per wave (k-means on the
 * vectors of that wave's steps), so a step's leaf (wave, state) never straddles waves. The vectors
 * are the last tap as a pooling head reads it: standardised with training statistics, not centred
 * and not scaled per record.
 *
 * Everything lives on the wave level's fine grid: fine step t reads state step floor(t T_s / T),
 * the nearest upsampling the composite vectors use.
 */
import { ParameterError } from "../errors.js";
import type { RecordSource } from "../io/datasets/types.js";
import type { ModelFace } from "../model/face.js";
import { sharedVariance, softAssign } from "./assign.js";
import {
  composite,
  keptSteps,
  scaleColumns,
  type CompositeLayout,
  type CompositeSpec,
} from "./features.js";
import type { ClusterFit } from "./fit.js";
import { kmeans } from "./kmeans.js";
import {
  clampRow,
  sampleStates,
  stateStep,
  stateTaps,
  type StateSample,
  type WavePass,
  type WaveSteps,
} from "./state-pass.js";
import type { TapBatch } from "./stream.js";

/**
 * States per wave (docs/EVIDENCE.md, "Two levels, built"): through `fit` and `evaluate` on PTB-XL,
 * 4 per wave (24 leaves) gave 97.5 % fidelity and a 2.1-point label-AUROC gap, 5 (30 leaves)
 * 97.9 % and 1.7: the first on the plateau that meets both targets.
 */
export const DEFAULT_STATES_PER_WAVE = 5;
/**
 * k-means restarts of each wave's states: with 5 states per wave, two fits with other seeds give
 * the same state to 89.0 % of held-out steps with 3 restarts and 94.0 % with 10
 * (bench/state-stability.ts).
 */
export const DEFAULT_STATE_N_INIT = 10;
/** Level 2: per wave cluster, the k-means of its steps' head-side vectors. */
export interface StateLevel {
  /** The taps the states read (by default the model's last: what its head pools). */
  layout: CompositeLayout;
  /** Training-set standardisation, weight 1, not centred. */
  spec: CompositeSpec;
  /** Per wave cluster w: its states (k_w of them; fewer when the wave had fewer vectors). */
  fits: ClusterFit[];
  /** Per wave, per state: what it means to the network (e.g. "CD-like"), when named. */
  names?: string[][];
}

export interface StateOptions {
  /** Taps the states read (default: the model's last tap). */
  taps?: string[];
  /** States per wave (default DEFAULT_STATES_PER_WAVE). */
  k?: number;
  /**
   * Instead of `k` per wave: this many leaves in all, spread greedily over the waves, each next
   * state going to the wave whose split lowers the within-state sum of squares (scaled to all of
   * its steps) the most: states where the head's input varies, not where it does not.
   */
  leaves?: number;
  seed?: number;
  /** k-means restarts (default DEFAULT_STATE_N_INIT). */
  nInit?: number;
  /** Vectors per wave clustered at most (default DEFAULT_STATE_POINTS). */
  maxPoints?: number;
  threads?: number;
  batch?: number;
  onProgress?: (p: { stage: "states"; done: number; total: number }) => void;
}

/** First leaf of each wave's states, and the number of leaves (after the last wave). */
export function leafOffsets(level: Pick<StateLevel, "fits">): number[] {
  const out = [0];
  for (const f of level.fits) out.push(out[out.length - 1] + f.k);
  return out;
}

/**
 * Each leaf's name, its wave cluster's and its state's: "C1 QRS · CD-like" (the wave's name when
 * the explainer stores one, the state's number where the state has no name: "C1 · 2").
 */
export function leafNames(
  level: Pick<StateLevel, "fits" | "names">,
  waveNames?: readonly (string | null)[],
): string[] {
  const out: string[] = [];
  level.fits.forEach((f, w) => {
    const wave = waveNames?.[w] ? `C${w} ${waveNames[w]}` : `C${w}`;
    for (let q = 0; q < f.k; q++) out.push(`${wave} · ${level.names?.[w]?.[q] ?? q}`);
  });
  return out;
}

/** The wave of each leaf. */
export function leafWaves(level: Pick<StateLevel, "fits">): number[] {
  const out: number[] = [];
  level.fits.forEach((f, w) => {
    for (let q = 0; q < f.k; q++) out.push(w);
  });
  return out;
}

/** States per wave, checked (default DEFAULT_STATES_PER_WAVE). */
export function statesPerWave(opts: Pick<StateOptions, "k">): number {
  const k = opts.k ?? DEFAULT_STATES_PER_WAVE;
  if (!Number.isInteger(k) || k < 1)
    throw new ParameterError("states.k", `expected a whole number >= 1, got ${k}`);
  return k;
}

/**
 * Fits the states: the state pass (`sampleStates`), then per-column training statistics and
 * k-means per wave (`clusterStates`).
 */
export async function fitStateLevel<E>(
  model: ModelFace,
  dataset: RecordSource<E>,
  entries: E[],
  wave: WavePass,
  opts: StateOptions = {},
): Promise<StateLevel> {
  const taps = stateTaps(model, opts.taps);
  statesPerWave(opts);
  const sample = await sampleStates(model, dataset, entries, wave, { ...opts, taps });
  return clusterStates(sample, opts);
}

/**
 * The states of a state sample (one process's, or the shards' merged): training statistics of
 * the state taps, then k-means per wave (or `leaves` spread over the waves). Scales the pools in
 * place.
 */
export async function clusterStates(
  sample: StateSample,
  opts: Omit<StateOptions, "taps" | "maxPoints" | "batch"> = {},
): Promise<StateLevel> {
  const K2 = statesPerWave(opts);
  const seed = opts.seed ?? 0;
  const { layout, pools, seen } = sample;
  const { mean, std } = sample.stats.finish();
  const spec: CompositeSpec = { weights: layout.taps.map(() => 1), mean, std, centre: false };
  const D = layout.dims;
  const samples = pools.map((points, w) => {
    const rows = points.length / D;
    scaleColumns(points, rows, layout, spec);
    return { points, rows, seen: seen[w] };
  });
  const fits = opts.leaves
    ? await allocateLeaves(samples, D, opts.leaves, seed, opts)
    : await Promise.all(
        samples.map((p) => clusterWave(p.points, p.rows, D, Math.min(K2, p.rows), seed, opts)),
      );
  return { layout, spec, fits };
}

/**
 * `leaves` states over the waves, greedily: every wave starts with one state, then each next state
 * goes to the wave whose next k-means lowers the inertia of all its steps (the sample's, scaled
 * by seen / rows) the most.
 */
async function allocateLeaves(
  samples: { points: Float32Array; rows: number; seen: number }[],
  D: number,
  leaves: number,
  seed: number,
  opts: Pick<StateOptions, "nInit" | "threads">,
): Promise<ClusterFit[]> {
  const present = samples.filter((p) => p.rows > 0).length;
  if (!Number.isInteger(leaves) || leaves < present)
    throw new ParameterError(
      "states.leaves",
      `expected a whole number of leaves >= ${present} (one per wave cluster), got ${leaves}`,
    );
  const fit = (w: number, k: number) =>
    clusterWave(samples[w].points, samples[w].rows, D, Math.min(k, samples[w].rows), seed, opts);
  const scaled = (w: number, f: ClusterFit) => (f.inertia * samples[w].seen) / samples[w].rows;
  const current = await Promise.all(samples.map((p, w) => fit(w, p.rows ? 1 : 0)));
  const next = await Promise.all(samples.map((p, w) => (p.rows > 1 ? fit(w, 2) : null)));
  let used = present;
  while (used < leaves) {
    let best = -1;
    let gain = 0;
    next.forEach((f, w) => {
      if (!f || f.k <= current[w].k) return;
      const g = scaled(w, current[w]) - scaled(w, f);
      if (best < 0 || g > gain) [best, gain] = [w, g];
    });
    if (best < 0) break; // every wave has as many states as sampled vectors
    current[best] = next[best]!;
    used++;
    const k = current[best].k + 1;
    next[best] = k <= samples[best].rows ? await fit(best, k) : null;
  }
  return current;
}

async function clusterWave(
  points: Float32Array,
  rows: number,
  D: number,
  k: number,
  seed: number,
  opts: Pick<StateOptions, "nInit" | "threads">,
): Promise<ClusterFit> {
  if (k === 0) {
    // A wave no training step fell into: no states, no leaves.
    return {
      columns: [0, D],
      centroids: new Float32Array(0),
      k: 0,
      sigma2: 1,
      inertia: 0,
      iterations: 0,
    };
  }
  const nInit = opts.nInit ?? DEFAULT_STATE_N_INIT;
  const r = await kmeans(points, D, { k, seed, nInit, threads: opts.threads });
  return {
    columns: [0, D],
    centroids: r.centroids,
    k,
    sigma2: sharedVariance(r.inertia, rows, D),
    inertia: r.inertia,
    iterations: r.iterations,
  };
}

/** One ECG's two levels on the kept fine steps of the wave grid. */
export interface LeafAssignment {
  /** State (within its wave) per kept fine step. */
  states: Int32Array;
  /** Leaf per kept fine step. */
  leaves: Int32Array;
  /** Normalised entropy of the state posterior (within the step's wave) per kept fine step. */
  entropy: Float64Array;
  /** Hard leaf proportions over the kept fine steps (sum 1). */
  proportions: number[];
  /** Mean over the kept fine steps of p(wave) x p(state | wave): soft leaf proportions. */
  softProportions: number[];
}

/** The leaves of item `i` of a forwarded batch, given its wave assignment. */
export function assignLeaves(
  level: StateLevel,
  batch: Pick<TapBatch<unknown>, "taps" | "prepared">,
  i: number,
  wave: WaveSteps,
): LeafAssignment {
  const { layout, spec, fits } = level;
  const s = keptSteps(layout.fineSteps, batch.prepared[i]);
  const rows = s.end - s.first;
  const D = layout.dims;
  const x = composite(layout, spec, batch.taps, i, s);
  // Every state step against every wave's states: a few dozen rows, a few states each.
  const perWave = fits.map((f) =>
    f.k ? softAssign(x, rows, D, f.centroids, f.k, f.sigma2) : null,
  );
  const offsets = leafOffsets(level);
  const L = offsets[offsets.length - 1];
  const { range, waves, fineSteps } = wave;
  const n = range.end - range.first;
  const K1 = fits.length;
  const states = new Int32Array(n);
  const leaves = new Int32Array(n);
  const entropy = new Float64Array(n);
  const hard = new Float64Array(L);
  const soft = new Float64Array(L);
  for (let j = 0; j < n; j++) {
    const r = clampRow(stateStep(range.first + j, fineSteps, layout.fineSteps), s) - s.first;
    const w = waves.labels[j];
    const a = perWave[w];
    const q = a ? a.labels[r] : 0;
    states[j] = q;
    leaves[j] = offsets[w] + q;
    entropy[j] = a && fits[w].k > 1 ? a.entropy[r] : 0;
    hard[offsets[w] + q] += 1;
    for (let v = 0; v < K1; v++) {
      const b = perWave[v];
      const pw = waves.probs[j * K1 + v];
      if (!b || pw === 0) continue;
      const k = fits[v].k;
      for (let u = 0; u < k; u++) soft[offsets[v] + u] += pw * b.probs[r * k + u];
    }
  }
  return {
    states,
    leaves,
    entropy,
    proportions: Array.from(hard, (v) => (n ? v / n : 0)),
    softProportions: Array.from(soft, (v) => (n ? v / n : 0)),
  };
}
