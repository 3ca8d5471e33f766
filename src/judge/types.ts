import type { PyValue } from "./pyvalue.js";

/** Languages a submission can be written in. */
export type Language = "python" | "cpp";

/**
 * How a program's stdout is compared with the expected answer (Kattis default-validator
 * semantics). Integers are always compared exactly, at any size.
 */
export interface CompareOptions {
  /** Tokens must match in case (Kattis `case_sensitive`). */
  caseSensitive: boolean;
  /** Whitespace between tokens must match exactly (Kattis `space_change_sensitive`). */
  spaceChangeSensitive: boolean;
  /** Accept a float token when |got - want| <= floatAbsTol. */
  floatAbsTol?: number;
  /** Accept a float token when |got - want| <= floatRelTol * |want|. */
  floatRelTol?: number;
}

export const DEFAULT_COMPARE: CompareOptions = { caseSensitive: true, spaceChangeSensitive: false };

/** A Kattis-style output validator: `validator input answer feedback_dir < team_output`. */
export interface OutputValidator {
  /** Source files of the validator (a single file or all files of a multi-file validator). */
  sources: { path: string; content: string }[];
  language: Language;
  /** Extra arguments passed after the feedback dir (Kattis `validator_flags`). */
  flags: string[];
}

/** How a problem's submissions are judged. */
export type JudgeSpec =
  | {
      kind: "stdio";
      compare: CompareOptions;
      /** When present, the output validator decides instead of token comparison. */
      validator?: OutputValidator;
    }
  | {
      kind: "function";
      /** Function name, or `Class.method` (the class is instantiated without arguments). */
      entryPoint: string;
      /** Tolerance applied recursively to floats inside return values. */
      floatAbsTol?: number;
      floatRelTol?: number;
      /**
       * Expected values came from JSON (TACO, LiveCodeBench): lists also accept tuples and
       * an int where a float is expected. Values serialised from Python are compared strictly.
       */
      looseSequences?: boolean;
    }
  | {
      kind: "assert";
      /** Code run after the program and before each test's script (MBPP test_setup_code). */
      setup?: string;
    };

/** One test of a problem; its kind matches the problem's JudgeSpec kind. */
export type TestCase =
  | { kind: "stdio"; name?: string; input: string; output: string }
  | { kind: "function"; name?: string; args: PyValue[]; expected: PyValue }
  | { kind: "assert"; name?: string; script: string };

/** Final verdicts, per test and per submission. */
export type Verdict =
  | "accepted"
  | "wrong_answer"
  | "time_limit"
  | "memory_limit"
  | "runtime_error"
  | "compile_error"
  | "output_limit"
  | "sandbox_error";

export const VERDICTS: readonly Verdict[] = [
  "accepted",
  "wrong_answer",
  "time_limit",
  "memory_limit",
  "runtime_error",
  "compile_error",
  "output_limit",
  "sandbox_error",
];
