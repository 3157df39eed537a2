import { test } from "node:test";
import assert from "node:assert/strict";
import { rememberLastForward } from "../../src/eval/analyses/by-k.js";
import { evaluate } from "../../src/eval/evaluate.js";
import type { ModelFace } from "../../src/model/face.js";
import { fakeBound, oneLeadModel } from "../model-face.js";
import { renderMarkdown } from "../../src/eval/report.js";
import { perEcgCsv } from "../../src/eval/table.js";
import { parseCsv } from "../../src/io/csv.js";
import type { EcgRecord } from "../../src/types.js";
import { ParameterError } from "../../src/errors.js";

// A fake world where everything is known. Each ECG is one lead of 100 samples: a run of `w`
// samples at 1.0 and the rest at 0. The "CNN" says class A when more than 30 % of samples are
// high; class B when the first sample is high. The "explainer" has K = 2 clusters: high / low.
const SAMPLES = 100;
function record(id: number): EcgRecord {
  const w = 5 + ((id * 37) % 45); // < 50 % high, so every lead median is 0
  const start = id % 2 ? 0 : 20;
  const signal = new Float32Array(SAMPLES);
  signal.fill(1, start, start + w);
  return { name: String(id), fs: 100, samples: SAMPLES, leads: ["II"], units: ["mV"], signal };
}
function cnn(signal: Float32Array): [number, number] {
  const share = signal.reduce((s, v) => s + (v > 0.5 ? 1 : 0), 0) / signal.length;
  return [share > 0.3 ? 0.9 : 0.1, signal[0] > 0.5 ? 0.8 : 0.2];
}
const model = oneLeadModel(cnn, SAMPLES);
function explainOne(rec: EcgRecord) {
  const clusters: number[] = Array.from(rec.signal).map((v) => (v > 0.5 ? 1 : 0));
  const p1 = clusters.reduce((s, v) => s + v, 0) / SAMPLES;
  const [a, b] = cnn(rec.signal);
  return {
    samples: SAMPLES,
    outputs: { A: a, B: b },
    clusters,
    entropy: clusters.map((c) => (c ? 0.1 : 0.3)),
    proportions: [1 - p1, p1],
    softProportions: [1 - p1, p1],
    meanEntropy: 0.3 - 0.2 * p1,
  };
}
const explainer = fakeBound(model, explainOne);
const entries = Array.from({ length: 60 }, (_, i) => {
  const [a, b] = cnn(record(i).signal);
  // True labels = the CNN's, except ECG 7 (class A flipped): a label-error candidate.
  const labels = [a > 0.5 !== (i === 7) ? "A" : "", b > 0.5 ? "B" : ""].filter(Boolean);
  return { id: `ecg${i}`, labels, fold: (i % 3) + 1 };
});
const dataset = { read: async (e: { id: string }) => record(Number(e.id.slice(3))) };

