import type { JudgeSpec, TestCase } from "../core/verdict.js";
import type { Problem } from "./types.js";

/** The judge spec for one test: the problem's main spec or the extra one of the test's kind. */
export function judgeFor(problem: Problem, test: TestCase): JudgeSpec {
  if (problem.judge.kind === test.kind) return problem.judge;
  const spec = problem.extraJudges.find((j) => j.kind === test.kind);
  if (!spec) throw new Error(`problem ${problem.id} has a ${test.kind} test but no ${test.kind} judge spec`);
  return spec;
}

/** Every test of the problem: public, then private, then generated. */
export function allTests(problem: Problem): TestCase[] {
  return [...problem.tests.public, ...problem.tests.private, ...problem.tests.generated];
}

export function testCounts(problem: Problem): {
  public: number;
  private: number;
  generated: number;
  pending: number;
} {
  const pe = problem.pendingExpected;
  return {
    public: problem.tests.public.length,
    private: problem.tests.private.length,
    generated: problem.tests.generated.length,
    pending: pe ? pe.privateArgs.length + pe.generatedArgs.length : 0,
  };
}
