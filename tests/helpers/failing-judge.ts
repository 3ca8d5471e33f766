// A judge service over the real Judge whose chosen calls come back as the Judge reports a
// sandbox that could not run a test (an infrastructure failure): the sandbox cannot be made to
// fail on cue, and what is tested is what callers do with such a result.
import type { Judge, JudgeOptions, JudgeResult, JudgeService, Submission } from "../../src/judge/index.js";

/** `r` as the Judge gives it when the sandbox failed on its first test (with `detail`, if given). */
export function asInfrastructureFailure(r: JudgeResult, detail?: string): JudgeResult {
  const first = r.tests[0]!;
  return {
    ...r,
    verdict: "sandbox_error",
    passed: 0,
    infrastructureFailure: true,
    tests: [
      {
        ...first,
        verdict: "sandbox_error",
        record: {
          ...first.record,
          verdict: "sandbox_error",
          ...(detail ? { detail } : {}),
        },
      },
    ],
  };
}

/**
 * `local`, with the calls `fails` picks turned into infrastructure failures. `fails` is asked
 * when a call starts, so a test can arm failures for the calls after one already under way.
 */
export function failingJudge(
  local: Judge,
  fails: (submission: Submission, opts: JudgeOptions) => boolean,
  detail?: string,
): JudgeService {
  return {
    capacity: local.capacity,
    slots: local.slots,
    judge: async (spec, tests, submission, opts) => {
      const fail = fails(submission, opts);
      const r = await local.judge(spec, tests, submission, opts);
      return fail ? asInfrastructureFailure(r, detail) : r;
    },
    traceTest: (...a) => local.traceTest(...a),
  };
}
