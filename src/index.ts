/**
 * ecg-tlc: the library. Every CLI command is a thin wrapper over what is exported here.
 * Each module adds its public API below, one `export *` line per module.
 */
export * from "./errors.js";
export * from "./explain/index.js";
export * from "./types.js";
export * from "./eval/metrics.js";
export * from "./signal/delineate/index.js";
export * from "./signal/waves.js";
export * from "./eval/delineation-score.js";
export * from "./signal/random.js";
export * from "./signal/filter.js";
export * from "./signal/resample.js";
export * from "./signal/leads.js";
export * from "./signal/normalize.js";
export * from "./signal/preprocess.js";
export * from "./io/index.js";
export * from "./eval/forest.js";
export * from "./eval/alignment.js";
export * from "./eval/surrogate.js";
export * from "./eval/analyses.js";
export * from "./eval/evaluate.js";
export * from "./eval/report.js";
export * from "./signal/synth.js";
export * from "./signal/synth-dataset.js";
export * from "./server/index.js";
export * from "./tlc/index.js";
export * from "./io/npy.js";
export * from "./viz/index.js";
export * from "./report/index.js";
export * from "./model/index.js";
export * from "./pipeline.js";
