/**
 * A small deterministic stand-in for src/model's Model (same contract): the taps are fixed
 * nonlinear functions of the prepared signal (rectified, average-pooled lead combinations), so
 * clusters follow the waveform the way a trained network's do, without training anything.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { readRecord } from "../../src/io/index.js";
import { preprocess, type Preprocessing } from "../../src/signal/preprocess.js";
import type { ModelFace } from "../../src/model/face.js";
import type { EcgRecord } from "../../src/types.js";
import { sharedData } from "../data.js";

export const FAKE_PREPROCESSING: Preprocessing = {
  fs: 100,
  length: 1024,
  leads: ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"],
  bandpass: null,
  zscore: true,
};

const SHAPES: Record<string, { channels: number; steps: number }> = {
  B1: { channels: 4, steps: 512 },
  B2: { channels: 6, steps: 256 },
  B3: { channels: 5, steps: 128 },
  B4: { channels: 3, steps: 64 },
};

export function fakeModel(fingerprint = "fake-model-0001"): ModelFace & { calls: number } {
  const L = FAKE_PREPROCESSING.length;
  const leads = FAKE_PREPROCESSING.leads.length;
  return {
    dir: "fake",
    fingerprint,
    calls: 0,
    config: {
      format: "ecg-tlc-model",
      version: 1,
      classes: ["NORM", "MI"],
      thresholds: [0.5, 0.5],
      task: "superclass",
      taps: Object.keys(SHAPES),
      preset: "ptbxl100",
      preprocessing: FAKE_PREPROCESSING,
      network: {
        leads: 12,
        length: L,
        channels: [],
        kernel: 0,
        downsample: 0,
        outputs: 2,
        dropout: 0,
      },
      weightsSha256: fingerprint,
    },
    prepare: (record: EcgRecord) => preprocess(record, FAKE_PREPROCESSING),
    async forward(input: Float32Array, batch: number, opts?: { taps?: string[] }) {
      this.calls++;
      const taps: Record<string, { channels: number; steps: number; data: Float32Array }> = {};
      const outputs = new Float32Array(batch * 2);
      for (const name of opts?.taps ?? Object.keys(SHAPES)) {
        const { channels, steps } = SHAPES[name];
        const data = new Float32Array(batch * channels * steps);
        const pool = L / steps;
        for (let b = 0; b < batch; b++) {
          for (let c = 0; c < channels; c++) {
            for (let t = 0; t < steps; t++) {
              let s = 0;
              for (let i = t * pool; i < (t + 1) * pool; i++) {
                // Channel c mixes leads c and c+3 with a sign; ReLU as a network's units do.
                const v =
                  input[(b * leads + (c % leads)) * L + i] -
                  0.5 * input[(b * leads + ((c + 3) % leads)) * L + i];
                s += Math.max(0, v) + (name === "B4" ? Math.abs(v) : 0);
              }
              data[(b * channels + c) * steps + t] = s / pool;
            }
          }
        }
        taps[name] = { channels, steps, data };
      }
      for (let b = 0; b < batch; b++) {
        let m = 0;
        for (let i = 0; i < leads * L; i++) m += Math.abs(input[b * leads * L + i]);
        outputs[b * 2] = 1 / (1 + Math.exp(-(m / (leads * L) - 0.7) * 5));
        outputs[b * 2 + 1] = 1 - outputs[b * 2];
      }
      return { outputs, taps };
    },
    async gradcam(): Promise<Float32Array> {
      throw new Error("the fake model has no gradients");
    },
    dispose() {},
  };
}

/** A dataset over the first `n` PTB-XL records of the shared subset. */
export function ptbxlDataset(n: number): {
  entries: { id: string; path: string }[];
  read: (e: { path: string }) => Promise<EcgRecord>;
} {
  const dir = sharedData("ptbxl", "records100", "00000");
  const names = readdirSync(dir)
    .filter((f) => f.endsWith(".hea"))
    .sort()
    .slice(0, n);
  return {
    entries: names.map((f) => ({ id: f.slice(0, 5), path: join(dir, f.slice(0, -4)) })),
    read: async (e) => readRecord(e.path),
  };
}
