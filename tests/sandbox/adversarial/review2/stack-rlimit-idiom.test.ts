import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review 2 hole (false rejection): runner.py set_limits gives RLIMIT_STACK a hard limit equal
 * to its soft limit (stackMb). A common idiom of accepted Python competitive-programming code,
 * next to sys.setrecursionlimit and threading.stack_size,
 *     resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
 * (or (2**29, -1), ...) succeeds on a Linux judge whose hard stack limit is unlimited (this
 * host's `ulimit -Hs` is unlimited) and raises "ValueError: not allowed to raise maximum
 * limit" here: a correct program is a runtime_error before it reads its input. The stack is
 * bounded by RLIMIT_AS and the memory polling anyway.
 * Fix: leave the stack's hard limit unlimited (or at the host's), setting only the soft one.
 */

const CODE = `import resource, sys
resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
sys.setrecursionlimit(10 ** 6)
a, b = map(int, input().split())
print(a + b)
`;

describe.skipIf(!bwrapWorks)("raising the stack limit, as accepted solutions do", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("is not a runtime error", async () => {
    const r = await new Judge(sb).judge(
      { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
      [{ kind: "stdio", input: "1 2\n", output: "3\n" }],
      { language: "python", code: CODE },
      { limits: DEFAULT_LIMITS },
    );
    // Today: runtime_error, "ValueError: not allowed to raise maximum limit".
    expect(r.verdict, r.tests[0]?.message).toBe("accepted");
  });
});
