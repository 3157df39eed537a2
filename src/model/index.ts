// Public API of the model module (src/model): presets, the engine, the model folder, training.
export * from "./presets.js";
export * from "./engine.js";
export * from "./folder.js";
export * from "./model.js";
export * from "./data.js";
export * from "./scores.js";
export * from "./train.js";
export * from "./progress.js";
export * from "./run.js";
