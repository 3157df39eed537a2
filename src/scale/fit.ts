/**
 * A sharded TLC fit. Each shard passes its ECGs through the model once and keeps a uniform
 * reservoir sample of at most maxPoints composite vectors (a .npy, float32, rows x dims) with the
 * column statistics of every vector it saw (in its manifest). Merging draws, from the shards'
 * samples, a uniform sample of the union: how many vectors come from each shard is a
 * multivariate hypergeometric draw over the vectors each shard saw, then that many of its sample
 * are picked at random. The merged sample is clustered as a single-process fit clusters its own;
 * when every vector fits in maxPoints the merged sample is every vector in dataset order, and
 * the explainer equals the single-process one.
 */
import { createHash } from "node:crypto";
import type { ModelFace } from "../model/face.js";
import { dirname, join } from "node:path";
import { ModelMismatchError, ShardError, UsageError } from "../errors.js";
import type { Dataset } from "../io/index.js";
import { readNpy, writeNpy } from "../io/npy.js";
import { Random } from "../signal/random.js";
import {
  ColumnStats,
  resolveOptions,
  sampleVectors,
  Tlc,
  type CompositeLayout,
  type TlcOptions,
  type VectorSample,
} from "../tlc/index.js";
import { commitOutput, datasetIdentity, sha256File, type ShardManifest } from "./output.js";
import { ProgressMeter } from "./progress.js";
import { checkShards } from "./merge.js";
import { shardEntries, type Shard } from "./shard.js";

interface FitPayload {
  layout: CompositeLayout;
  stats: ReturnType<ColumnStats["toJSON"]>;
  seen: number;
  stored: number;
  /** The resolved fit options every shard must share. */
  options: ReturnType<typeof resolveOptions>;
}

/** Shard `shard` of a sharded fit: its vector sample into `out` (.npy) and the manifest. */
export async function writeFitShard(
  model: ModelFace,
  dataset: Dataset,
  opts: { out: string; shard?: Shard; options: TlcOptions },
): Promise<ShardManifest> {
  const entries = shardEntries(dataset.entries, opts.shard);
  const o = resolveOptions(opts.options, model);
  if (o.streaming) throw new UsageError("a sharded fit samples in memory: no streaming");
  const meter = new ProgressMeter("fit", entries.length);
  // each shard its own reservoir stream (the k-means seed stays the fit's)
  const sampling = { ...o, seed: o.seed + 7919 * ((opts.shard?.index ?? 0) + 1) };
  let shown = 0;
  const sample = await sampleVectors(model, dataset, entries, sampling, {
    ...opts.options,
    onProgress: (p) => {
      if (p.stage !== "features") return;
      meter.add(p.done - shown);
      shown = p.done;
    },
  });
  writeNpy(opts.out, sample.points, [sample.stored, sample.layout.dims]);
  const payload: FitPayload = {
    layout: sample.layout,
    stats: sample.stats.toJSON(),
    seen: sample.seen,
    stored: sample.stored,
    options: o,
  };
  return commitOutput(
    opts.out,
    {
      command: "fit",
      shard: opts.shard,
      dataset: datasetIdentity(dataset),
      inputs: {
        model: model.fingerprint,
        options: createHash("sha256").update(JSON.stringify(o)).digest("hex"),
      },
      payload,
      records: entries.length,
    },
    meter.cost(),
  );
}

/** Draws `m` of the populations' members without replacement: how many from each. */
function hypergeometric(sizes: number[], m: number, rng: Random): number[] {
  const left = [...sizes];
  let total = left.reduce((a, b) => a + b, 0);
  const counts = sizes.map(() => 0);
  for (let d = 0; d < m; d++, total--) {
    let u = Math.floor(rng.next() * total);
    let s = 0;
    while (u >= left[s]) u -= left[s++];
    left[s]--;
    counts[s]++;
  }
  return counts;
}

