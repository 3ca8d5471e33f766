import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../src/judge/judge.js";
import { type PyValue, py } from "../../../src/judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../../src/judge/types.js";
import { Sandbox } from "../../../src/sandbox/index.js";
import { LIMITS, SCAN_LIMITS, bwrapWorks, expectRejected, memoryScanner } from "./helpers.js";

/**
 * Hole 11: function tests cost a fork each. They now run in one child per submission, one call
 * at a time; these tests hold the batch to what a fork per test guaranteed: every argument a
 * fresh copy, a deadline per call, a crash or exit ending only that child, and no test's
 * arguments within reach before that test is called. (Speed: bench:validate.)
 */

const SPEC: JudgeSpec = { kind: "function", entryPoint: "f" };
const call = (args: PyValue[], expected: PyValue, name?: string): TestCase => ({
  kind: "function",
  args,
  expected,
  ...(name ? { name } : {}),
});

describe.skipIf(!bwrapWorks)("hole 11: one child per submission, judged like a child per test", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 2 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  const judgeAll = (code: string, tests: TestCase[]) =>
    judge.judge(SPEC, tests, { language: "python", code }, { limits: LIMITS, stopOnFirstFailure: false });

  it("every call gets a fresh copy of its arguments", async () => {
    const list = py.list([py.int(1), py.int(2)]);
    const tests = [0, 1, 2].map(() => call([list], py.int(3)));
    const r = await judgeAll("def f(xs):\n    s = sum(xs)\n    xs.append(100)\n    return s\n", tests);
    expect(r.verdict).toBe("accepted");
    expect(r.passed).toBe(3);
  });

  it("a hanging call is that test's time limit; the other tests still run and pass", async () => {
    const tests = [1, 2, 3, 4].map((n) => call([py.int(n)], py.int(n * 2)));
    const code = "def f(n):\n    if n == 2:\n        while True:\n            pass\n    return n * 2\n";
    const r = await judgeAll(code, tests);
    expect(r.tests.map((t) => t.verdict)).toEqual(["accepted", "time_limit", "accepted", "accepted"]);
    expect(r.tests[1]!.record.cpuMs).toBeGreaterThanOrEqual(LIMITS.timeMs * 0.9);
    expect(r.tests[2]!.record.cpuMs).toBeLessThan(200);
  });

  it("a crash or an exit ends only its own test", async () => {
    const tests = [1, 2, 3, 4].map((n) => call([py.int(n)], py.int(n)));
    const code =
      "import ctypes, os, signal\ndef f(n):\n    if n == 2:\n        ctypes.string_at(0)\n        os.kill(os.getpid(), signal.SIGSEGV)  # PyPy raises instead of crashing\n    if n == 3:\n        os._exit(0)\n    return n\n";
    const r = await judgeAll(code, tests);
    expect(r.tests.map((t) => t.verdict)).toEqual(["accepted", "runtime_error", "runtime_error", "accepted"]);
    expect(r.tests[1]!.record.signal).toBe("SIGSEGV");
  });

  it("memory above the limit in one call is that call's memory limit, not the next one's", async () => {
    const tests = [1, 2, 3].map((n) => call([py.int(n)], py.int(n)));
    const code =
      "def f(n):\n    if n == 2:\n        b = bytearray(300 << 20)\n        for i in range(0, len(b), 4096):\n            b[i] = 1\n    return n\n";
    // Time enough that memory is the limit reached first (page faults are slow on some VMs).
    const r = await judge.judge(
      SPEC,
      tests,
      { language: "python", code },
      {
        limits: { ...LIMITS, timeMs: 10_000, wallMs: 30_000 },
        stopOnFirstFailure: false,
      },
    );
    expect(r.tests.map((t) => t.verdict)).toEqual(["accepted", "memory_limit", "accepted"]);
  });

  it("no test's arguments are within reach before that test is called", async () => {
    const marker = `future-arg-${process.pid}-d00d`;
    const scanner = memoryScanner(marker).replace(/\n/g, "\n    ");
    const code = `def f(x):\n    ${scanner}\n    return x\n`;
    const tests = [call([py.str("first")], py.str("first")), call([py.str(marker)], py.str(marker))];
    const r = await judge.judge(
      SPEC,
      tests,
      { language: "python", code },
      { limits: SCAN_LIMITS, stopOnFirstFailure: false },
    );
    // The first call scanned the process while the second call's argument was still unsent.
    expect(r.tests[0]!.record.stdout).toMatch(/^clean/);
    expect(r.tests[1]!.record.stdout).toMatch(/^FOUND/);
  });

  it("state kept between calls of one submission is allowed (as on LeetCode), but class entry points get a fresh instance", async () => {
    const spec: JudgeSpec = { kind: "function", entryPoint: "Solution.count" };
    const tests = [1, 2, 3].map(() => call([], py.int(1)));
    const code =
      "class Solution:\n    def __init__(self):\n        self.n = 0\n    def count(self):\n        self.n += 1\n        return self.n\n";
    const r = await judge.judge(
      spec,
      tests,
      { language: "python", code },
      { limits: LIMITS, stopOnFirstFailure: false },
    );
    expect(r.verdict).toBe("accepted");
  });

  it("a program that exits at import fails every test, quickly, without blaming the sandbox", async () => {
    const tests = Array.from({ length: 50 }, (_, n) => call([py.int(n)], py.int(n)));
    const r = await judgeAll("import sys\nsys.exit(0)\n", tests);
    expectRejected(r, "exit at import");
    expect(r.tests.every((t) => t.verdict === "runtime_error")).toBe(true);
  });
});
