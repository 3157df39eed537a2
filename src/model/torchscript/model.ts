/**
 * A TorchScript network behind the Model face: libtorch runs the scripted module, its taps are
 * read from submodule outputs, and Grad-CAM uses the exact gradient (autograd) at the tap.
 */
import { ModelMismatchError } from "../../errors.js";
import { ImportedModel } from "../imported-model.js";
import { activate, checkTapNames, swapLastAxes, type ImportedTap } from "../imported.js";
import {
  checkTargetIndex,
  MAX_BATCH,
  type ForwardResult,
  type ModelFace,
  type TapOutput,
} from "../face.js";
import type { ModelConfig } from "../presets.js";
import { loadScriptModule, type NativeScriptModule } from "./native.js";

export class TorchScriptModel extends ImportedModel<NativeScriptModule> implements ModelFace {
  /** `m` ECGs in the module's layout, with the batch dimension first. */
  private toModule(x: Float32Array, m: number): { x: Float32Array; dims: number[] } {
    const g = this.inLayout(x, m);
    return { x: g.x, dims: [m, ...g.dims] };
  }

  async forward(
    input: Float32Array,
    batch: number,
    opts: { taps?: string[] } = {},
  ): Promise<ForwardResult> {
    this.checkInput(input, batch);
    const names = opts.taps ?? [];
    checkTapNames(this.net, names);
    const module = this.engine();
    const k = this.config.classes.length;
    const per = this.leads * this.length;
    const outputs = new Float32Array(batch * k);
    const taps: Record<string, TapOutput> = {};
    for (const t of names) {
      const { channels, steps } = this.net.taps[t];
      taps[t] = { channels, steps, data: new Float32Array(batch * channels * steps) };
    }
    for (let b = 0; b < batch; b += MAX_BATCH) {
      const m = Math.min(MAX_BATCH, batch - b);
      const g = this.toModule(input.subarray(b * per, (b + m) * per), m);
      const r = await module.forward(g.x, g.dims, [
        ...new Set(names.map((t) => this.net.taps[t].value)),
      ]);
      if (r.output.length !== m * k) {
        throw new ModelMismatchError(
          `${this.dir}: the network returned ${r.output.length / m} outputs per ECG, model.json names ${k} classes`,
        );
      }
      outputs.set(activate(r.output, k, this.net.activation), b * k);
      for (const t of names) {
        const spec = this.net.taps[t];
        taps[t].data.set(
          tapValues(r.taps[spec.value].data, m, spec),
          b * spec.channels * spec.steps,
        );
      }
    }
    return { outputs, taps };
  }

  /** The tap's activation and the exact gradient of raw output `target`, channels x steps. */
  async tapGradient(input: Float32Array, tap: string, target: number) {
    this.checkInput(input, 1);
    checkTapNames(this.net, [tap]);
    checkTargetIndex(target, this.config.classes.length);
    const spec = this.net.taps[tap];
    const g = this.toModule(input, 1);
    const r = await this.engine().tapGradient(g.x, g.dims, spec.value, target);
    return {
      activation: tapValues(r.activation, 1, spec),
      gradient: tapValues(r.gradient, 1, spec),
    };
  }

  async gradcam(input: Float32Array, tap: string, target: number): Promise<Float32Array> {
    const { activation, gradient } = await this.tapGradient(input, tap, target);
    const { channels, steps } = this.net.taps[tap];
    const cam = new Float32Array(steps);
    for (let c = 0; c < channels; c++) {
      let w = 0;
      for (let t = 0; t < steps; t++) w += gradient[c * steps + t];
      w /= steps;
      for (let t = 0; t < steps; t++) cam[t] += w * activation[c * steps + t];
    }
    for (let t = 0; t < steps; t++) cam[t] = Math.max(0, cam[t]);
    return cam;
  }

  dispose(): void {
    this.release();
  }
}

function tapValues(data: Float32Array, m: number, tap: ImportedTap): Float32Array {
  return tap.layout === "ntc" ? swapLastAxes(data, m, tap.steps, tap.channels) : data;
}

export async function loadTorchScriptModel(
  dir: string,
  config: ModelConfig,
  path: string,
): Promise<TorchScriptModel> {
  let module: NativeScriptModule;
  try {
    module = loadScriptModule(path);
  } catch (err) {
    throw new ModelMismatchError(
      `${path}: cannot load the TorchScript module (${(err as Error).message.split("\n")[0]})`,
    );
  }
  return new TorchScriptModel(dir, config, module);
}
