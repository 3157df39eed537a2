// Public API of the model module (src/model): the model face, presets, the libtorch backend
// (engine, model folder, training).
export * from "./face.js";
export * from "./presets.js";
export * from "./engine.js";
export * from "./folder.js";
export * from "./libtorch/model.js";
export * from "./load.js";
export * from "./data.js";
export * from "./scores.js";
export * from "./train.js";
export * from "./progress.js";
export * from "./run.js";
