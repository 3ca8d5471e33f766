import type { JudgeSpec, Language, TestCase, Verdict } from "../core/verdict.js";
import type { RunRecord, SandboxLimits, SandboxTrace } from "../sandbox/types.js";

/**
 * What judges a submission on a test set, wherever the programs run: the local `Judge` over an
 * executor (a sandbox), or a client of judge workers elsewhere. Runs, validate, grading,
 * `codeloop judge` and `codeloop serve` call this. The verdict is decided next to the run by
 * trusted code (output comparison and checkers stop a job early, and need its outputs), so a
 * remote service ships whole judge jobs, not single program runs.
 */
export interface JudgeService {
  /** Test sets it judges at once (the scheduler sizes its sandbox gate by it). */
  readonly capacity: number;
  /**
   * Programs it runs at once: its sandbox slots, here or on the queue's workers. Callers that
   * cut one large test set into pieces, so that one slow solution does not keep a single slot
   * busy while the others idle, cut it into this many.
   */
  readonly slots: number;
  judge(spec: JudgeSpec, tests: TestCase[], submission: Submission, opts: JudgeOptions): Promise<JudgeResult>;
  /** A line-level trace of one test (the "trace" feedback kind); undefined when it cannot be traced. */
  traceTest(
    spec: JudgeSpec,
    test: TestCase,
    submission: Submission,
    opts: { limits: SandboxLimits },
  ): Promise<SandboxTrace | undefined>;
}

/**
 * The sandbox failed to judge a program, again after a retry (an infrastructure failure: the
 * machine's fault, not the program's). Thrown where going on would turn it into something the
 * model is scored or taught on (feedback, a reward); runs stop resumably on it.
 */
export class InfrastructureError extends Error {
  override name = "InfrastructureError";
}

export interface Submission {
  language: Language | string;
  code: string;
}

export interface JudgeOptions {
  limits: SandboxLimits;
  /** Stop at the first test that is not accepted (default true). */
  stopOnFirstFailure?: boolean;
}

export interface TestVerdict {
  index: number;
  name?: string;
  verdict: Verdict;
  /** Why the test failed, in a form fit for feedback (first differing token, exception). */
  message?: string;
  record: RunRecord;
}

export interface JudgeResult {
  /** The first non-accepted verdict in test order, or accepted. */
  verdict: Verdict;
  tests: TestVerdict[];
  passed: number;
  /** Number of tests in the set (tests.length is smaller when judging stopped early). */
  total: number;
  /** The compiler's record when compilation failed. */
  compile?: RunRecord;
  /** A test could not be judged because the sandbox failed twice: not the program's fault. */
  infrastructureFailure: boolean;
}
