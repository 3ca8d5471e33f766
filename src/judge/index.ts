export * from "../core/verdict.js";
export { JUDGE_VERSION } from "./version.js";
export * from "../core/pyvalue.js";
export {
  applyBuiltin,
  checkAssertCall,
  pyEquals,
  pyHashKey,
  pyIsHashable,
  pyTruthy,
  pyTypeName,
} from "./pycompare.js";
export type { AssertOutcome } from "./pycompare.js";
export { compareOutput, parseValidatorFlags, tokenEqual } from "./compare.js";
export type { CompareResult } from "./compare.js";
export type { JudgeService } from "./service.js";
export { InfrastructureError } from "./service.js";
export { Judge, describeFailure, inferAssertEntry } from "./judge.js";
export type { JudgeOptions, JudgeResult, Submission, TestVerdict } from "./judge.js";