/** Merges the shards' samples into one uniform sample of at most maxPoints of all vectors. */
export function mergeSamples(
  parts: { sample: VectorSample; maxPoints: number | null }[],
  seed: number,
): VectorSample {
  const first = parts[0].sample;
  const D = first.layout.dims;
  const seen = parts.reduce((a, p) => a + p.sample.seen, 0);
  const max = parts[0].maxPoints ?? Infinity;
  const m = Math.min(max, seen);
  const rng = new Random(seed ^ 0x5a3d);
  const all = parts.every((p) => p.sample.stored === p.sample.seen) && m === seen;
  const counts = all
    ? parts.map((p) => p.sample.seen)
    : hypergeometric(
        parts.map((p) => p.sample.seen),
        m,
        rng,
      );
  const points = new Float32Array(m * D);
  const stats = new ColumnStats(D);
  let at = 0;
  parts.forEach(({ sample: s }, i) => {
    stats.merge(s.stats);
    const c = counts[i];
    if (c > s.stored)
      throw new ShardError(
        `shard ${i} kept ${s.stored} vectors, the merged sample needs ${c} of them`,
      );
    let rows: number[];
    if (c === s.stored) rows = Array.from({ length: c }, (_, r) => r);
    else {
      // partial Fisher-Yates: c distinct rows, then in their stored order
      const idx = Array.from({ length: s.stored }, (_, r) => r);
      for (let j = 0; j < c; j++) {
        const k = j + Math.floor(rng.next() * (s.stored - j));
        [idx[j], idx[k]] = [idx[k], idx[j]];
      }
      rows = idx.slice(0, c).sort((a, b) => a - b);
    }
    for (const r of rows) points.set(s.points.subarray(r * D, (r + 1) * D), at++ * D);
  });
  return {
    layout: first.layout,
    stats,
    points,
    stored: m,
    seen,
    records: parts.reduce((a, p) => a + p.sample.records, 0),
  };
}

/** Checks a sharded fit's outputs, merges their samples and clusters them into an explainer. */
export async function mergeFitShards(
  partsPaths: string[],
  model: ModelFace,
  opts: { expectShards?: number; threads?: number; onProgress?: TlcOptions["onProgress"] } = {},
): Promise<{ tlc: Tlc; seen: number; sampled: number; shards: ShardManifest[] }> {
  const checked = checkShards(partsPaths, opts.expectShards);
  const parts = checked.map(({ part, manifest: m }) => {
    if (m.command !== "fit")
      throw new ShardError(`${part}: output of '${m.command}', not of a sharded fit`);
    if (m.inputs.model !== model.fingerprint)
      throw new ModelMismatchError(
        `${part}: sampled through model ${m.inputs.model.slice(0, 12)}, not ${model.fingerprint.slice(0, 12)}`,
      );
    const file = join(dirname(part), m.output.file);
    if (sha256File(file) !== m.output.sha256)
      throw new ShardError(
        `${file}: content differs from its manifest's SHA-256; re-run shard ${m.shard?.index ?? 0}`,
      );
    const p = m.payload as FitPayload;
    const { data, shape } = readNpy(file);
    if (shape[0] !== p.stored || shape[1] !== p.layout.dims)
      throw new ShardError(
        `${file}: shape [${shape}], its manifest says ${p.stored} x ${p.layout.dims}`,
      );
    const sample: VectorSample = {
      layout: p.layout,
      stats: ColumnStats.fromJSON(p.stats),
      points: data as Float32Array,
      stored: p.stored,
      seen: p.seen,
      records: m.output.records,
    };
    return { sample, maxPoints: p.options.maxPoints, options: p.options };
  });
  const o = parts[0].options;
  const merged = mergeSamples(parts, o.seed);
  const { maxPoints, ...rest } = o;
  const tlc = await Tlc.fitSample(model, merged, {
    ...rest,
    maxPoints: maxPoints ?? Infinity,
    threads: opts.threads,
    onProgress: opts.onProgress,
  });
  return { tlc, seen: merged.seen, sampled: merged.stored, shards: checked.map((c) => c.manifest) };
}
