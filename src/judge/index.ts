export * from "./types.js";
export * from "./pyvalue.js";
export { compareOutput, parseValidatorFlags, tokenEqual } from "./compare.js";
export type { CompareResult } from "./compare.js";
export { Judge, describeFailure } from "./judge.js";
export type { JudgeOptions, JudgeResult, Submission, TestVerdict } from "./judge.js";
