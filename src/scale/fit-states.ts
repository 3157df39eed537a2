/**
 * The state pass of a sharded two-level fit: the second of the two passes `Tlc.fit` makes, run
 * in shards once the wave pass is merged. Given the wave explainer, each shard passes its ECGs
 * through the model once and keeps, per wave cluster, a uniform reservoir of at most maxPoints
 * raw state-tap vectors of that wave's steps (one .npy, float32: the waves' rows one after
 * another, how many per wave in the manifest) and the column statistics of every state-tap
 * vector. Merging draws per wave a uniform sample of the union (mergeReservoirs: a hypergeometric
 * draw over what each shard saw of that wave), merges the statistics and clusters the states as
 * a single-process fit clusters its own; when every wave's vectors fit in maxPoints the samples
 * are all of them in dataset order and the states are the single-process fit's.
 */
import { createHash } from "node:crypto";
import type { Dataset } from "../io/index.js";
import { readNpyRows, writeNpy } from "../io/npy.js";
import type { ModelFace } from "../model/face.js";
import { Random } from "../signal/random.js";
import {
  clusterStates,
  ColumnStats,
  DEFAULT_STATE_N_INIT,
  DEFAULT_STATE_POINTS,
  sampleStates,
  statesPerWave,
  stateTaps,
  type CompositeLayout,
  type StateOptions,
  type Tlc,
} from "../tlc/index.js";
import { ShardError } from "../errors.js";
import { fitPartFile, requireFitPass, STATE_PASS } from "./fit.js";
import { checkShards } from "./merge.js";
import { commitOutput, datasetIdentity, type ShardManifest } from "./output.js";
import { ProgressMeter } from "./progress.js";
import { mergeReservoirs } from "./reservoir.js";
import { shardEntries, type Shard } from "./shard.js";

/** The state options every shard shares (the seed is the fit's, not a shard's stream). */
export interface StatePassOptions {
  taps: string[];
  k: number;
  leaves: number | null;
  seed: number;
  nInit: number;
  /** null: every vector. */
  maxPoints: number | null;
}

interface StatePayload {
  layout: CompositeLayout;
  stats: ReturnType<ColumnStats["toJSON"]>;
  /** Per wave: the steps the shard's ECGs gave it. */
  seen: number[];
  /** Per wave: the rows of its sample, in the .npy after the earlier waves'. */
  stored: number[];
  options: StatePassOptions;
}

/** `opts` resolved and checked against the model; the seed defaults to the wave fit's. */
export function resolveStatePass(
  model: ModelFace,
  waves: Tlc,
  opts: StateOptions,
): StatePassOptions {
  const cap = opts.maxPoints ?? DEFAULT_STATE_POINTS;
  return {
    taps: stateTaps(model, opts.taps),
    k: statesPerWave(opts),
    leaves: opts.leaves ?? null,
    seed: opts.seed ?? waves.options.seed,
    nInit: opts.nInit ?? DEFAULT_STATE_N_INIT,
    maxPoints: Number.isFinite(cap) ? cap : null,
  };
}

/**
 * Shard `shard` of the state pass through `waves` (the wave explainer, its file's SHA-256 in
 * `explainerSha256`): its per-wave samples into `out` (.npy) and the manifest.
 */
export async function writeStateShard(
  model: ModelFace,
  dataset: Dataset,
  waves: Tlc,
  opts: { out: string; shard?: Shard; explainerSha256: string; options: StateOptions },
): Promise<ShardManifest> {
  waves.checkModel(model);
  const entries = shardEntries(dataset.entries, opts.shard);
  const o = resolveStatePass(model, waves, opts.options);
  const meter = new ProgressMeter("fit", entries.length);
  let shown = 0;
  const sample = await sampleStates(model, dataset, entries, waves.wavePass(model), {
    taps: o.taps,
    maxPoints: o.maxPoints ?? Infinity,
    // each shard its own reservoir stream (the k-means seed stays the fit's)
    seed: o.seed + 7919 * ((opts.shard?.index ?? 0) + 1),
    batch: opts.options.batch,
    onProgress: (p) => {
      meter.add(p.done - shown);
      shown = p.done;
    },
  });
  const D = sample.layout.dims;
  const stored = sample.pools.map((p) => p.length / D);
  const rows = new Float32Array(stored.reduce((a, b) => a + b, 0) * D);
  let at = 0;
  for (const p of sample.pools) {
    rows.set(p, at);
    at += p.length;
  }
  writeNpy(opts.out, rows, [rows.length / D, D]);
  const payload: StatePayload = {
    layout: sample.layout,
    stats: sample.stats.toJSON(),
    seen: sample.seen,
    stored,
    options: o,
  };
  return commitOutput(
    opts.out,
    {
      command: STATE_PASS,
      shard: opts.shard,
      dataset: datasetIdentity(dataset),
      inputs: {
        model: model.fingerprint,
        explainer: opts.explainerSha256,
        options: createHash("sha256").update(JSON.stringify(o)).digest("hex"),
      },
      payload,
      records: entries.length,
    },
    meter.cost(),
  );
}

