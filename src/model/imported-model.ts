/**
 * What the backends of imported networks (ONNX, TorchScript) share: the folder's configuration and
 * fingerprint, preprocessing, the input checks, the switch to the network's layout, and the engine
 * handle a disposed model no longer has.
 */
import { ModelMismatchError } from "../errors.js";
import { preprocess, type PreparedSignal } from "../signal/preprocess.js";
import type { EcgRecord } from "../types.js";
import { checkModelInput, MAX_BATCH, type ForwardResult, type TapOutput } from "./face.js";
import { modelFingerprint } from "./folder.js";
import {
  activate,
  checkTapNames,
  swapLastAxes,
  type ImportedNetwork,
  type ImportedTap,
} from "./imported.js";
import type { ModelConfig } from "./presets.js";

/** A tap's values as batch x channels x steps, whatever the network's layout. */
export function tapValues(data: Float32Array, m: number, tap: ImportedTap): Float32Array {
  return tap.layout === "ntc" ? swapLastAxes(data, m, tap.steps, tap.channels) : data;
}

/** What one engine call gives: the raw outputs and the raw data of each value asked for. */
export interface EngineResult {
  output: Float32Array;
  values: Record<string, Float32Array>;
}

export abstract class ImportedModel<Engine> {
  readonly fingerprint: string;
  protected readonly net: ImportedNetwork;
  protected readonly leads: number;
  protected readonly length: number;
  private handle: Engine | null;

  constructor(
    readonly dir: string,
    readonly config: ModelConfig,
    engine: Engine,
  ) {
    this.handle = engine;
    this.net = config.imported!;
    this.fingerprint = modelFingerprint(config);
    this.leads = config.preprocessing.leads.length;
    this.length = config.preprocessing.length;
  }

  prepare(record: EcgRecord): PreparedSignal {
    return preprocess(record, this.config.preprocessing);
  }

  protected engine(): Engine {
    if (!this.handle) throw new ModelMismatchError(`${this.dir}: model was disposed`);
    return this.handle;
  }

  /** The engine handle, now given up (null when already disposed). */
  protected release(): Engine | null {
    const h = this.handle;
    this.handle = null;
    return h;
  }

  protected checkInput(input: Float32Array, batch: number): void {
    checkModelInput(input, batch, this.leads, this.length);
  }

  /**
   * One engine call on `m` ECGs in the network's layout (`dims`: one ECG's), returning the raw
   * outputs and the values named in `values` (the taps' graph values).
   */
  protected abstract run(
    x: Float32Array,
    m: number,
    dims: number[],
    values: string[],
  ): Promise<EngineResult>;

  async forward(
    input: Float32Array,
    batch: number,
    opts: { taps?: string[] } = {},
  ): Promise<ForwardResult> {
    this.checkInput(input, batch);
    const names = opts.taps ?? [];
    checkTapNames(this.net, names);
    const k = this.config.classes.length;
    const per = this.leads * this.length;
    const outputs = new Float32Array(batch * k);
    const taps: Record<string, TapOutput> = {};
    for (const t of names) {
      const { channels, steps } = this.net.taps[t];
      taps[t] = { channels, steps, data: new Float32Array(batch * channels * steps) };
    }
    const values = [...new Set(names.map((t) => this.net.taps[t].value))];
    for (let b = 0; b < batch; b += MAX_BATCH) {
      const m = Math.min(MAX_BATCH, batch - b);
      const g = this.inLayout(input.subarray(b * per, (b + m) * per), m);
      const r = await this.run(g.x, m, g.dims, values);
      if (r.output.length !== m * k) {
        throw new ModelMismatchError(
          `${this.dir}: the network returned ${r.output.length / m} outputs per ECG, model.json names ${k} classes`,
        );
      }
      outputs.set(activate(r.output, k, this.net.activation), b * k);
      for (const t of names) {
        const spec = this.net.taps[t];
        taps[t].data.set(tapValues(r.values[spec.value], m, spec), b * spec.channels * spec.steps);
      }
    }
    return { outputs, taps };
  }

  /** `m` prepared (lead-major) ECGs in the network's layout, and the dimensions of one ECG. */
  protected inLayout(x: Float32Array, m: number): { x: Float32Array; dims: number[] } {
    return this.net.layout === "ntc"
      ? { x: swapLastAxes(x, m, this.leads, this.length), dims: [this.length, this.leads] }
      : { x, dims: [this.leads, this.length] };
  }
}
