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
import {
  commitOutput,
  datasetIdentity,
  manifestPath,
  readManifest,
  sha256File,
  type ShardManifest,
} from "./output.js";
import { ProgressMeter } from "./progress.js";
import { checkShards, type CheckedShard } from "./merge.js";
import { mergeReservoirs } from "./reservoir.js";
import { shardEntries, type Shard } from "./shard.js";

/** The manifest command of a part of the state pass (the wave pass's is "fit"). */
export const STATE_PASS = "fit-states";

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

/** Merges the shards' samples into one uniform sample of at most maxPoints of all vectors. */
export function mergeSamples(
  parts: { sample: VectorSample; maxPoints: number | null }[],
  seed: number,
): VectorSample {
  const first = parts[0].sample;
  const D = first.layout.dims;
  const stats = new ColumnStats(D);
  for (const p of parts) stats.merge(p.sample.stats);
  const merged = mergeReservoirs(
    parts.map((p) => p.sample),
    D,
    parts[0].maxPoints ?? Infinity,
    new Random(seed ^ 0x5a3d),
  );
  return {
    layout: first.layout,
    stats,
    ...merged,
    records: parts.reduce((a, p) => a + p.sample.records, 0),
  };
}

/** The two passes of a sharded two-level fit, as their parts' manifests name them. */
const PASSES = { fit: "waves", [STATE_PASS]: "states" } as const;
const PASS_COMMANDS = {
  waves: "the wave pass ('fit --shard I/N')",
  states: "the state pass ('fit --states-of WAVES.json --shard I/N')",
};

/**
 * Which pass of a sharded fit the parts are (parts without a manifest are left to checkShards);
 * refuses parts of anything else, and the two passes mixed.
 */
export function fitPass(parts: string[]): "waves" | "states" | undefined {
  let first: { part: string; pass: "waves" | "states" } | undefined;
  for (const part of parts) {
    let command: string;
    try {
      command = readManifest(manifestPath(part)).command;
    } catch {
      continue;
    }
    const pass = Object.hasOwn(PASSES, command)
      ? PASSES[command as keyof typeof PASSES]
      : undefined;
    if (!pass) throw new ShardError(`${part}: output of '${command}', not of a sharded fit`);
    if (first && pass !== first.pass)
      throw new ShardError(
        `${part} is a part of ${PASS_COMMANDS[pass]}, ${first.part} of ${PASS_COMMANDS[first.pass]}: merge each pass on its own`,
      );
    first ??= { part, pass };
  }
  return first?.pass;
}

/** Refuses parts of the other pass of a sharded fit. */
export function requireFitPass(parts: string[], pass: "waves" | "states"): void {
  const found = fitPass(parts);
  if (found && found !== pass)
    throw new ShardError(
      `${parts[0]}: a part of ${PASS_COMMANDS[found]}, not of ${PASS_COMMANDS[pass]}${found === "states" ? ": merge it with the wave explainer its shards read" : ""}`,
    );
}

/** A sharded fit's part, checked: sampled through `model`, its bytes as its manifest says. */
export function fitPartFile({ part, manifest: m }: CheckedShard, model: ModelFace): string {
  if (m.inputs.model !== model.fingerprint)
    throw new ModelMismatchError(
      `${part}: sampled through model ${m.inputs.model.slice(0, 12)}, not ${model.fingerprint.slice(0, 12)}`,
    );
  const file = join(dirname(part), m.output.file);
  if (sha256File(file) !== m.output.sha256)
    throw new ShardError(
      `${file}: content differs from its manifest's SHA-256; re-run shard ${m.shard?.index ?? 0}`,
    );
  return file;
}

/** Checks a sharded fit's outputs, merges their samples and clusters them into an explainer. */
export async function mergeFitShards(
  partsPaths: string[],
  model: ModelFace,
  opts: { expectShards?: number; threads?: number; onProgress?: TlcOptions["onProgress"] } = {},
): Promise<{ tlc: Tlc; seen: number; sampled: number; shards: ShardManifest[] }> {
  requireFitPass(partsPaths, "waves");
  const checked = checkShards(partsPaths, opts.expectShards);
  const parts = checked.map((c) => {
    const { manifest: m } = c;
    const file = fitPartFile(c, model);
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
