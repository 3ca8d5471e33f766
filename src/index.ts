export * from "./judge/types.js";
export * from "./judge/pyvalue.js";
