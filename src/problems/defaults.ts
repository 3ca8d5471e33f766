import type { CompareOptions } from "../core/verdict.js";
import type { Limits } from "./types.js";

/**
 * Output comparison for CodeContests, TACO and LiveCodeBench stdio problems, which ship no
 * checker: token-wise, any whitespace, case-insensitive because many Codeforces/AtCoder problems
 * accept "YES"/"yes" in any case, and 1e-6 absolute-or-relative tolerance on non-integer tokens,
 * the precision most real-valued competitive problems ask for. Integers still compare exactly.
 */
export const STDIO_COMPARE_NO_CHECKER: CompareOptions = {
  caseSensitive: false,
  spaceChangeSensitive: false,
  floatAbsTol: 1e-6,
  floatRelTol: 1e-6,
};

/**
 * Limits used when a dataset has none. 2 s is the most common Codeforces limit (CodeContests'
 * time_limit is null in some rows, and in all rows of the shared sample); 256 MB is the usual
 * memory limit on Codeforces, AtCoder and LeetCode-style judges.
 */
export const DEFAULT_TIME_LIMIT_SEC = 2;
export const DEFAULT_MEMORY_LIMIT_MB = 256;

/** Function-call benchmarks (HumanEval, MBPP): openai/human-eval's default timeout is 3 s. */
export const FUNCTION_TIME_LIMIT_SEC = 3;

/** The limits of a function-call problem (a fresh object: loaders' problems are mutable). */
export function functionCallLimits(): Limits {
  return {
    timeLimitSec: FUNCTION_TIME_LIMIT_SEC,
    memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB,
    timeLimitOrigin: "default",
  };
}

/**
 * Kattis legacy spec defaults: time_multiplier 5, time_safety_margin 2. When a package has
 * neither `.timelimit` nor measured accepted runs yet, codeloop uses 1 s (Kattis problems' most
 * common limit) and marks the origin "default" so `validate` knows to measure it.
 */
export const KATTIS_DEFAULT_TIME_MULTIPLIER = 5;
export const KATTIS_DEFAULT_SAFETY_MARGIN = 2;
export const KATTIS_FALLBACK_TIME_LIMIT_SEC = 1;
export const KATTIS_DEFAULT_MEMORY_LIMIT_MB = 1024;
