// What src/index.ts re-exports from the model module: src/model/index.ts minus entriesInFolds,
// whose public name belongs to src/tlc (the two are kept apart to avoid an ambiguous export).
export * from "./presets.js";
export * from "./engine.js";
export * from "./folder.js";
export * from "./model.js";
export * from "./scores.js";
export * from "./train.js";
export * from "./progress.js";
export * from "./run.js";
export {
  usableAge,
  targetOf,
  dataFingerprint,
  loadLabelledSet,
  type EntryLike,
  type DatasetLike,
  type LabelledSet,
} from "./data.js";
