/** The ECG data layer: WFDB headers, signals and annotations, and dataset loaders. */
export * from "./header.js";
export * from "./formats.js";
export * from "./mat.js";
export * from "./record.js";
export * from "./annotations.js";
export * from "./writer.js";
export * from "./csv.js";
export * from "./datasets/index.js";
export * from "./summary.js";
export * from "./files.js";
