export * from "./config.js";
export * from "./run.js";
export * from "./table.js";
export { sweepConfigJsonSchema, sweepConfigJsonSchemaText } from "./schema.js";
