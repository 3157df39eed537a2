import { test } from "node:test";
import assert from "node:assert/strict";
import { alignRecords, recordsApart } from "../../src/eval/landmarks.js";
import { readAnnotations, readLudbWaves } from "../../src/io/annotations.js";
import { waveLabels } from "../../src/signal/waves.js";
import type { EcgRecord } from "../../src/types.js";
import { sharedData } from "../data.js";

const ludb = (n: number) => sharedData("ludb", "data", `${n}.hea`).slice(0, -4);

// An "explainer" whose clusters are the cardiologists' own lead II labels (cluster = wave), with
// a second block that puts everything in one cluster: alignment must be perfect, then nil.
const oracleOne = (rec: EcgRecord) => {
  const { waves } = readLudbWaves(rec.path!, "II");
  const clusters = Array.from(waveLabels(waves, rec.samples));
  const zeros = new Array<number>(rec.samples).fill(0);
  return {
    clusters,
    proportions: [0.25, 0.25, 0.25, 0.25],
    blocks: { B4: { clusters: zeros, entropy: zeros, proportions: [1, 0] } },
  };
};
const oracle = { explain: async (recs: readonly EcgRecord[]) => recs.map(oracleOne) };

test("align on real LUDB records: perfect clusters give NMI 1 and purity 1", async () => {
  const r = await alignRecords(oracle, [ludb(1), ludb(2)], { lead: "II" });
  assert.equal(r.records, 2);
  assert.equal(r.k, 4);
  assert.deepEqual(r.sources, { annotations: 2, delineator: 0 });
  assert.equal(r.nmi, 1);
  assert.equal(r.purity, 1);
  assert.deepEqual(r.jaccard, { P: 1, QRS: 1, T: 1, TP: 1 });
  assert.equal(r.landmarks.nmi, 1);
  assert.deepEqual(r.landmarks.purity, { P: 1, QRS: 1, T: 1 });
  assert.deepEqual(r.landmarks.cluster, { P: 0, QRS: 1, T: 2 });
  // Every peak of both records' lead II annotations is counted once.
  const peaks = [1, 2].reduce((s, n) => s + readLudbWaves(ludb(n), "II").waves.length, 0);
  const counted = r.landmarks.contingency.flat().reduce((s, v) => s + v, 0);
  assert.equal(counted, peaks);
  // Boundaries of the oracle coincide with wave edges.
  assert.ok(r.boundaries.meanMs <= 2, `boundary distance ${r.boundaries.meanMs} ms`);
  assert.ok(r.boundaries.chanceMs > 20);
  // The one-cluster block: NMI 0, Jaccard of a wave = its share of all samples.
  assert.equal(r.blocks!.B4.nmi, 0);
  assert.equal(r.blocks!.B4.landmarks.nmi, 0);
  assert.equal(r.perRecord.length, 2);
  assert.deepEqual(r.apart, { P: [], QRS: [], T: [] });
  // Per record, its own peaks: they add up to the pooled landmark table.
  const sum = r.perRecord[0].landmarks.map((row, c) =>
    row.map((v, w) => v + r.perRecord[1].landmarks[c][w]),
  );
  assert.deepEqual(sum, r.landmarks.contingency);
  assert.equal(
    r.perRecord[0].landmarks[1][1],
    readLudbWaves(ludb(1), "II").waves.filter((w) => w.type === "QRS").length,
  );
});

test("align counts every peak mark as a landmark, also peaks whose wave has no onset mark", async () => {
  // LUDB record 104 marks its (paced) QRS complexes in lead II without onsets: "N710 )784".
  const one = {
    explain: async (recs: readonly EcgRecord[]) =>
      recs.map((rec) => ({ clusters: new Array<number>(rec.samples).fill(0), proportions: [1] })),
  };
  const r = await alignRecords(one, [ludb(104)], { lead: "II" });
  const marks = (s: string) => readAnnotations(ludb(104), "ii").filter((a) => a.symbol === s);
  const qrsWaves = readLudbWaves(ludb(104), "II").waves.filter((w) => w.type === "QRS");
  assert.ok(marks("N").length > qrsWaves.length, "record 104 no longer has R peaks without onsets");
  assert.deepEqual(r.landmarks.contingency, [
    [marks("p").length, marks("N").length, marks("t").length],
  ]);
});

test("recordsApart: records keeping at most half of a wave's peaks in its cluster", () => {
  // K = 3 x [P, QRS, T] peak counts per record; the waves' clusters are P 0, QRS 1, T 2.
  const perRecord = [
    {
      record: "a",
      landmarks: [
        [4, 0, 0],
        [0, 4, 0],
        [0, 0, 4],
      ],
    }, // all in place
    {
      record: "b",
      landmarks: [
        [2, 0, 3],
        [0, 5, 0],
        [2, 0, 3],
      ],
    }, // P half out, T 3 of 6
    {
      record: "c",
      landmarks: [
        [0, 0, 0],
        [0, 1, 0],
        [0, 2, 0],
      ],
    }, // no P or T peaks; QRS 1 of 3
  ].map((r) => ({ ...r, nmi: 0, landmarksNmi: 0 }));
  assert.deepEqual(recordsApart(perRecord, { P: 0, QRS: 1, T: 2 }), {
    P: ["b"],
    QRS: ["c"],
    T: ["b"],
  });
});

test("align: a missing record is a one-line NotFoundError", async () => {
  await assert.rejects(alignRecords(oracle, ["/nonexistent/rec"]), /rec: record not found/);
});
