/**
 * ecg-tlc: the library. Every CLI command is a thin wrapper over what is exported here.
 * Each module adds its public API below, one `export *` line per module.
 */
export * from "./errors.js";
export * from "./types.js";
export * from "./eval/metrics.js";
