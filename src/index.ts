export * from "./judge/index.js";
export * from "./sandbox/index.js";
export * from "./problems/index.js";
export * from "./models/index.js";
export * from "./validate/index.js";
export * from "./prompts/index.js";
export * from "./runs/index.js";
