// One explanation type and the helpers every reader of it shares.
export * from "./explanation.js";
export * from "./gradcam.js";
