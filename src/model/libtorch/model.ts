/**
 * The libtorch backend of the model face: a network trained by `ecg-tlc train`, loaded from its
 * folder, run through the native addon (forward with taps, Grad-CAM).
 */
import { ModelMismatchError, ParameterError } from "../../errors.js";
import { preprocess, type PreparedSignal } from "../../signal/preprocess.js";
import type { EcgRecord } from "../../types.js";
import { createNetwork, type NativeNetwork } from "../engine.js";
import {
  checkModelInput,
  checkTargetIndex,
  MAX_BATCH,
  rawToOutputs,
  type ForwardResult,
  type ModelFace,
  type TapOutput,
} from "../face.js";
import { modelFingerprint } from "../folder.js";
import type { ModelConfig } from "../presets.js";

export class LoadedModel implements ModelFace {
  readonly fingerprint: string;
  private net: NativeNetwork | null;
  private readonly perEcg: number;

  constructor(
    readonly dir: string,
    readonly config: ModelConfig,
    net: NativeNetwork,
  ) {
    this.net = net;
    this.fingerprint = modelFingerprint(config);
    this.perEcg = config.network.leads * config.network.length;
  }

  prepare(record: EcgRecord): PreparedSignal {
    return preprocess(record, this.config.preprocessing);
  }

  private engine(): NativeNetwork {
    if (!this.net) throw new ModelMismatchError(`${this.dir}: model was disposed`);
    return this.net;
  }

  private checkInput(input: Float32Array, batch: number): void {
    checkModelInput(input, batch, this.config.network.leads, this.config.network.length);
  }

  private checkTaps(taps: string[]): void {
    for (const t of taps) {
      if (!this.config.taps.includes(t)) {
        throw new ParameterError(
          "taps",
          `unknown tap '${t}' (taps are ${this.config.taps.join(", ")})`,
        );
      }
    }
  }

  async forward(
    input: Float32Array,
    batch: number,
    opts: { taps?: string[] } = {},
  ): Promise<ForwardResult> {
    this.checkInput(input, batch);
    const names = opts.taps ?? [];
    this.checkTaps(names);
    const net = this.engine();
    const shapes = net.tapShapes();
    const k = this.config.classes.length;
    const outputs = new Float32Array(batch * k);
    const taps: Record<string, TapOutput> = {};
    const chunks = batch > MAX_BATCH;
    for (const t of names) {
      const { channels, steps } = shapes[t];
      taps[t] = {
        channels,
        steps,
        data: chunks ? new Float32Array(batch * channels * steps) : new Float32Array(0),
      };
    }
    for (let b = 0; b < batch; b += MAX_BATCH) {
      const m = Math.min(MAX_BATCH, batch - b);
      const r = await net.forward(input.subarray(b * this.perEcg, (b + m) * this.perEcg), m, names);
      outputs.set(rawToOutputs(r.outputs, this.config), b * k);
      for (const t of names) {
        if (chunks) taps[t].data.set(r.taps[t], b * taps[t].channels * taps[t].steps);
        else taps[t].data = r.taps[t]; // one chunk: hand over the engine's buffer, no copy
      }
    }
    return { outputs, taps };
  }

  /** Grad-CAM of output `target` at `tap` for ONE prepared ECG: one value >= 0 per tap step. */
  async gradcam(input: Float32Array, tap: string, target: number): Promise<Float32Array> {
    this.checkInput(input, 1);
    this.checkTaps([tap]);
    checkTargetIndex(target, this.config.classes.length);
    return this.engine().gradcam(input, 1, tap, target);
  }

  dispose(): void {
    // The addon frees the network when the wrapper is collected; dropping it makes reuse an error.
    this.net = null;
  }
}

/** Loads a libtorch model folder read by `readModelFolder` (`loadModel` picks the backend). */
export async function loadLibtorchModel(
  dir: string,
  config: ModelConfig,
  weights: string,
): Promise<LoadedModel> {
  const net = createNetwork({ ...config.network, seed: 0, lr: 0, weightDecay: 0 });
  try {
    await net.load(weights);
  } catch (err) {
    throw new ModelMismatchError(
      `${weights}: cannot load weights (${(err as Error).message.split("\n")[0]})`,
    );
  }
  return new LoadedModel(dir, config, net);
}
