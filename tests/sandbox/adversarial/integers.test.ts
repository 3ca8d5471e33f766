import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../src/judge/judge.js";
import type { JudgeSpec, TestCase } from "../../../src/judge/types.js";
import { STDIO_COMPARE_NO_CHECKER } from "../../../src/problems/defaults.js";
import { Sandbox } from "../../../src/sandbox/index.js";
import { LIMITS, bwrapWorks, expectRejected } from "./helpers.js";

/**
 * Hole 8: integers were not exact against float-formatted output. Under the default
 * CodeContests comparison (1e-6 relative tolerance) `1000000000.0` was accepted for
 * `1000000007`. An integer expected token now needs the same integer; `3.0` for `3` is
 * accepted (the same number, as real-valued answer files print it), tolerance applies to
 * non-integer expected tokens only.
 */

const SPEC: JudgeSpec = { kind: "stdio", compare: STDIO_COMPARE_NO_CHECKER };
const MOD = (output: string): TestCase[] => [{ kind: "stdio", input: "", output }];

describe.skipIf(!bwrapWorks)("hole 8: integer answers are exact", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  const judgeOutput = (expected: string, printed: string) =>
    judge.judge(
      SPEC,
      MOD(expected),
      { language: "python", code: `print(${JSON.stringify(printed)})` },
      {
        limits: LIMITS,
      },
    );

  it("a float close to a big integer is wrong", async () => {
    for (const printed of ["1000000000.0", "1e9", "1000000007.5", "1.000000007e9", "1000000006"]) {
      expectRejected(await judgeOutput("1000000007", printed), printed);
    }
  });

  it("the same integer, or the same number with zero decimals, is right", async () => {
    for (const printed of ["1000000007", "+1000000007", "1000000007.000"]) {
      expect((await judgeOutput("1000000007", printed)).verdict, printed).toBe("accepted");
    }
  });

  it("non-integer answers keep their tolerance", async () => {
    expect((await judgeOutput("0.333333", "0.3333333333")).verdict).toBe("accepted");
    expectRejected(await judgeOutput("0.333333", "0.334"), "0.334");
  });

  it("a non-breaking space or BOM is not whitespace", async () => {
    expectRejected(await judgeOutput("1 2", "1\u00a02"), "NBSP");
    expectRejected(await judgeOutput("1 2", "\ufeff1 2"), "BOM");
  });
});
