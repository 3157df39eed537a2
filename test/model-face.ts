/**
 * Small fakes of the model face for tests that need only a few of its members: the rest get
 * inert defaults (a two-class superclass model with taps B1-B4, thresholds 0.5).
 */
import {
  predictedLabels,
  segmentsOf,
  type BoundExplainer,
  type Explanation,
} from "../src/explain/explanation.js";
import type { ModelFace } from "../src/model/face.js";
import type { ModelConfig } from "../src/model/presets.js";
import type { PreparedSignal } from "../src/signal/preprocess.js";
import type { EcgRecord } from "../src/types.js";

const PREPROCESSING: ModelConfig["preprocessing"] = {
  fs: 100,
  length: 1024,
  leads: ["II"],
  bandpass: null,
  zscore: false,
};

export function fakeConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  const classes = over.classes ?? ["NORM", "MI"];
  return {
    format: "ecg-tlc-model",
    version: 1,
    preset: "ptbxl100",
    task: "superclass",
    classes,
    thresholds: classes.map(() => 0.5),
    preprocessing: PREPROCESSING,
    taps: ["B1", "B2", "B3", "B4"],
    network: {
      leads: 1,
      length: 1024,
      channels: [],
      kernel: 0,
      downsample: 0,
      outputs: classes.length,
      dropout: 0,
    },
    weightsSha256: "fake",
    ...over,
  };
}

/** A model face from the members a test gives; `config` is completed by `fakeConfig`. */
export function modelFace<T extends object>(
  parts: T & {
    config?: Partial<ModelConfig>;
    prepare(record: EcgRecord): PreparedSignal;
    forward?: ModelFace["forward"];
    gradcam?: ModelFace["gradcam"];
    fingerprint?: string;
  },
): Omit<T, "config"> & ModelFace {
  const face: ModelFace = {
    dir: "fake",
    fingerprint: "fake-model",
    async forward() {
      throw new Error("this fake model has no forward pass");
    },
    async gradcam() {
      throw new Error("this fake model has no gradients");
    },
    dispose() {},
    ...parts,
    config: fakeConfig(parts.config),
  };
  return face as Omit<T, "config"> & ModelFace;
}

/**
 * The fake world of the evaluation tests: one lead of `samples` values at 100 Hz, classes A and B
 * from `cnn` (per ECG), and a Grad-CAM of 10 steps that follows the high samples.
 */
export function oneLeadModel(cnn: (signal: Float32Array) => [number, number], samples = 100) {
  return modelFace({
    config: {
      task: "superclass",
      classes: ["A", "B"],
      thresholds: [0.5, 0.5],
      preprocessing: { fs: 100, length: samples, leads: ["II"], bandpass: null, zscore: false },
      taps: ["B4"],
    },
    prepare(rec: EcgRecord): PreparedSignal {
      return {
        signal: rec.signal,
        length: samples,
        fs: 100,
        leads: ["II"],
        sourceFs: 100,
        sourceSamples: samples,
        offset: 0,
        validStart: 0,
        validEnd: samples,
      };
    },
    async forward(input: Float32Array, batch: number) {
      const out = new Float32Array(batch * 2);
      for (let b = 0; b < batch; b++)
        out.set(cnn(input.subarray(b * samples, (b + 1) * samples)), b * 2);
      return { outputs: out, taps: {} };
    },
    async gradcam(input: Float32Array) {
      // 10 steps: the share of high samples in each, so Grad-CAM follows the high cluster.
      const step = samples / 10;
      return Float32Array.from(
        { length: 10 },
        (_, t) => input.subarray(t * step, (t + 1) * step).reduce((s, v) => s + v, 0) / step,
      );
    },
  });
}

type Core = Pick<
  Explanation,
  "outputs" | "clusters" | "entropy" | "proportions" | "softProportions" | "meanEntropy"
> &
  Partial<Explanation>;

/** A full explanation from the fields a fake explainer computes (segments, labels derived). */
export function completeExplanation(record: EcgRecord, e: Core, model?: ModelFace): Explanation {
  return {
    record: record.name,
    fs: record.fs,
    samples: record.samples,
    labels: model ? predictedLabels(model.config, e.outputs) : [],
    segments: segmentsOf(e.clusters, e.entropy),
    ...e,
  };
}

/** A bound explainer over `model` explaining each record with `one` (K from `k`). */
export function fakeBound(
  model: ModelFace,
  one: (record: EcgRecord) => Core | Promise<Core>,
  opts: { k?: number; taps?: string[]; onBatch?: (n: number) => void } = {},
): BoundExplainer {
  return {
    model,
    k: opts.k ?? 2,
    taps: opts.taps ?? model.config.taps,
    blocks: [],
    async explain(records) {
      opts.onBatch?.(records.length);
      return Promise.all(records.map(async (r) => completeExplanation(r, await one(r), model)));
    },
  };
}
