import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { py } from "../../../../src/judge/pyvalue.js";
import type { TestCase } from "../../../../src/judge/types.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review hole: a function batch's stdout, stderr, status and arguments are memfds created with
 * MFD_ALLOW_SEALING and shared read-write with the child. The child adds F_SEAL_SHRINK to its
 * stdout after printing; the supervisor's ftruncate between calls (Outputs.reset) then fails
 * with EPERM, the exception is not caught, and the supervisor dies after sending the call's
 * result. The request resumes on a new supervisor, which the next call kills again: 40 tests
 * cost 40 supervisor deaths and 8.3 s instead of 50 ms (HumanEval+ problems have ~1000 tests).
 * Sealing ARGS_FD (the supervisor truncates it before each call) does the same.
 */

describe.skipIf(!bwrapWorks)("a program cannot seal the supervisor's descriptors", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("sealing its stdout in every call costs no supervisor", async () => {
    const code = `import fcntl
def f(x):
    print(x, flush=True)
    try:
        fcntl.fcntl(1, 1033, 2)  # F_ADD_SEALS, F_SEAL_SHRINK
        fcntl.fcntl(1003, 1033, 2)
    except OSError:
        pass
    return x + 1
`;
    const tests: TestCase[] = Array.from({ length: 40 }, (_, i) => ({
      kind: "function",
      args: [py.int(i)],
      expected: py.int(i + 1),
    }));
    const deaths = sb.stats.workerDeaths;
    const t0 = Date.now();
    const r = await new Judge(sb).judge(
      { kind: "function", entryPoint: "f" },
      tests,
      { language: "python", code },
      { limits: DEFAULT_LIMITS },
    );
    expect(r.verdict).not.toBe("sandbox_error");
    expect(sb.stats.workerDeaths - deaths, "supervisor deaths").toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
