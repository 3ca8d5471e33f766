import type { PyValue } from "../core/pyvalue.js";
import type { JudgeSpec, TestCase, Verdict } from "../core/verdict.js";

/** Benchmark formats codeloop reads. */
export type BenchmarkFormat =
  | "codecontests"
  | "codecontests-plus"
  | "taco"
  | "livecodebench"
  | "humaneval"
  | "mbpp"
  | "kattis"
  | "native";

export const BENCHMARK_FORMATS: readonly BenchmarkFormat[] = [
  "codecontests",
  "codecontests-plus",
  "taco",
  "livecodebench",
  "humaneval",
  "mbpp",
  "kattis",
  "native",
];

/** Difficulty on one scale for every benchmark; the dataset's own label stays in `difficultyRaw`. */
export type Difficulty = "easy" | "medium" | "hard" | "unknown";

/**
 * What a reference solution is known to do. Judge verdicts, plus "incorrect" for solutions a
 * dataset labels wrong without saying why (CodeContests `incorrect_solutions`), and any other
 * Kattis submissions folder name kept as written.
 */
export type SolutionVerdict = Verdict | "incorrect" | (string & {});

export interface ReferenceSolution {
  /** "python" (Python 3), "python2", "cpp", "java", "c", "kotlin", ... or "unknown". */
  language: string;
  code: string;
  verdict: SolutionVerdict;
  /** Path inside the dataset (Kattis submissions), when the solution is a file. */
  path?: string;
}

/** Where a time limit came from, so `validate` knows which ones it still has to measure. */
export type TimeLimitOrigin =
  | "dataset"
  /** The dataset had no limit; codeloop's documented default for that benchmark is used. */
  | "default"
  /** Kattis `.timelimit` file. */
  | "timelimit-file"
  /** Kattis: time_multiplier x slowest accepted submission, computed by `kattisTimeLimit`. */
  | "measured";

export interface Limits {
  timeLimitSec: number;
  memoryLimitMb: number;
  timeLimitOrigin: TimeLimitOrigin;
  /** Kattis `limits.time_multiplier` (spec default 5) and `time_safety_margin` (spec default 2). */
  timeMultiplier?: number;
  timeSafetyMargin?: number;
}

export interface ProblemMetadata {
  difficulty: Difficulty;
  /** The dataset's own difficulty label or code, as text ("EASY", "7", "hard", ...). */
  difficultyRaw?: string;
  /** Numeric rating when the source has one (Codeforces rating). */
  rating?: number;
  tags: string[];
  /** Where the problem comes from: "Codeforces", "AtCoder", "leetcode", a contest name, ... */
  source?: string;
  /** ISO date (YYYY-MM-DD or a full ISO timestamp) of the contest, when known. */
  contestDate?: string;
  url?: string;
  /** Program reads/writes these files instead of stdin/stdout (CodeContests input_file). */
  inputFile?: string;
  outputFile?: string;
  /** Interactive problems cannot be judged by comparing output. */
  interactive?: boolean;
  /**
   * Why the problem cannot be judged at all (a custom validator the package leaves out, a
   * checker whose header is missing): runs exclude it by default, validate counts it apart.
   */
  unjudgeable?: string;
  /** Format-specific fields worth keeping (Kattis author, TACO skill types, ...). */
  extra?: Record<string, unknown>;
}

/**
 * Tests of a problem. `public` may be shown to the model; `private` and `generated` are hidden.
 * `generated` holds machine-generated tests (CodeContests generated_tests, EvalPlus plus_input).
 */
export interface ProblemTests {
  public: TestCase[];
  private: TestCase[];
  generated: TestCase[];
}

/**
 * Function-call tests whose expected values still have to be computed by running the canonical
 * solution (HumanEval+ / MBPP+). `computeExpectedOutputs` turns them into function tests.
 */
export interface PendingExpected {
  canonicalCode: string;
  entryPoint: string;
  /** Argument lists for `tests.private` (EvalPlus base_input) and `tests.generated` (plus_input). */
  privateArgs: PyValue[][];
  generatedArgs: PyValue[][];
  /** Cache key part: sha256 of the dataset file the problem was read from. */
  datasetHash: string;
}

export interface Problem {
  /** Unique within its benchmark. */
  id: string;
  benchmark: BenchmarkFormat;
  /** "train" | "valid" | "test" | "validation" | "prompt" ... as the dataset names it. */
  split: string;
  title: string;
  statement: string;
  /** Code the model must complete or keep (function signature, class Solution, ...). */
  starterCode?: string;
  /** How tests of the problem's main kind are judged (that kind also decides the prompt style). */
  judge: JudgeSpec;
  /**
   * Specs for other kinds of tests the problem also carries, at most one per kind: HumanEval+
   * and MBPP+ have function tests (main) and assert tests (the official check / asserts).
   * Use `judgeFor(problem, test)` to pick the right one.
   */
  extraJudges: JudgeSpec[];
  tests: ProblemTests;
  limits: Limits;
  metadata: ProblemMetadata;
  /** Reference solutions: correct ones and, when the dataset has them, incorrect and slow ones. */
  solutions: ReferenceSolution[];
  /** Things a user should know: missing checker, multi-answer risk, skipped tests, ... */
  warnings: string[];
  pendingExpected?: PendingExpected;
  /** The file (and row or line) the problem was read from, for messages and caches. */
  origin: { file: string; row?: number };
}

/** Chooses which problems to load. All given conditions must hold. */
export interface ProblemFilters {
  split?: string;
  ids?: string[];
  /** Normalised ("easy") or raw ("MEDIUM_HARD", "7") difficulty labels, any of them. */
  difficulty?: string[];
  /** Inclusive ISO dates; problems without a contest date are dropped when either is set. */
  contestDateFrom?: string;
  contestDateTo?: string;
  /** Every tag must be present (case-insensitive). */
  tags?: string[];
  /** Keep this many problems chosen at random with `seed` (the same seed gives the same set). */
  sample?: number;
  seed?: number;
  /** At most this many problems (after sampling). */
  limit?: number;
}

/**
 * Runs the canonical solution on each argument list and returns its return values, in order.
 * The sandbox provides the real implementation.
 */
/**
 * Runs the canonical solution on each argument list and returns what it returned, or null for
 * an input it failed on (that test is then left out, with a warning on the problem).
 */
export type ComputeExpected = (
  problem: Problem,
  canonicalCode: string,
  argsList: PyValue[][],
) => Promise<(PyValue | null)[]>;

export interface LoadOptions {
  /** Skip detection. */
  format?: BenchmarkFormat;
  /** LiveCodeBench release: "release_v1".."release_vN" (cumulative), "vN" or "vA_vB". */
  release?: string;
  /** Fills HumanEval+/MBPP+ function tests; without it they stay in `pendingExpected`. */
  computeExpected?: ComputeExpected;
  /** Root of the dataset and expected-output caches (default CODELOOP_CACHE_DIR or ~/.cache/codeloop). */
  cacheDir?: string;
  /** Hub base URL (default HF_ENDPOINT or https://huggingface.co). */
  hubEndpoint?: string;
  /** Hub token (default HF_TOKEN). */
  hubToken?: string;
  /** Use only the local cache for `hf:` sources (also HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** Progress messages (downloads). */
  log?: (message: string) => void;
}
