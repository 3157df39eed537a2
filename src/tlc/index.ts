// The TLC core: composite features, k-means, soft assignment, segmentation, the fitted explainer.
export * from "./assign.js";
export * from "./features.js";
export * from "./fit.js";
export * from "./kmeans.js";
export * from "./segments.js";
export * from "./stream.js";
export * from "./variance.js";
export * from "./tlc.js";
export * from "./json.js";
export * from "./bound.js";
export * from "./export.js";
export * from "./states.js";
export * from "./state-pass.js";
