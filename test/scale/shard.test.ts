import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../src/errors.js";
import { parseShard, SHARD_BLOCK, shardEntries, shardRange } from "../../src/scale/shard.js";

test("parseShard: I/N from 0, clear errors otherwise", () => {
  assert.deepEqual(parseShard("0/4"), { index: 0, count: 4 });
  assert.deepEqual(parseShard(" 3 / 4 "), { index: 3, count: 4 });
  assert.throws(
    () => parseShard("4/4"),
    /shard 4 of 4 does not exist \(shards are numbered 0 to 3\)/,
  );
  assert.throws(() => parseShard("1/0"), UsageError);
  assert.throws(() => parseShard("a/b"), /--shard: expected I\/N/);
});

test("shardRange: contiguous, tiles the dataset, cut at block multiples, same for the same N", () => {
  for (const total of [0, 1, 63, 64, 65, 300, 1000, 20_000]) {
    for (const count of [1, 2, 3, 4, 7, 16, 400]) {
      let next = 0;
      for (let index = 0; index < count; index++) {
        const [a, b] = shardRange(total, { index, count });
        assert.equal(
          a,
          next,
          `total ${total} N ${count} shard ${index} starts where the last ended`,
        );
        assert.ok(b >= a);
        if (b < total) assert.equal(b % SHARD_BLOCK, 0);
        assert.deepEqual(shardRange(total, { index, count }), [a, b]);
        next = b;
      }
      assert.equal(next, total);
    }
  }
  // balanced to a block
  const sizes = [0, 1, 2, 3].map((index) => {
    const [a, b] = shardRange(20_000, { index, count: 4 });
    return b - a;
  });
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= SHARD_BLOCK, String(sizes));
  const ids = Array.from({ length: 300 }, (_, i) => i);
  assert.deepEqual(
    [0, 1, 2].flatMap((index) => shardEntries(ids, { index, count: 3 })),
    ids,
  );
  assert.equal(shardEntries(ids), ids);
});
