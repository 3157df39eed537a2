import { strict as assert } from "node:assert";
import { test } from "node:test";
import { readRecord } from "../../src/io/record.js";
import { delineate } from "../../src/signal/delineate/index.js";
import { waveLabels } from "../../src/signal/waves.js";
import {
  MIN_RECORDS_FOR_WAVES,
  nameClusters,
  spreadSample,
  WaveTally,
} from "../../src/eval/cluster-waves.js";
import type { EcgRecord } from "../../src/types.js";
import { sharedData } from "../data.js";
import { fakeExplain } from "../server/fake.js";

test("names each cluster by the wave it stands for, per block", () => {
  const record = readRecord(sharedData("ptbxl/records100/00000/00024_lr.hea").slice(0, -4));
  const labels = waveLabels(delineate(record, { consensusOnly: true }).waves, record.samples);
  // clusters that ARE the delineated waves, in a shuffled order: 0=T, 1=TP, 2=P, 3=QRS
  const toCluster = [2, 3, 0, 1];
  const clusters = Array.from(labels, (w) => toCluster[w]);
  const e = { ...fakeExplain(record), clusters };
  e.blocks!.B2 = { ...e.blocks!.B2, clusters: clusters.map((c) => (c + 1) % 4) };
  // the explanation holds B2-B4; only the blocks the tally is told of are named
  const tally = new WaveTally(4, ["combined", "B2"]);
  for (let i = 0; i < MIN_RECORDS_FOR_WAVES - 1; i++) tally.add(record, e);
  assert.equal(tally.names(), undefined, "too few records to name clusters");
  tally.add(record, e);
  assert.deepEqual(tally.names(), ["T", "TP", "P", "QRS"]);
  assert.deepEqual(tally.names("B2"), ["QRS", "T", "TP", "P"]);
  assert.equal(tally.names("B3"), undefined);
  // the table counts every sample once per record
  const total = tally
    .table()!
    .flat()
    .reduce((a, b) => a + b, 0);
  assert.equal(total, MIN_RECORDS_FOR_WAVES * record.samples);
});

test("nameClusters: explains in batches, pools the delineated waves, names every cluster", async () => {
  const ids = ["00024", "00043", "00055", "00085", "00103", "00134"];
  const records = ids.map((id) =>
    readRecord(sharedData(`ptbxl/records100/00000/${id}_lr.hea`).slice(0, -4)),
  );
  const toCluster = [2, 3, 0, 1]; // P, QRS, T, TP -> clusters 2, 3, 0, 1
  const calls: number[] = [];
  const explainer = {
    k: 5, // cluster 4 is never used: it gets no name
    async explain(recs: readonly (typeof records)[number][]) {
      calls.push(recs.length);
      return recs.map((r) => {
        const labels = waveLabels(delineate(r, { consensusOnly: true }).waves, r.samples);
        return { clusters: Array.from(labels, (w) => toCluster[w]) };
      });
    },
  };
  const progress: number[] = [];
  const w = await nameClusters(explainer, records, {
    batch: 4,
    progress: (d) => progress.push(d),
  });
  assert.deepEqual(calls, [4, 2]);
  assert.deepEqual(progress, [4, 6]);
  assert.ok(w);
  assert.deepEqual(w.names, ["T", "TP", "P", "QRS", null]);
  assert.equal(w.records, 6);
  assert.equal(w.source, "delineator");
  assert.equal(
    w.table.flat().reduce((a, b) => a + b, 0),
    6 * 1000,
  );
  // too few ECGs to name anything
  assert.equal(
    await nameClusters(explainer, records.slice(0, MIN_RECORDS_FOR_WAVES - 1)),
    undefined,
  );
});

test("spreadSample: n entries spread evenly, the first included, in order", async () => {
  const entries = Array.from({ length: 10 }, (_, i) => i);
  const read = async (i: number) => ({ name: String(i) }) as unknown as EcgRecord;
  const names = async (n: number) => {
    const out: string[] = [];
    for await (const r of spreadSample(entries, n, read)) out.push(r.name);
    return out;
  };
  assert.deepEqual(await names(4), ["0", "2", "5", "7"]);
  assert.deepEqual((await names(20)).length, 10);
  assert.deepEqual(await names(0), []);
});