test("evaluate on a fake world: fidelity, importance, correlation, stability, Grad-CAM", async () => {
  const stages = new Set<string>();
  const r = await evaluate(explainer, dataset, entries, {
    forest: { nEstimators: 20 },
    waves: false,
    sample: 10,
    noise: 0.01,
    progress: (s) => stages.add(s),
  });
  assert.deepEqual([...stages], ["explain", "surrogate"]);
  assert.equal(r.k, 2);
  assert.equal(r.n, 60);
  assert.deepEqual(r.folds, [1, 2, 3]);
  // Class A is a threshold on proportion 1: the forest copies it, up to where the held-out
  // ECGs fall between training thresholds. Class B (first sample high) is not in proportions.
  assert.ok(r.fidelityPerClass![0] >= 0.95, `class A fidelity ${r.fidelityPerClass![0]}`);
  assert.equal(r.cnn!.accuracy, 119 / 120); // one flipped label
  // The model's thresholds are already 0.5 here: the check at 0.5 is the same forest, same result.
  assert.deepEqual(r.atHalf!.fidelity, r.fidelity);
  assert.deepEqual(r.atHalf!.cnnThresholds, [0.5, 0.5]);
  // Proportion of the high cluster correlates with P(A).
  assert.ok(r.correlation[1][0] > 0.7, `correlation ${r.correlation[1][0]}`);
  assert.ok(Math.abs(r.correlation[0][0] + r.correlation[1][0]) < 1e-9);
  // Blanking the high cluster (to the median, 0) flips A and B where they were on; blanking the
  // low cluster (median 0 -> already 0) changes nothing.
  assert.equal(r.importance.deletion[0], 0);
  assert.ok(r.importance.deletion[1] > 0.1);
  assert.ok(r.importance.permutation.mean[1] > 0 || r.importance.permutation.mean[0] > 0);
  assert.equal(r.stability.records, 10);
  assert.equal(r.stability.agreement, 1); // 1 % noise never crosses 0.5
  // Uncertainty: low on the high cluster; by class from record means.
  assert.ok(r.uncertainty.byClass.A < r.uncertainty.byClass.B || r.uncertainty.byClass.A < 0.3);
  assert.ok(r.gradcam!.importance > 0.5, `gradcam vs importance ${r.gradcam!.importance}`);
  assert.ok(r.gradcam!.entropy < -0.5, `gradcam vs entropy ${r.gradcam!.entropy}`);
  assert.deepEqual([r.gradcam!.records, r.gradcam!.zeroMaps], [10, 0]);
  // Deletion curves: A rests on the high samples, which Grad-CAM and the high cluster point at,
  // so blanking what they rank first lowers the top class's output faster than random order.
  const del = r.gradcam!.deletion!;
  assert.deepEqual(del.fractions, [0.05, 0.1, 0.2, 0.3, 0.5]);
  assert.equal(del.records, 10);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(mean(del.gradcam) > mean(del.random) + 0.1, `${del.gradcam} vs ${del.random}`);
  assert.ok(mean(del.clusters) > mean(del.random) + 0.1, `${del.clusters} vs ${del.random}`);
  assert.ok(r.labelErrors.some((e) => e.id === "ecg7" && e.class === "A"));
  assert.equal(r.prototypes.clusters.length, 2);
  assert.deepEqual(r.prototypes.clusters[1].waveform.slice(0, 3), [1, 1, 1]);
  // JSON round trip (the HTML report reads it) and the Markdown report.
  assert.deepEqual(JSON.parse(JSON.stringify(r)).fidelity, r.fidelity);
  const md = renderMarkdown(r);
  assert.match(md, /94\.9/); // the paper's fidelity beside ours
  assert.match(md, /\| Fidelity/);
  assert.match(md, /cut at 0\.5 instead of its own thresholds \(0\.50, 0\.50\)/);
  // Entropy with its ratio to all ECGs; no waves here (waves: false), so no least stable wave.
  assert.match(md, /\| A \| 0\.\d+ \(\d\.\dx\) \|/);
  assert.match(md, /Least stable: n\/a\./);
  assert.match(md, /\| 0-0\.05 \| \d+\.\d \| /); // disagreements by the CNN's margin
  const described = renderMarkdown(r, undefined, [["network", "ptbxl100 1D-ResNet, mean head"]]);
  assert.match(described, /s\.\n\n- network: ptbxl100 1D-ResNet, mean head\n\n## Surrogate/);
  const bins = r.byMargin!;
  assert.equal(
    bins.reduce((t, b) => t + b.disagreements, 0),
    Math.round(120 * (1 - r.fidelityPerClass!.reduce((t, f) => t + f, 0) / 2)),
  );
});

test("Grad-CAM maps zero at every step are counted and left out of the correlations", async () => {
  // The fake's map is zero for ECGs without class A (under 30 % high samples), as real maps below
  // the last block often are; the correlations are then means over the other ECGs.
  let calls = 0;
  let zero = 0;
  const halfZero: ModelFace = {
    ...model,
    async gradcam(input: Float32Array) {
      calls++;
      if (cnn(input)[0] < 0.5) {
        zero++;
        return new Float32Array(10);
      }
      return model.gradcam(input);
    },
  };
  const r = await evaluate(fakeBound(halfZero, explainOne), dataset, entries, {
    forest: { nEstimators: 5 },
    waves: false,
    sample: 10,
    noise: 0.01,
  });
  assert.ok(zero > 0 && zero < calls, `${zero} zero maps of ${calls}`);
  assert.deepEqual([r.gradcam!.records, r.gradcam!.zeroMaps], [calls, zero]);
  assert.ok(Number.isFinite(r.gradcam!.entropy) && Number.isFinite(r.gradcam!.importance));
  assert.match(
    renderMarkdown(r),
    new RegExp(
      `${calls} ECGs \\(${zero} maps zero at every step, left out\\), Pearson per ECG \\(mean over the other ${calls - zero}\\)`,
    ),
  );
  // at the last block (this model's only tap) no hint; below it, with over a tenth zero, a hint
  assert.doesNotMatch(renderMarkdown(r), /--gradcam-tap B4/);
  const atB2 = { ...r, gradcam: { ...r.gradcam!, tap: "B2" } };
  assert.match(renderMarkdown(atB2), /`--gradcam-tap B4` compares at the last block instead/);
});

test("age: a regressor on the proportions, R^2 and MAE against the CNN and, where known, the truth", async () => {
  // The "CNN" predicts 20 + 100 x the share of high samples; the truth is that plus 5 years,
  // unknown for every fifth ECG (PTB-XL leaves some ages blank).
  const age = (signal: Float32Array) =>
    20 + (100 * signal.reduce((s, v) => s + (v > 0.5 ? 1 : 0), 0)) / SAMPLES;
  const ageModel: ModelFace = {
    ...model,
    config: { ...model.config, task: "age", classes: ["age"], thresholds: [] },
    async forward(input: Float32Array, batch: number) {
      return {
        outputs: Float32Array.from({ length: batch }, (_, b) =>
          age(input.subarray(b * SAMPLES, (b + 1) * SAMPLES)),
        ),
        taps: {},
      };
    },
  };
  const ageExplainer = fakeBound(ageModel, (rec) => ({
    ...explainOne(rec),
    outputs: { age: age(rec.signal) },
  }));
  const ageEntries = entries.map((e, i) => ({
    ...e,
    labels: [],
    age: i % 5 === 0 ? undefined : age(record(i).signal) + 5,
  }));
  const r = await evaluate(ageExplainer, dataset, ageEntries, {
    forest: { nEstimators: 20 },
    waves: false,
    sample: 6,
    noise: 0.01,
  });
  assert.equal(r.fidelity, undefined);
  const g = r.regression!;
  assert.ok(g.r2.mean > 0.9, `R^2 vs the CNN ${g.r2.mean}`);
  assert.deepEqual([g.surrogateTrue.n, g.cnnTrue.n], [48, 48]);
  assert.ok(Math.abs(g.cnnTrue.mae - 5) < 1e-4, `CNN MAE vs truth ${g.cnnTrue.mae}`);
  assert.ok(Number.isFinite(g.surrogateTrue.r2) && g.surrogateTrue.mae > 0);
  // Both proportions carry the age (p0 = 1 - p1): shuffling either costs R^2; impurity sums to 1.
  const perm = r.importance.permutation.mean;
  assert.ok(
    perm.every((v) => v > 0.05),
    `permutation ${perm}`,
  );
  assert.ok(Math.abs(r.importance.impurity.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  const md = renderMarkdown(r);
  assert.match(md, /surrogate vs true age \(48 ECGs with a known age\)/);
  assert.match(md, /permutation \(R\^2 drop\)/);
  assert.match(md, /Cluster proportion x predicted age/);
});

test("fewer than two folds is a one-line usage error before any ECG is explained", async () => {
  let explained = 0;
  const counting = fakeBound(model, (rec) => {
    explained++;
    return explainOne(rec);
  });
  const unfolded = entries.map((e) => ({ ...e, fold: undefined }));
  await assert.rejects(
    evaluate(counting, dataset, unfolded),
    (e: Error) =>
      e instanceof ParameterError &&
      /^entries: the 60 ECGs have no cross-validation folds \(strat_fold\); the surrogate needs at least two/.test(
        e.message,
      ),
  );
  const oneFold = entries.filter((e) => e.fold === 2);
  await assert.rejects(evaluate(counting, dataset, oneFold), /are all in fold 2;/);
  assert.equal(explained, 0);
});

test("fidelity by K: each explainer's proportions, one forward call per batch for all of them", async () => {
  // Explainers that run the model as a TLC does; K = 2 splits at 0.5, K = 3 also at 0.25.
  let calls = 0;
  const counted: ModelFace = {
    ...model,
    async forward(input: Float32Array, batch: number, opts?: { taps?: string[] }) {
      if (opts?.taps) calls++; // the explainers' calls, not the deletion analysis's
      return model.forward(input, batch);
    },
  };
  const splitter = (cuts: number[]) => {
    const explain = (rec: EcgRecord) => {
      const e = explainOne(rec);
      const clusters = Array.from(rec.signal).map((v) => cuts.filter((c) => v > c).length);
      const proportions = cuts
        .concat(Infinity)
        .map((_, k) => clusters.filter((c) => c === k).length / SAMPLES);
      return { ...e, clusters, proportions, softProportions: proportions };
    };
    // Bound like a TLC: one forward call with taps per batch, then the explanations.
    return {
      bind: (m: ModelFace) => {
        const bound = fakeBound(m, explain, { k: cuts.length + 1 });
        return {
          ...bound,
          async explain(recs: readonly EcgRecord[]) {
            const x = new Float32Array(recs.length * SAMPLES);
            recs.forEach((r, i) => x.set(r.signal, i * SAMPLES));
            await m.forward(x, recs.length, { taps: ["B4"] });
            return bound.explain(recs);
          },
        };
      },
    };
  };
  const r = await evaluate(fakeBound(counted, explainOne), dataset, entries, {
    forest: { nEstimators: 10 },
    waves: false,
    sample: 4,
    byK: [
      { k: 2, explainer: splitter([0.5]) },
      { k: 3, explainer: splitter([0.25, 0.5]) },
    ],
  });
  assert.deepEqual(
    r.fidelityByK!.perK.map((p) => p.k),
    [2, 3],
  );
  // Class A is in the proportions (copied, about 95 %), class B is not (about 50 %).
  for (const p of r.fidelityByK!.perK)
    assert.ok(p.mean > 0.6 && p.mean < 0.9, `K=${p.k}: ${p.mean}`);
  // 60 ECGs in batches of 32: 2 forward calls for both explainers together, not 4.
  assert.equal(calls, 2);
  calls = 0;
  const shared = rememberLastForward(counted);
  const x = new Float32Array(SAMPLES).fill(1);
  await shared.forward(x, 1, { taps: ["B4"] });
  await shared.forward(x.slice(), 1, { taps: ["B4"] });
  assert.equal(calls, 1, "the same input again is remembered");
  await shared.forward(x, 1, { taps: ["B3"] });
  x[3] = 0;
  await shared.forward(x, 1, { taps: ["B3"] });
  assert.equal(calls, 3, "other taps or another input go to the model");
});

test("the per-ECG table: what the surrogate saw and said, as CSV that parses back", async () => {
  const r = await evaluate(explainer, dataset, entries, {
    forest: { nEstimators: 10 },
    waves: false,
    sample: 0,
    perEcg: true,
  });
  const t = r.perEcg!;
  assert.equal(t.ids.length, 60);
  assert.deepEqual(t.targets, ["A", "B"]);
  // ECG 7: 39 of 100 samples high from the start, so the CNN says A and B; its label A is flipped.
  assert.deepEqual(t.truth[7], [0, 1]);
  assert.deepEqual(t.cnn[7], [0.9, 0.8]);
  const csv = perEcgCsv(t, model.config.thresholds);
  const rows = parseCsv(csv);
  assert.deepEqual(rows[0], [
    "id", "fold", "true_A", "true_B", "cnn_A", "cnn_B", "cnn_label_A", "cnn_label_B",
    "surrogate_A", "surrogate_B", "p0", "p1", "soft0", "soft1",
  ]); // prettier-ignore
  assert.equal(rows.length - 1 - (rows.at(-1)![0] === "" ? 1 : 0), 60);
  const row7 = rows[8];
  assert.equal(row7[0], "ecg7");
  assert.equal(Number(row7[6]), t.cnn[7][0] >= 0.5 ? 1 : 0);
  assert.deepEqual(row7.slice(10, 12).map(Number), t.proportions[7]);
  // Out-of-fold vote shares agree with the reported fidelity (class A and B pooled).
  let agree = 0;
  rows.slice(1, 61).forEach((x) => {
    for (const j of [0, 1]) if ((Number(x[8 + j]) > 0.5 ? 1 : 0) === Number(x[6 + j])) agree++;
  });
  const perFold = Object.values(r.fidelity!.perFold);
  assert.ok(Math.abs(agree / 120 - perFold.reduce((s, v) => s + v, 0) / perFold.length) < 1e-9);
});
