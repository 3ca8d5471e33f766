import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge, type JudgeResult } from "../../../../src/judge/judge.js";
import { py } from "../../../../src/judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../../../src/judge/types.js";
import { STDIO_COMPARE_NO_CHECKER } from "../../../../src/problems/defaults.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review hole: what a program writes into its status channel (up to 64 MiB per test) and what
 * it returns is parsed and rendered on Node's main thread without a budget, so one test blocks
 * the whole tool (every worker, every watchdog, model requests) for many seconds:
 * - a stdio program that prints the right answer and 64 MiB of `{"k":"a"}` lines on fd 1000 is
 *   accepted after blocking the event loop 12.7 s per test (6.7M records parsed, none used);
 * - a function returning a 60 MB str blocks it 15.7 s: pyRepr renders the whole value for a
 *   message that keeps 300 characters (feedback.ts renders it again);
 * - a returned value of 4M nodes (the Node-side cap) costs about 11 s and 270 MB of heap per
 *   test, kept in the JudgeResult: 20 such tests in one judge call with stopOnFirstFailure
 *   false ended Node with "FATAL ERROR: ... JavaScript heap out of memory".
 */

function watchEventLoop(): () => number {
  let last = Date.now();
  let longest = 0;
  const t = setInterval(() => {
    const now = Date.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  return () => {
    clearInterval(t);
    return longest;
  };
}

describe.skipIf(!bwrapWorks)("Node's work on a program's data is bounded", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("64 MiB of tiny status records from a stdio program do not stall the event loop", async () => {
    const spec: JudgeSpec = { kind: "stdio", compare: STDIO_COMPARE_NO_CHECKER };
    const code = `import os, sys
a, b = map(int, sys.stdin.read().split())
print(a + b)
os.write(1000, b'{"k":"a"}\\n' * ((64 << 20) // 10 - 1))
`;
    const stop = watchEventLoop();
    const T0 = Date.now();
    const r = await judge.judge(
      spec,
      [{ kind: "stdio", input: "1 2\n", output: "3\n" }],
      { language: "python", code },
      { limits: DEFAULT_LIMITS },
    );
    const longest = stop();
    const overhead = Date.now() - T0 - r.tests[0]!.record.wallMs;
    expect(r.verdict).not.toBe("sandbox_error");
    // Today: 5 to 13 s on this 2-core machine, for a program that ran 0.5 s.
    expect(Math.max(longest, overhead)).toBeLessThan(3000);
  });

  it("a 30 MB returned string is a quick wrong answer", async () => {
    const tests: TestCase[] = [{ kind: "function", args: [py.int(1)], expected: py.str("abc") }];
    const stop = watchEventLoop();
    const r = await judge.judge(
      { kind: "function", entryPoint: "f" },
      tests,
      { language: "python", code: "def f(x):\n    return 'x' * 30_000_000\n" },
      { limits: { ...DEFAULT_LIMITS, timeMs: 10_000 } },
    );
    const longest = stop();
    expect(r.verdict).toBe("wrong_answer");
    expect(r.tests[0]!.message!.length).toBeLessThan(1000);
    expect(longest).toBeLessThan(2000);
  });

  it("failed tests with huge returned values do not pile up in the heap", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const code = `import os
_w = os.write
rec = b'{"k":"ret","v":["l",[' + b'["N"],' * 3999990 + b'["N"]]]}\\n'
def w(fd, data):
    return _w(fd, rec if fd == 1000 else data)
os.write = w
def f(x):
    return 0
`;
    const tests: TestCase[] = [0, 1].map((i) => ({
      kind: "function",
      args: [py.int(i)],
      expected: py.int(i),
    }));
    gc();
    const before = process.memoryUsage().heapUsed;
    const r: JudgeResult = await judge.judge(
      { kind: "function", entryPoint: "f" },
      tests,
      { language: "python", code },
      { limits: DEFAULT_LIMITS, stopOnFirstFailure: false },
    );
    gc();
    const grown = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    expect(r.verdict).not.toBe("accepted");
    // Today: about 540 MiB for two tests, still referenced by the result.
    expect(grown).toBeLessThan(200);
  }, 120_000);
});
