/**
 * Merging uniform reservoir samples of disjoint populations (the shards' parts of one dataset)
 * into one uniform sample of their union: how many rows come from each part is a multivariate
 * hypergeometric draw over what each part saw, then that many of its rows at random, kept in
 * their stored order. When every row of every part fits, the merge is every row in part order
 * (dataset order), with no randomness at all.
 */
import { ShardError } from "../errors.js";
import type { Random } from "../signal/random.js";

/** One part: `stored` rows (stored x dims), a uniform sample of the `seen` it had. */
export interface ReservoirPart {
  points: Float32Array;
  stored: number;
  seen: number;
}

/** Draws `m` of the populations' members without replacement: how many from each. */
export function hypergeometric(sizes: number[], m: number, rng: Random): number[] {
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

/**
 * A uniform sample of at most `cap` rows of the parts' union (`what` names the rows in errors:
 * "vectors", "wave 2's vectors").
 */
export function mergeReservoirs(
  parts: ReservoirPart[],
  dims: number,
  cap: number,
  rng: Random,
  what = "vectors",
): ReservoirPart {
  const seen = parts.reduce((a, p) => a + p.seen, 0);
  const m = Math.min(cap, seen);
  const all = parts.every((p) => p.stored === p.seen) && m === seen;
  const counts = all
    ? parts.map((p) => p.seen)
    : hypergeometric(
        parts.map((p) => p.seen),
        m,
        rng,
      );
  const points = new Float32Array(m * dims);
  let at = 0;
  parts.forEach((s, i) => {
    const c = counts[i];
    if (c > s.stored)
      throw new ShardError(
        `shard ${i} kept ${s.stored} ${what}, the merged sample needs ${c} of them`,
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
    for (const r of rows) points.set(s.points.subarray(r * dims, (r + 1) * dims), at++ * dims);
  });
  return { points, stored: m, seen };
}
