/**
 * The per-ECG analyses of an evaluation, each alone: fed ECGs by hand (a fake model and
 * explanations whose results are known), without the evaluation's pass over a dataset.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DeletionImportance } from "../../src/eval/analyses/deletion.js";
import { EvaluatedEcg } from "../../src/eval/analyses/ecg.js";
import { PrototypeAnalysis } from "../../src/eval/analyses/prototypes.js";
import { StabilityAnalysis } from "../../src/eval/analyses/stability.js";
import { UncertaintyAnalysis } from "../../src/eval/analyses/uncertainty.js";
import type { EcgRecord } from "../../src/types.js";
import { completeExplanation, modelFace } from "../model-face.js";

// One lead of 10 samples: 1 on the first four (cluster 1), 0 elsewhere (cluster 0). The "CNN"
// outputs the mean of the signal and its complement.
const signal = Float32Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
const record: EcgRecord = { name: "r", fs: 10, samples: 10, leads: ["II"], units: ["mV"], signal };
const clusters = Array.from(signal, (v) => (v > 0.5 ? 1 : 0));
const explanation = completeExplanation(record, {
  outputs: { A: 0.4, B: 0.6 },
  clusters,
  entropy: clusters.map((c) => (c ? 0.2 : 0.4)),
  proportions: [0.6, 0.4],
  softProportions: [0.6, 0.4],
  meanEntropy: 0.32,
});
let forwards = 0;
const model = modelFace({
  config: { classes: ["A", "B"] },
  prepare: (r: EcgRecord) => ({
    signal: r.signal,
    length: 10,
    fs: 10,
    leads: ["II"],
    sourceFs: 10,
    sourceSamples: 10,
    offset: 0,
    validStart: 0,
    validEnd: 10,
  }),
  async forward(input: Float32Array, batch: number) {
    forwards++;
    const outputs = new Float32Array(2 * batch);
    for (let b = 0; b < batch; b++) {
      const m = input.subarray(b * 10, (b + 1) * 10).reduce((s, v) => s + v, 0) / 10;
      outputs.set([m, 1 - m], 2 * b);
    }
    return { outputs, taps: {} };
  },
});
const ecg = (index: number, inSample: boolean) =>
  new EvaluatedEcg(index, { id: `e${index}`, labels: ["A"] }, record, explanation, inSample, model);

test("deletion importance alone: blanking a cluster to the lead's median moves the outputs", async () => {
  const d = new DeletionImportance();
  forwards = 0;
  const one = ecg(0, true);
  await d.add(one);
  await d.add(ecg(1, false)); // outside the sample: not counted
  // The median of the lead is 0: blanking cluster 0 (already 0) changes nothing; blanking
  // cluster 1 takes the mean from 0.4 to 0, both outputs move by 0.4.
  const r = d.result();
  assert.equal(r[0], 0);
  assert.ok(Math.abs(r[1] - 0.4) < 1e-6, `${r}`);
  assert.equal(forwards, 2, "one forward for the ECG, one batch for its K blanked copies");
  await one.probe();
  assert.equal(forwards, 2, "the probe is made once per ECG");
  assert.deepEqual(new DeletionImportance().result(), []);
});

test("stability alone: a noiseless copy agrees fully; only sampled ECGs are counted", async () => {
  const explained: number[] = [];
  const s = new StabilityAnalysis(
    {
      explain: async (recs) => {
        explained.push(recs.length);
        return recs.map(() => explanation);
      },
    },
    0,
  );
  await s.add(ecg(0, true));
  await s.add(ecg(1, false));
  assert.deepEqual(s.result(), { noise: 0, agreement: 1, nmi: 1, records: 1 });
  assert.deepEqual(explained, [1]);
});

test("uncertainty and prototypes alone", () => {
  const u = new UncertaintyAnalysis(["A", "B"], "superclass", false);
  u.add(ecg(0, false));
  const r = u.result();
  assert.equal(r.overall, 0.32);
  assert.equal(r.byClass.A, 0.32);
  assert.ok(Number.isNaN(r.byClass.B));
  const p = new PrototypeAnalysis("II");
  p.add(ecg(0, false));
  const protos = p.result();
  assert.equal(protos.lead, "II");
  assert.deepEqual(
    protos.clusters.map((c) => [c.segments, c.duration]),
    [
      [1, 6],
      [1, 4],
    ],
  );
  const none = new PrototypeAnalysis("V1");
  none.add(ecg(0, false));
  assert.ok(none.result().clusters.every((c) => c.segments === 0));
});
