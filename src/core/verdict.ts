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

/**
 * How an output validator is called and what its exit code means.
 * kattis: `validator input answer feedback_dir [flags] < output`, 42 accepted, 43 wrong answer.
 * testlib (Codeforces/Polygon checkers): `checker input output answer`, 0 accepted, 1 wrong
 * answer, 2 presentation error, 3 checker failure, 7 points (see docs/sandbox.md).
 */
export type ValidatorProtocol = "kattis" | "testlib";

/** A program that decides whether a test's output is right (a Kattis validator or a testlib checker). */
export interface OutputValidator {
  /** Calling convention; absent means kattis, so specs stored before testlib support still mean what they did. */
  protocol?: ValidatorProtocol;
  /** Source files of the validator (a single file or all files of a multi-file validator), headers included. */
  sources: { path: string; content: string }[];
  language: Language;
  /** Extra arguments passed after the feedback dir (Kattis `validator_flags`); testlib checkers take none. */
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
      /**
       * EvalPlus's comparison (HumanEval+, MBPP+): Python's `==` first (6.0 == 6, True == 1),
       * then, for expected values holding floats, numpy.allclose-style tolerance
       * (|got - want| <= abs + rel * |want|).
       */
      pythonEquality?: boolean;
    }
  | {
      kind: "assert";
      /**
       * Code the dataset runs before each test's script (MBPP test_setup_code and imports). It
       * runs in the judge's checker process, never in the candidate's.
       */
      setup?: string;
      /**
       * Dataset code that defines what the test scripts use besides the candidate (HumanEval's
       * prompt: imports and helper functions such as `poly`); run in the checker before setup.
       */
      context?: string;
      /**
       * The function under test. In a checker script this name and `candidate` call into the
       * candidate's process; converted asserts (`call`) call it directly.
       */
      entryPoint?: string;
    };

/**
 * How a converted assert judges the value the entry point returned, with Python's semantics
 * (`==` across int/float/bool, list != tuple, dict subclasses equal to dicts, ...), in Node.
 * `wrap` applies a builtin to the returned value first (`set(f(x)) == {...}`).
 */
export type AssertCheck =
  | { op: "eq" | "ne"; expected: PyValue; wrap?: "set" | "frozenset" | "tuple" | "list" }
  | { op: "isclose"; expected: PyValue; relTol: number; absTol: number }
  | { op: "absdiff"; expected: PyValue; tol: number; inclusive: boolean }
  | { op: "truthy" | "falsy" }
  | { op: "is" | "isnot"; expected: PyValue };

/** An assert of a recognised shape, turned into one call of the entry point and a check. */
export interface AssertCall {
  args: PyValue[];
  kwargs?: [string, PyValue][];
  check: AssertCheck;
}

/** One test of a problem; its kind matches the problem's JudgeSpec kind. */
export type TestCase =
  | { kind: "stdio"; name?: string; input: string; output: string }
  | { kind: "function"; name?: string; args: PyValue[]; expected: PyValue }
  | {
      kind: "assert";
      name?: string;
      /** The assert as the dataset wrote it (shown in prompts and feedback). */
      script: string;
      /**
       * Set when the assert was converted at load time: the judge calls the entry point with
       * these arguments and checks the returned value in Node; the script is not run.
       */
      call?: AssertCall;
    };

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
