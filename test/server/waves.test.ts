import { strict as assert } from "node:assert";
import { test } from "node:test";
import { readRecord } from "../../src/io/record.js";
import { delineate } from "../../src/signal/delineate/index.js";
import { waveLabels } from "../../src/signal/waves.js";
import { MIN_RECORDS_FOR_WAVES, WaveTally } from "../../src/server/waves.js";
import { sharedData } from "../data.js";
import { fakeExplain } from "./fake.js";

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
