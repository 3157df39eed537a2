/**
 * Deterministic splits of a dataset into shards. Shards are numbered from 0 (as Slurm's
 * SLURM_ARRAY_TASK_ID with --array=0-(N-1) and Kubernetes' JOB_COMPLETION_INDEX). Shard I of N
 * holds a contiguous run of records in dataset order, cut at multiples of SHARD_BLOCK records, so
 * that the concatenation of the shards is the dataset in order and every batch a shard forwards
 * (batch sizes dividing SHARD_BLOCK) holds the same records as in a single-process run: the
 * merged result equals the single run to the bit.
 */
import { UsageError } from "../errors.js";

/** Records per indivisible unit of a split (the engine's largest batch). */
export const SHARD_BLOCK = 64;

export interface Shard {
  /** 0 .. count - 1. */
  index: number;
  count: number;
}

/** Parses "I/N" (I from 0 to N - 1). */
export function parseShard(spec: string, option = "--shard"): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new UsageError(`${option}: expected I/N (shard I of N, I from 0), got '${spec}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new UsageError(`${option}: N must be at least 1, got '${spec}'`);
  if (index >= count)
    throw new UsageError(
      `${option}: shard ${index} of ${count} does not exist (shards are numbered 0 to ${count - 1})`,
    );
  return { index, count };
}

/** Records [start, end) of shard `shard` of a dataset of `total` records. */
export function shardRange(total: number, shard: Shard): [number, number] {
  const blocks = Math.ceil(total / SHARD_BLOCK);
  const cut = (i: number) => Math.min(total, Math.floor((i * blocks) / shard.count) * SHARD_BLOCK);
  return [cut(shard.index), cut(shard.index + 1)];
}

/** The entries of one shard (all of them without a shard). */
export function shardEntries<E>(entries: E[], shard?: Shard): E[] {
  if (!shard) return entries;
  const [a, b] = shardRange(entries.length, shard);
  return entries.slice(a, b);
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
