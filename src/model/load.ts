/**
 * Loads a model folder of any backend: our own networks on the libtorch engine, imported ONNX
 * (ONNX Runtime) and TorchScript networks. Each is a `ModelFace`; errors name the folder and what
 * is wrong (missing, corrupt, foreign).
 */
import type { ModelFace } from "./face.js";
import { readModelFolder } from "./folder.js";
import { loadLibtorchModel } from "./libtorch/model.js";

export async function loadModel(dir: string): Promise<ModelFace> {
  const { config, weights } = readModelFolder(dir);
  // Imported backends load lazily: ONNX Runtime's binary is only opened for an ONNX folder.
  if (config.backend === "onnx")
    return (await import("./onnx/model.js")).loadOnnxModel(dir, config, weights);
  if (config.backend === "torchscript")
    return (await import("./torchscript/model.js")).loadTorchScriptModel(dir, config, weights);
  return loadLibtorchModel(dir, config, weights);
}
