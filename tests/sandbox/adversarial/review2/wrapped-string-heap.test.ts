import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { checkAssertCall } from "../../../../src/judge/pycompare.js";
import type { TestCase } from "../../../../src/judge/types.js";
import { convertAssert } from "../../../../src/problems/asserts.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review 2 hole (crash of codeloop): converted asserts of the form `set(f(x)) == X` (also
 * `list(...)`, `tuple(...)`, `frozenset(...)`; Mbpp/7, 111, 232, 249 and HumanEval/37 use them)
 * apply the builtin in Node with pycompare.ts applyBuiltin -> pyIterate, which materialises a
 * str as one ["s", ch] array per character (bytes: one ["i", ...] per byte) before anything is
 * compared. A program that simply returns `'x' * 60_000_000` (no forgery: 60 MB fits the 64 MiB
 * status channel) on Mbpp/7's first assert ended the Node process after 58 s with
 * "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
 * (heap limit 4.3 GB here): `codeloop run` dies, and so does every --resume of that
 * trajectory. 16M characters: 8.4 s of main thread and 1.2 GB of heap.
 * Fix: never expand a str/bytes into items; set() of a str is its distinct characters, and
 * against a small expected value the sizes decide early (more distinct members or a different
 * length than the expected value is unequal without building anything).
 */

describe("set()/list() of a huge returned string", () => {
  it("is judged without expanding it into per-character values", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const t0 = Date.now();
    let peak = 0;
    for (const wrap of ["set", "list"] as const) {
      const out = checkAssertCall(
        {
          op: "eq",
          wrap,
          expected: [
            "S",
            [
              ["s", "Please"],
              ["s", "move"],
            ],
          ],
        },
        ["s", "x".repeat(12_000_000)],
      );
      expect(out.ok).toBe(false);
      peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
    const ms = Date.now() - t0;
    // Today: about 13 s and about 900 MB of heap for these two checks.
    expect(ms).toBeLessThan(3000);
    expect(peak / 2 ** 20).toBeLessThan(300);
  }, 120_000);
});

describe.skipIf(!bwrapWorks)("end to end on Mbpp/7's first assert", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("a 16 MB returned string is a quick wrong answer", async () => {
    const script =
      "assert set(find_char_long('Please move back to stream')) == set(['Please', 'move', 'back', 'stream'])";
    const tests: TestCase[] = [{ kind: "assert", script, call: convertAssert(script, ["find_char_long"]) }];
    let last = Date.now();
    let longest = 0;
    const tick = setInterval(() => {
      const now = Date.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 10);
    let verdict: string;
    try {
      const r = await new Judge(sb).judge(
        { kind: "assert", entryPoint: "find_char_long" },
        tests,
        { language: "python", code: "def find_char_long(s):\n    return 'x' * 16_000_000\n" },
        { limits: { ...DEFAULT_LIMITS, timeMs: 3000 } },
      );
      verdict = r.verdict;
      // One more tick, so that a stall in the judge's last callback is measured too.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      clearInterval(tick);
    }
    expect(verdict).toBe("wrong_answer");
    // Today: a stall of about 9 s (60M characters: Node dies of heap exhaustion).
    expect(longest).toBeLessThan(3000);
  }, 120_000);
});
