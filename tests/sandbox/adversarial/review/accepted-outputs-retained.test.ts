import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import type { JudgeSpec, TestCase } from "../../../../src/judge/types.js";
import { STDIO_COMPARE_NO_CHECKER } from "../../../../src/problems/defaults.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review hole: Sandbox.run keeps every TestRun of a request, each with the program's complete
 * stdout (up to the 64 MiB output limit), until the request ends, although Judge decides each
 * test in onResult and never uses them again. A correct program that pads every answer with
 * 60 MB of trailing whitespace (ignored by the comparison) is accepted on every test, so
 * nothing stops early: 30 tests held 2 GiB in the Node process, and Kattis RMRC 2019 has a
 * problem with 174 tests (10 GiB; two workers judging at once, twice that).
 */

const SPEC: JudgeSpec = { kind: "stdio", compare: STDIO_COMPARE_NO_CHECKER };
const PAD = 48 << 20;

describe.skipIf(!bwrapWorks)("outputs already judged are not kept", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("12 accepted tests of 48 MiB each do not add up in memory", async () => {
    const code = `import sys
a, b = map(int, sys.stdin.read().split())
sys.stdout.buffer.write(b"%d\\n" % (a + b) + b" " * ${PAD})
`;
    const tests: TestCase[] = Array.from({ length: 12 }, (_, i) => ({
      kind: "stdio",
      input: `${i} 1\n`,
      output: `${i + 1}\n`,
    }));
    const base = process.memoryUsage().rss;
    let peak = base;
    const t = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    let r: Awaited<ReturnType<Judge["judge"]>>;
    try {
      r = await new Judge(sb).judge(SPEC, tests, { language: "python", code }, { limits: DEFAULT_LIMITS });
    } finally {
      clearInterval(t);
    }
    expect(r.verdict).toBe("accepted");
    // Today: about 12 x 48 MiB on top of the base.
    expect((peak - base) / 2 ** 20).toBeLessThan(300);
  }, 120_000);
});
