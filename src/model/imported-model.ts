/**
 * What the backends of imported networks (ONNX, TorchScript) share: the folder's configuration and
 * fingerprint, preprocessing, the input checks, the switch to the network's layout, and the engine
 * handle a disposed model no longer has.
 */
import { ModelMismatchError } from "../errors.js";
import { preprocess, type PreparedSignal } from "../signal/preprocess.js";
import type { EcgRecord } from "../types.js";
import { checkModelInput } from "./face.js";
import { modelFingerprint } from "./folder.js";
import { swapLastAxes, type ImportedNetwork } from "./imported.js";
import type { ModelConfig } from "./presets.js";

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

  /** `m` prepared (lead-major) ECGs in the network's layout, and the dimensions of one ECG. */
  protected inLayout(x: Float32Array, m: number): { x: Float32Array; dims: number[] } {
    return this.net.layout === "ntc"
      ? { x: swapLastAxes(x, m, this.leads, this.length), dims: [this.length, this.leads] }
      : { x, dims: [this.leads, this.length] };
  }
}
