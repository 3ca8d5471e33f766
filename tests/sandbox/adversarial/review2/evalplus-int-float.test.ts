import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { allTests, judgeFor, loadProblems } from "../../../../src/problems/index.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { problemLimits, sandboxComputeExpected } from "../../../../src/validate/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review 2 hole (false rejection on real data): HumanEval+/MBPP+ function tests compare the
 * returned value with the canonical output type-strictly (pyEqual without `loose`), while
 * EvalPlus, whose inputs these are, judges `out == exp` first (Python equality: 6.0 == 6,
 * True == 1) and applies its float tolerance only after that. So the same program passes every
 * assert of the problem (converted asserts follow CPython's ==) and fails every base/plus test.
 * Mbpp/238 number_of_substrings: `return n * (n + 1) / 2` (6.0 for "abc") gets
 * assert 3/3 accepted, function 0/105 wrong_answer "expected 6, got 6.0", where EvalPlus and the
 * dataset's own asserts accept it.
 * Fix: for EvalPlus-derived specs, accept when Python == holds on the values (pycompare's
 * pyEquals), then apply allclose-style tolerance as EvalPlus does.
 */

const MBPP = "/work/shared/data/mbpp-plus/MbppPlus.jsonl";
const data = existsSync(MBPP) ? MBPP : join(process.cwd(), "../shared/data/mbpp-plus/MbppPlus.jsonl");

describe.skipIf(!bwrapWorks || !existsSync(data))("EvalPlus semantics of function tests", () => {
  let sb: Sandbox;
  let cache: string;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 2 });
    cache = mkdtempSync(join(tmpdir(), "codeloop-review2-cache-"));
  });
  afterAll(async () => {
    await sb?.close();
    rmSync(cache, { recursive: true, force: true });
  });

  it("a float-valued count that the dataset's asserts accept is accepted by the plus tests too", async () => {
    const [p] = await loadProblems(
      data,
      { ids: ["Mbpp/238"] },
      { computeExpected: sandboxComputeExpected(sb), cacheDir: cache },
    );
    const code = "def number_of_substrings(s):\n    n = len(s)\n    return n * (n + 1) / 2\n";
    const judge = new Judge(sb);
    const verdicts: Record<string, string> = {};
    for (const kind of ["assert", "function"] as const) {
      const tests = allTests(p!).filter((t) => t.kind === kind);
      expect(tests.length).toBeGreaterThan(0);
      const r = await judge.judge(
        judgeFor(p!, tests[0]!),
        tests,
        { language: "python", code },
        {
          limits: { ...DEFAULT_LIMITS, ...problemLimits(p!) },
        },
      );
      verdicts[kind] =
        `${r.verdict} ${r.passed}/${r.total} ${r.tests.find((t) => t.verdict !== "accepted")?.message ?? ""}`;
    }
    expect(verdicts.assert).toMatch(/^accepted/);
    // Today: "wrong_answer 0/105 expected 6, got 6.0".
    expect(verdicts.function).toMatch(/^accepted/);
  }, 120_000);
});
