export * from "./judge/index.js";
export * from "./sandbox/index.js";
