import type { TestSummary } from "../core/trajectory.js";
import type { Language, TestCase } from "../core/verdict.js";
import {
  InfrastructureError,
  type JudgeResult,
  type JudgeService,
  type TestVerdict,
} from "../judge/index.js";
import { type Problem, judgeFor } from "../problems/index.js";
import type { SandboxLimits } from "../sandbox/index.js";

/**
 * Judges code on a list of tests that may mix kinds (HumanEval+ has function tests and an
 * assert check): one judge call per judge spec, results merged back in test order so that
 * `index` points into `tests`, as feedbackInput expects.
 */
export async function judgeTests(
  judge: JudgeService,
  problem: Problem,
  tests: readonly TestCase[],
  code: string,
  language: Language,
  limits: SandboxLimits,
  stopOnFirstFailure: boolean,
): Promise<JudgeResult> {
  const groups = new Map<ReturnType<typeof judgeFor>, number[]>();
  tests.forEach((t, i) => {
    const spec = judgeFor(problem, t);
    const g = groups.get(spec);
    if (g) g.push(i);
    else groups.set(spec, [i]);
  });
  const merged: TestVerdict[] = [];
  let infrastructureFailure = false;
  for (const [spec, indices] of groups) {
    const r = await judge.judge(
      spec,
      indices.map((i) => tests[i]!),
      { language, code },
      { limits, stopOnFirstFailure },
    );
    if (r.verdict === "compile_error" && r.compile) {
      return { ...r, total: tests.length };
    }
    infrastructureFailure ||= r.infrastructureFailure;
    for (const v of r.tests) merged.push({ ...v, index: indices[v.index]! });
    if (stopOnFirstFailure && r.verdict !== "accepted") break;
  }
  merged.sort((a, b) => a.index - b.index);
  const bad = merged.find((v) => v.verdict !== "accepted");
  return {
    verdict: bad ? bad.verdict : "accepted",
    tests: merged,
    passed: merged.filter((v) => v.verdict === "accepted").length,
    total: tests.length,
    infrastructureFailure,
  };
}

/** A judge call, made once more when it was an infrastructure failure (the sandbox's, not the program's). */
export async function retriedOnInfrastructureFailure<R extends { infrastructureFailure: boolean }>(
  call: () => Promise<R>,
): Promise<R> {
  const r = await call();
  return r.infrastructureFailure ? call() : r;
}

/**
 * A judge call whose infrastructure failure is tried once more, then thrown as an
 * InfrastructureError naming `what`: for results that become feedback or rewards, where a
 * failure of the machine must never pass for the program's.
 */
export async function judgedOrThrow(call: () => Promise<JudgeResult>, what: string): Promise<JudgeResult> {
  const r = await retriedOnInfrastructureFailure(call);
  if (r.infrastructureFailure) {
    const detail = r.tests.find((t) => t.verdict === "sandbox_error")?.record.detail;
    throw new InfrastructureError(
      `the sandbox failed twice judging ${what}${detail ? ` (${detail})` : ""}: an infrastructure failure, not the program's verdict`,
    );
  }
  return r;
}

/** What the store keeps of a judge result (outputs dropped). */
export function summarize(r: JudgeResult): TestSummary {
  return {
    verdict: r.verdict,
    passed: r.passed,
    total: r.total,
    tests: r.tests.map((t) => ({
      index: t.index,
      verdict: t.verdict,
      ...(t.message !== undefined ? { message: t.message } : {}),
      cpuMs: t.record.cpuMs,
      wallMs: t.record.wallMs,
    })),
    infrastructureFailure: r.infrastructureFailure,
  };
}

/** The tests a submission is graded on: private + generated (all tests when there are none). */
export function hiddenTests(problem: Problem): TestCase[] {
  const hidden = [...problem.tests.private, ...problem.tests.generated];
  return hidden.length > 0 ? hidden : [...problem.tests.public];
}
