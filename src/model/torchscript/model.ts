/**
 * A TorchScript network behind the Model face: libtorch runs the scripted module, its taps are
 * read from submodule outputs, and Grad-CAM uses the exact gradient (autograd) at the tap.
 */
import { ModelMismatchError } from "../../errors.js";
import { ImportedModel, tapValues, type EngineResult } from "../imported-model.js";
import { checkTapNames } from "../imported.js";
import { checkTargetIndex, type ModelFace } from "../face.js";
import type { ModelConfig } from "../presets.js";
import { loadScriptModule, type NativeScriptModule } from "./native.js";

export class TorchScriptModel extends ImportedModel<NativeScriptModule> implements ModelFace {
  /** `m` ECGs in the module's layout, with the batch dimension first. */
  private toModule(x: Float32Array, m: number): { x: Float32Array; dims: number[] } {
    const g = this.inLayout(x, m);
    return { x: g.x, dims: [m, ...g.dims] };
  }

  protected async run(
    x: Float32Array,
    m: number,
    dims: number[],
    values: string[],
  ): Promise<EngineResult> {
    const r = await this.engine().forward(x, [m, ...dims], values);
    const data: Record<string, Float32Array> = {};
    for (const v of values) data[v] = r.taps[v].data;
    return { output: r.output, values: data };
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