/**
 * Checks the state pass's outputs (every shard once, the same model, wave explainer and
 * options), merges their samples wave by wave and clusters the states: `waves` with its second
 * level. Reads one wave of every shard at a time.
 */
export async function mergeStateShards(
  partsPaths: string[],
  model: ModelFace,
  waves: Tlc,
  opts: {
    explainerSha256: string;
    expectShards?: number;
    threads?: number;
  },
): Promise<{ tlc: Tlc; seen: number; sampled: number; shards: ShardManifest[] }> {
  requireFitPass(partsPaths, "states");
  waves.checkModel(model);
  const checked = checkShards(partsPaths, opts.expectShards);
  const parts = checked.map((c) => {
    const { part, manifest: m } = c;
    if (m.inputs.explainer !== opts.explainerSha256)
      throw new ShardError(
        `${part}: its shard read the wave explainer ${m.inputs.explainer.slice(0, 12)}, not this one (${opts.explainerSha256.slice(0, 12)}): merge with the explainer the state pass read`,
      );
    const file = fitPartFile(c, model);
    const p = m.payload as StatePayload;
    if (
      JSON.stringify(p.layout) !==
      JSON.stringify((checked[0].manifest.payload as StatePayload).layout)
    )
      throw new ShardError(`${part}: state taps' layout differs from ${checked[0].part}'s`);
    const rows = p.stored.reduce((a, b) => a + b, 0);
    const { shape } = readNpyRows(file, 0, 0);
    if (p.seen.length !== waves.k || shape[0] !== rows || shape[1] !== p.layout.dims)
      throw new ShardError(
        `${file}: shape [${shape}] for ${p.seen.length} waves, its manifest says ${rows} x ${p.layout.dims} for ${waves.k}`,
      );
    const offsets = [0];
    for (const n of p.stored) offsets.push(offsets[offsets.length - 1] + n);
    return { file, p, offsets };
  });
  const t0 = performance.now();
  const { layout, options: o } = parts[0].p;
  const D = layout.dims;
  const stats = new ColumnStats(D);
  for (const { p } of parts) stats.merge(ColumnStats.fromJSON(p.stats));
  const rng = new Random(o.seed ^ 0x7e11);
  const pools: Float32Array[] = [];
  const seen: number[] = [];
  for (let w = 0; w < waves.k; w++) {
    const merged = mergeReservoirs(
      parts.map(({ file, p, offsets }) => ({
        points: readNpyRows(file, offsets[w], p.stored[w]).data,
        stored: p.stored[w],
        seen: p.seen[w],
      })),
      D,
      o.maxPoints ?? Infinity,
      rng,
      `vectors of wave ${w}`,
    );
    pools.push(merged.points);
    seen.push(merged.seen);
  }
  const sampled = pools.reduce((a, p) => a + p.length / D, 0);
  const level = await clusterStates(
    {
      layout,
      stats,
      pools,
      seen,
      records: checked.reduce((a, c) => a + c.manifest.output.records, 0),
    },
    { k: o.k, leaves: o.leaves ?? undefined, seed: o.seed, nInit: o.nInit, threads: opts.threads },
  );
  return {
    tlc: waves.withStates(level, (performance.now() - t0) / 1000),
    seen: seen.reduce((a, b) => a + b, 0),
    sampled,
    shards: checked.map((c) => c.manifest),
  };
}
