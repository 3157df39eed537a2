import { strict as assert } from "node:assert";
import { test } from "node:test";
import { EngineQueue } from "../../src/server/queue.js";

test("runs one job at a time, waiting user jobs before background ones", async () => {
  const q = new EngineQueue();
  const order: string[] = [];
  let running = 0;
  let most = 0;
  const job =
    (name: string, fail = false) =>
    async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      order.push(name);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
  const all = [
    q.run(job("bg1"), "low"),
    q.run(job("bg2"), "low"),
    q.run(job("bg3", true), "low"),
    q.run(job("user1")),
    q.run(job("user2")),
  ];
  assert.equal(q.pending, 4);
  const settled = await Promise.allSettled(all);
  // bg1 had already started; the user's jobs jump ahead of bg2 and bg3
  assert.deepEqual(order, ["bg1", "user1", "user2", "bg2", "bg3"]);
  assert.equal(most, 1);
  assert.equal(settled[2].status, "rejected");
  assert.equal(settled[4].status, "fulfilled");
  assert.equal(q.pending, 0);
});
