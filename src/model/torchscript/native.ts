/** Typings of the native TorchScript runner (native/src/torchscript.cc). */
import { loadNative } from "../../native.js";
import { getNumThreads } from "../engine.js";

export interface ScriptRun {
  output: Float32Array;
  outputDims: number[];
  taps: Record<string, { data: Float32Array; dims: number[] }>;
}

export interface NativeScriptModule {
  /** Dotted paths of every submodule, in definition order. */
  submodules(): string[];
  /**
   * `dims` includes the batch; the taps are submodule paths whose forward returns one tensor.
   * `lenient`: taps that cannot be read are left out of the result instead of failing.
   */
  forward(
    input: Float32Array,
    dims: number[],
    taps: string[],
    lenient?: boolean,
  ): Promise<ScriptRun>;
  /** One tap's activation and the exact gradient of output `target` w.r.t. it (same dims). */
  tapGradient(
    input: Float32Array,
    dims: number[],
    tap: string,
    target: number,
  ): Promise<{ activation: Float32Array; gradient: Float32Array; dims: number[] }>;
}

interface NativeModule {
  ScriptModule: new (path: string) => NativeScriptModule;
}

/** Loads a TorchScript file (torch.jit.save), in eval mode; throws one line on a bad file. */
export function loadScriptModule(path: string): NativeScriptModule {
  getNumThreads(); // sets libtorch's thread count once, as for the native engine
  return new (loadNative<NativeModule>().ScriptModule)(path);
}
