import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { py, pyEqual, pyFromJsonText } from "../../../../src/judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../../../src/judge/types.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks, expectRejected } from "../helpers.js";

/**
 * Review hole: issue 10's hole 8 (an integer answer must be exact) was closed for stdio tokens
 * only. Function problems loaded from TACO and LiveCodeBench (looseSequences with 1e-6
 * tolerances, src/problems/formats/taco.ts and livecodebench.ts) compare an expected int with a
 * returned float through the tolerance: `1e9` is accepted for `1000000007`, the classic
 * "answer modulo 1e9+7", and `123456789000.0` for `123456789012`.
 */

const LOOSE: JudgeSpec = {
  kind: "function",
  entryPoint: "f",
  looseSequences: true,
  floatAbsTol: 1e-6,
  floatRelTol: 1e-6,
};
const opts = { absTol: 1e-6, relTol: 1e-6, loose: true };

describe("an integer expected value needs the same integer, even in loose mode", () => {
  it("pyEqual: 1e9 is not 1000000007, 123456789000.0 is not 123456789012", () => {
    expect(pyEqual(pyFromJsonText("1000000007"), py.float(1e9), opts)).toBe(false);
    expect(
      pyEqual(pyFromJsonText("[123456789012, 5]"), py.list([py.float(123456789000), py.int(5)]), opts),
    ).toBe(false);
  });
  it("pyEqual: the same value as an integral float stays fine in loose mode", () => {
    expect(pyEqual(pyFromJsonText("1000000007"), py.float(1000000007), opts)).toBe(true);
  });
});

describe.skipIf(!bwrapWorks)("end to end with the TACO / LiveCodeBench judge spec", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("a float near the modular answer is a wrong answer", async () => {
    const tests: TestCase[] = [
      { kind: "function", args: [py.int(3)], expected: pyFromJsonText("1000000007") },
    ];
    const r = await new Judge(sb).judge(
      LOOSE,
      tests,
      { language: "python", code: "def f(x):\n    return 1e9\n" },
      { limits: DEFAULT_LIMITS },
    );
    expectRejected(r, "1e9 for 1000000007");
    expect(r.verdict).toBe("wrong_answer");
  });
});
