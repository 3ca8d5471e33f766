export * from "./trajectory.js";
export * from "./config.js";
export { runConfigJsonSchema, runConfigJsonSchemaText } from "./schema.js";
export * from "./store.js";
export * from "./scheduler.js";
export * from "./open-run.js";
export { turnVerifier, usesVerifier, verifierFor, verifierSpecOf } from "./verifier.js";
export { type ReselectOptions, type ReselectResult, type SelectionRule, reselectRun } from "./reselect.js";
