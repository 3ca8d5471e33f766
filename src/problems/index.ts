/**
 * Benchmarks as one Problem model: loaders for CodeContests, TACO, LiveCodeBench, HumanEval(+),
 * MBPP(+), Kattis packages and codeloop's native JSONL, from local paths or `hf:` datasets.
 */
export type {
  BenchmarkFormat,
  ComputeExpected,
  Difficulty,
  Limits,
  LoadOptions,
  PendingExpected,
  Problem,
  ProblemFilters,
  ProblemMetadata,
  ProblemTests,
  ReferenceSolution,
  SolutionVerdict,
  TimeLimitOrigin,
} from "./types.js";
export { BENCHMARK_FORMATS } from "./types.js";
export { loadProblems, streamProblems, detectFileFormat, resolveLocal, sourceFormat } from "./load.js";
export { defaultCacheDir } from "./cache.js";
export { ProblemLoadError, HubError } from "./errors.js";
export { FilterError, matchesFilters, sampleProblems } from "./filters.js";
export { computeExpectedOutputs } from "./expected.js";
export type { ComputeExpectedOptions } from "./expected.js";
export { kattisTimeLimit, compareFromValidatorFlags } from "./formats/kattis.js";
export { writeNativeJsonl, NATIVE_HEADER } from "./formats/native.js";
export { parseHubSource, resolveHubSource, downloadFile, DEFAULT_HUB_ENDPOINT } from "./hub.js";
export { unpickle, UnpickleError } from "./pickle.js";
export { parsePyLiteral, parsePyArgs, PyLiteralError } from "./pyliteral.js";
export { PyExprError, parseAssertStatement, parseExpression } from "./pyexpr.js";
export type { PyExpr } from "./pyexpr.js";
export { constValue } from "./pyfold.js";
export { checkFunctionAsserts, classifyAssert, convertAssert, convertCheckFunction } from "./asserts.js";
export type { AssertConversion, ConvertedAssert } from "./asserts.js";
export {
  DEFAULT_MEMORY_LIMIT_MB,
  DEFAULT_TIME_LIMIT_SEC,
  FUNCTION_TIME_LIMIT_SEC,
  KATTIS_DEFAULT_MEMORY_LIMIT_MB,
  KATTIS_DEFAULT_TIME_MULTIPLIER,
  KATTIS_FALLBACK_TIME_LIMIT_SEC,
  STDIO_COMPARE_NO_CHECKER,
} from "./defaults.js";
export { judgeFor, allTests, testCounts } from "./problem.js";
export { LOAD_FLAG_KINDS, loadFlags } from "./flags.js";
export type { LoadFlag, LoadFlagKind } from "./flags.js";
