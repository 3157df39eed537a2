/**
 * The state pass: one pass through the model with the wave and state taps, each kept fine step's
 * state vector offered to its wave's reservoir and every state-tap vector to the column
 * statistics. What a single-process fit and each shard of a sharded one run before the states
 * are clustered (states.ts).
 */
import { ParameterError } from "../errors.js";
import type { RecordSource } from "../io/datasets/types.js";
import type { ModelFace } from "../model/face.js";
import { Random } from "../signal/random.js";
import type { SoftAssignment } from "./assign.js";
import {
  ColumnStats,
  compositeLayout,
  keptSteps,
  rawComposite,
  type CompositeLayout,
} from "./features.js";
import { DEFAULT_BATCH, streamTaps, type TapBatch } from "./stream.js";

/** Vectors each wave's k-means clusters at most (a uniform reservoir sample of its steps). */
export const DEFAULT_STATE_POINTS = 50_000;

/** The default state taps of a model: its last tap (what the head pools). */
export function defaultStateTaps(model: { config: { taps: string[] } }): string[] {
  return [model.config.taps[model.config.taps.length - 1]];
}

/** The state taps, checked against the model (default: its last tap). */
export function stateTaps(model: ModelFace, taps?: string[]): string[] {
  const out = taps ?? defaultStateTaps(model);
  for (const t of out)
    if (!model.config.taps.includes(t))
      throw new ParameterError(
        "states.taps",
        `the model has no tap '${t}' (it has ${model.config.taps.join(", ")})`,
      );
  return out;
}

/** What the state level reads of the wave level for one ECG of a forwarded batch. */
export interface WaveSteps {
  /** Fine steps of the wave grid. */
  fineSteps: number;
  /** Kept fine steps [first, end). */
  range: { first: number; end: number };
  /** The wave level's soft assignment of the kept fine steps. */
  waves: SoftAssignment;
}

/** What the state pass reads of the wave level: its K, taps and each step's wave. */
export interface WavePass {
  k: number;
  taps: string[];
  steps(batch: TapBatch<unknown>, i: number, scratch: Float32Array): WaveSteps;
  scratchSize: number;
}

/**
 * The state pass's raw material, before any scaling: per wave a uniform reservoir sample of its
 * steps' state vectors and the column statistics of every state-tap vector. One shard's part of
 * a sharded state fit; shards' samples merge into the sample of the union.
 */
export interface StateSample {
  layout: CompositeLayout;
  /** Column statistics of every kept state-tap vector (raw). */
  stats: ColumnStats;
  /** Per wave: min(seen, cap) x dims raw state vectors, uniform over its steps. */
  pools: Float32Array[];
  /** Per wave: the steps the ECGs gave it. */
  seen: number[];
  records: number;
}

/**
 * One pass through the model with the wave and state taps: each kept fine step's state vector
 * offered to its wave's reservoir (so a wave's sample is uniform over its steps; the reservoirs'
 * random stream from `seed`), and every state-tap vector to the column statistics.
 */
export async function sampleStates<E>(
  model: ModelFace,
  dataset: RecordSource<E>,
  entries: E[],
  wave: WavePass,
  opts: {
    /** Taps the states read (default: the model's last tap). */
    taps?: string[];
    /** The reservoirs' random stream. */
    seed?: number;
    /** Vectors per wave kept at most (default DEFAULT_STATE_POINTS). */
    maxPoints?: number;
    batch?: number;
    onProgress?: (p: { stage: "states"; done: number; total: number }) => void;
  } = {},
): Promise<StateSample> {
  const taps = stateTaps(model, opts.taps);
  const cap = opts.maxPoints ?? DEFAULT_STATE_POINTS;
  const rng = new Random((opts.seed ?? 0) + 1);
  const K1 = wave.k;
  const all = [...new Set([...wave.taps, ...taps])];
  let layout: CompositeLayout | null = null;
  let stats: ColumnStats | null = null;
  const pools: Float32Array[] = [];
  const seen = new Array<number>(K1).fill(0);
  const scratch = new Float32Array(wave.scratchSize);
  let done = 0;
  for await (const batch of streamTaps(model, dataset, entries, all, opts.batch ?? DEFAULT_BATCH)) {
    if (!layout) {
      layout = compositeLayout(taps, batch.taps);
      stats = new ColumnStats(layout.dims);
      // Pools grow to `cap` vectors as steps arrive, so a small dataset holds only what it gives.
      for (let w = 0; w < K1; w++) pools.push(new Float32Array(Math.min(cap, 4096) * layout.dims));
    }
    const D = layout.dims;
    for (let i = 0; i < batch.prepared.length; i++) {
      const s = keptSteps(layout.fineSteps, batch.prepared[i]);
      const x = rawComposite(layout, batch.taps, i, s.first, s.end);
      stats!.add(x, s.end - s.first);
      const { fineSteps, range, waves } = wave.steps(batch, i, scratch);
      for (let t = range.first; t < range.end; t++) {
        const w = waves.labels[t - range.first];
        const r = clampRow(stateStep(t, fineSteps, layout.fineSteps), s) - s.first;
        const n = seen[w]++;
        // Reservoir sampling per wave (Algorithm R).
        const slot = n < cap ? n : Math.floor(rng.next() * (n + 1));
        if (slot >= cap) continue;
        if ((slot + 1) * D > pools[w].length) {
          const grown = new Float32Array(Math.min(cap, 2 * (pools[w].length / D)) * D);
          grown.set(pools[w]);
          pools[w] = grown;
        }
        pools[w].set(x.subarray(r * D, (r + 1) * D), slot * D);
      }
    }
    done += batch.prepared.length;
    opts.onProgress?.({ stage: "states", done, total: entries.length });
  }
  if (!layout) throw new RangeError("state fit: no training records");
  const D = layout.dims;
  return {
    layout,
    stats: stats!,
    pools: pools.map((pool, w) => pool.subarray(0, Math.min(seen[w], cap) * D)),
    seen,
    records: entries.length,
  };
}

/** The state step fine step t reads (the composite's nearest upsampling). */
export function stateStep(t: number, fineSteps: number, stateSteps: number): number {
  return Math.floor((t * stateSteps) / fineSteps);
}

/** Row r clamped to the kept steps [first, end). */
export function clampRow(r: number, s: { first: number; end: number }): number {
  return Math.min(s.end - 1, Math.max(s.first, r));
}
