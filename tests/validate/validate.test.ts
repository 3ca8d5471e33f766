import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge, type JudgeService } from "../../src/judge/index.js";
import { DEFAULT_COMPARE } from "../../src/judge/types.js";
import { type Problem, loadProblems } from "../../src/problems/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { sandboxComputeExpected, validateProblems } from "../../src/validate/index.js";
import { dataPath, hasData } from "../problems/data.js";

function stdioProblem(id: string, solutions: Problem["solutions"], tests: [string, string][]): Problem {
  return {
    id,
    benchmark: "native",
    split: "test",
    title: id,
    statement: "Print the sum of the two numbers.",
    judge: { kind: "stdio", compare: DEFAULT_COMPARE },
    extraJudges: [],
    tests: {
      public: tests.slice(0, 1).map(([input, output]) => ({ kind: "stdio", input, output })),
      private: tests.slice(1).map(([input, output]) => ({ kind: "stdio", input, output })),
      generated: [],
    },
    limits: { timeLimitSec: 1, memoryLimitMb: 256, timeLimitOrigin: "dataset" },
    metadata: { difficulty: "easy", tags: [] },
    solutions,
    warnings: [],
    origin: { file: "test" },
  };
}

describe("problems validate", () => {
  let sb: Sandbox;
  let cacheDir: string;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 2, uidBase: 64500 });
    cacheDir = mkdtempSync(join(tmpdir(), "codeloop-validate-"));
  });
  afterAll(async () => {
    await sb?.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("cuts a correct solution's tests into one piece per slot of the judge it judges through", async () => {
    // Through a queue the local sandbox is the client's (one slot) while the workers have more:
    // cutting by the local sandbox left one worker running a slow solution's whole set while
    // the others idled (bench:validate through two workers: 1.25x the local run, 1.04x now).
    const local = new Judge(sb);
    const pieces: number[] = [];
    const judge: JudgeService = {
      capacity: 6,
      slots: 3,
      judge: (spec, tests, submission, opts) => {
        pieces.push(tests.length);
        return local.judge(spec, tests, submission, opts);
      },
      traceTest: (...a) => local.traceTest(...a),
    };
    const tests: [string, string][] = Array.from({ length: 9 }, (_, i) => [`${i} 1\n`, `${i + 1}\n`]);
    const p = stdioProblem(
      "cut",
      [{ language: "python", code: "a, b = map(int, input().split())\nprint(a + b)\n", verdict: "accepted" }],
      tests,
    );
    const one = await Sandbox.create({ workers: 1, uidBase: 64520 });
    try {
      const r = await validateProblems(one, [p], { judge });
      expect(r).toMatchObject({ correctAccepted: 1, testsRun: 9, workers: 3 });
      expect(pieces).toEqual([3, 3, 3]);
    } finally {
      await one.close();
    }
  });

  it("accepts correct solutions, rejects incorrect ones and flags what does not fit", async () => {
    const tests: [string, string][] = [
      ["1 2\n", "3\n"],
      ["2 2\n", "4\n"],
      ["10 -3\n", "7\n"],
    ];
    const good = "a, b = map(int, input().split())\nprint(a + b)\n";
    const p = stdioProblem(
      "sum",
      [
        { language: "python", code: good, verdict: "accepted" },
        {
          language: "cpp",
          code: '#include <cstdio>\nint main(){int a,b;scanf("%d%d",&a,&b);printf("%d\\n",a+b);}',
          verdict: "accepted",
        },
        {
          language: "python",
          code: "a, b = map(int, input().split())\nprint(a * b)\n",
          verdict: "wrong_answer",
        },
        { language: "python", code: "while True: pass\n", verdict: "time_limit" },
        // Labelled wrong but correct: the tests cannot tell, which validate must flag.
        { language: "python", code: good, verdict: "incorrect" },
        { language: "java", code: "class A {}", verdict: "accepted" },
      ],
      tests,
    );
    const flaky = stdioProblem(
      "flaky",
      [{ language: "python", code: "import random\nprint(random.choice([3, 4]))\n", verdict: "accepted" }],
      [["1 2\n", "3\n"]],
    );
    const r = await validateProblems(sb, [p, flaky], { repeat: 4 });
    expect(r).toMatchObject({
      problems: 2,
      solutionsRun: 6,
      correctTotal: 3,
      incorrectTotal: 3,
      incorrectRejected: 2,
      skippedSolutions: { java: 1 },
      workers: 2,
      repeat: 4,
      infrastructureFailures: 0,
    });
    const sum = r.perProblem[0]!;
    expect(sum.solutions.map((s) => s.runs[0]!.verdict)).toEqual([
      "accepted",
      "accepted",
      "wrong_answer",
      "time_limit",
      "accepted",
    ]);
    expect(sum.solutions[0]!.runs[0]!.tests).toEqual(["accepted", "accepted", "accepted"]);
    // The wrong solution stops at its first failure.
    expect(sum.solutions[2]!.runs[0]!.tests).toEqual(["wrong_answer"]);
    expect(sum.flags.map((f) => f.kind)).toEqual(["incorrect-accepted"]);
    expect(r.testsRun).toBeGreaterThan(0);
    expect(r.cpuSecondsTotal).toBeGreaterThan(0);
    // A random program flips with probability 1 - 2 * (1/2)^4 over four repeats.
    const fl = r.perProblem[1]!;
    if (fl.solutions[0]!.runs.some((x) => x.verdict !== fl.solutions[0]!.runs[0]!.verdict)) {
      expect(fl.flags.map((f) => f.kind)).toContain("flaky");
      expect(fl.flakyTests).toEqual([{ solution: 0, tests: [1] }]);
    }
  });

  describe.skipIf(!hasData("kattis-rmrc2019"))("Kattis packages (real data)", () => {
    async function checkKattis(ids: string[]) {
      const ps = await loadProblems(dataPath("kattis-rmrc2019"), { ids });
      expect(ps.map((p) => p.id)).toEqual(ids);
      const r = await validateProblems(sb, ps);
      expect(r.correctTotal).toBeGreaterThan(0);
      expect(r.incorrectTotal).toBeGreaterThan(0);
      expect(r.correctAccepted).toBe(r.correctTotal);
      expect(r.incorrectRejected).toBe(r.incorrectTotal);
      let timeLimited = 0;
      for (const p of r.perProblem) {
        for (const s of p.solutions.filter((x) => x.label === "time_limit")) {
          expect(s.runs[0]!.verdict).toBe("time_limit");
          timeLimited++;
        }
      }
      expect(timeLimited).toBeGreaterThan(0);
    }

    // tiredterry alone: its accepted C++ and Python submissions, and one time-limit C++
    // submission rejected at the package's 1 s limit (timelimit file), in a few seconds.
    it("accepts accepted submissions and rejects a time_limit_exceeded one within the package limit", async () => {
      await checkKattis(["tiredterry"]);
    }, 120_000);

    // Both problems: watchlater's limit is measured (time_multiplier x its slowest accepted
    // submission, ~20 s of CPU each) and its time-limit submission runs to that limit: a minute
    // of CPU on 2 cores, so only with CODELOOP_LONG_TESTS=1 (npm run test:long).
    it.runIf(process.env.CODELOOP_LONG_TESTS === "1")(
      "accepts accepted submissions and rejects time_limit_exceeded ones within the package limit",
      async () => {
        await checkKattis(["tiredterry", "watchlater"]);
      },
      180_000,
    );
  });

  describe.skipIf(!hasData("codecontests-sample"))("CodeContests sample (real data)", () => {
    it("accepts the gold solutions of the first problems", async () => {
      const ps = await loadProblems(dataPath("codecontests-sample"), { limit: 12 });
      const r = await validateProblems(sb, ps);
      expect(r.problems).toBe(12);
      // Some CodeContests problems accept several answers: those must be flagged, not silent.
      for (const p of r.perProblem) {
        if (!p.solutions.every((s) => s.ok)) expect(p.flags.length).toBeGreaterThan(0);
      }
      // Six of these twelve are multi-answer problems or have malformed generated tests.
      expect(r.correctAccepted).toBeGreaterThanOrEqual(6);
    });
  });

  describe.skipIf(!hasData("humaneval-plus") || !hasData("mbpp-plus"))(
    "HumanEval+ and MBPP+ (real data)",
    () => {
      it("computes expected outputs with the canonical solution and accepts it on its hidden tests", async () => {
        const compute = sandboxComputeExpected(sb);
        const he = await loadProblems(
          dataPath("humaneval-plus"),
          { ids: ["HumanEval/0", "HumanEval/12", "HumanEval/53"] },
          { computeExpected: compute, cacheDir },
        );
        const mb = await loadProblems(
          dataPath("mbpp-plus"),
          { ids: ["Mbpp/2", "Mbpp/3", "Mbpp/4"] },
          { computeExpected: compute, cacheDir },
        );
        for (const p of [...he, ...mb]) {
          expect(p.pendingExpected).toBeUndefined();
          expect(p.tests.generated.length).toBeGreaterThan(0);
        }
        const r = await validateProblems(sb, [...he, ...mb]);
        expect(r.correctTotal).toBe(6);
        const failures = r.perProblem.flatMap((p) =>
          p.solutions.filter((s) => !s.ok).map((s) => `${p.id}: ${s.runs[0]!.verdict} ${s.runs[0]!.message}`),
        );
        expect(failures).toEqual([]);
        // A wrong candidate is rejected on those hidden tests.
        const wrong = {
          ...he[2]!,
          solutions: [
            {
              language: "python",
              code: "def add(x, y):\n    return x + y + (x > 900)\n",
              verdict: "wrong_answer",
            },
          ],
        };
        const w = await validateProblems(sb, [wrong]);
        expect(w.incorrectRejected).toBe(1);
      });
    },
  );
});
