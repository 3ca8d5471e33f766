import type { JudgeSpec, TestCase } from "../core/verdict.js";
import type { SandboxLimits, SandboxTrace } from "../sandbox/index.js";
import type { JudgeOptions, JudgeResult, Submission } from "./judge.js";

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
  judge(spec: JudgeSpec, tests: TestCase[], submission: Submission, opts: JudgeOptions): Promise<JudgeResult>;
  /** A line-level trace of one test (the "trace" feedback kind); undefined when it cannot be traced. */
  traceTest(
    spec: JudgeSpec,
    test: TestCase,
    submission: Submission,
    opts: { limits: SandboxLimits },
  ): Promise<SandboxTrace | undefined>;
}
