import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { py } from "../../../../src/judge/pyvalue.js";
import type { TestCase } from "../../../../src/judge/types.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review hole: a function batch runs many calls in one child, and the child's RLIMIT_CPU
 * (timeMs / 1000 + 1 s soft) is set once, for the child's whole life. A correct program whose
 * calls each take 150 ms of a 1000 ms limit gets SIGXCPU once the calls together pass 2 s:
 * the call running then is a time_limit although it used 40 to 90 ms. Expected outputs are
 * computed the same way (20 s limit): a canonical solution whose calls add up to more than
 * 21 s loses the tests that happen to run then ("the loader leaves that test out").
 * Per-call CPU is already enforced by the supervisor's Watch; the rlimit must not accumulate.
 */

describe.skipIf(!bwrapWorks)("per-call CPU limits in a function batch", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("30 calls of 150 ms each, under a 1000 ms limit, are all accepted", async () => {
    const code = `import time
def f(x):
    t = time.process_time()
    while time.process_time() - t < 0.15:
        pass
    return x + 1
`;
    const tests: TestCase[] = Array.from({ length: 30 }, (_, i) => ({
      kind: "function",
      args: [py.int(i)],
      expected: py.int(i + 1),
    }));
    const r = await new Judge(sb).judge(
      { kind: "function", entryPoint: "f" },
      tests,
      { language: "python", code },
      { limits: { ...DEFAULT_LIMITS, timeMs: 1000 }, stopOnFirstFailure: false },
    );
    const bad = r.tests.filter((t) => t.verdict !== "accepted");
    expect(
      bad.map((t) => [t.index, t.verdict, t.record.cpuMs, t.record.signal]),
      "tests killed although each used well under its limit",
    ).toEqual([]);
    expect(r.verdict).toBe("accepted");
  });
});
