import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GradeJob,
  type Sample,
  type VerdictLine,
  gradeJob,
  gradeSamples,
  planGrading,
} from "../../src/grading/index.js";
import { Judge, type JudgeResult } from "../../src/judge/judge.js";
import { type Problem, allTests, loadProblems } from "../../src/problems/index.js";
import { Sandbox, pythonLabel } from "../../src/sandbox/index.js";
import { sandboxComputeExpected } from "../../src/validate/index.js";
import { RIGHT, WRONG, doubleProblem } from "../e2e/fixtures.js";
import { dataPath, hasData } from "../problems/data.js";

const MBPP = dataPath("mbpp-plus", "MbppPlus.jsonl");
const IDS = ["Mbpp/2", "Mbpp/3", "Mbpp/4", "Mbpp/8"];

/** Broken copies of canonical solutions: an off-by-one (or off-by-a-power) mutation each. */
const MUTATE: Record<string, [string, string]> = {
  "Mbpp/2": ["set(test_tup1) & set(test_tup2)", "set(test_tup1) | set(test_tup2)"],
  "Mbpp/3": ["n == 1", "n == 2"],
  "Mbpp/4": ["nlargest(n, nums)", "nlargest(n + 1, nums)"],
  "Mbpp/8": ["i**2", "i**3"],
};

let seq = 0;
function sample(problemId: string, code: string, language: Sample["language"] = "python"): Sample {
  seq++;
  return { line: seq, problemId, index: seq, code, language };
}

describe("grading samples with the real sandbox and judge", () => {
  let sb: Sandbox;
  let judge: Judge;
  let cacheDir: string;
  let problems: Problem[] = [];
  const withData = hasData("mbpp-plus", "MbppPlus.jsonl");

  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 2, uidBase: 65100 });
    judge = new Judge(sb);
    cacheDir = mkdtempSync(join(tmpdir(), "codeloop-grade-"));
    if (withData) {
      problems = await loadProblems(
        MBPP,
        { ids: IDS },
        { computeExpected: sandboxComputeExpected(sb), cacheDir },
      );
    }
  }, 120_000);
  afterAll(async () => {
    await sb?.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  it.skipIf(!withData)(
    "accepts canonical MBPP+ solutions on every test and rejects broken copies at their first failure",
    async () => {
      const samples: Sample[] = [];
      for (const p of problems) {
        const gold = p.solutions[0]!.code;
        const [from, to] = MUTATE[p.id]!;
        expect(gold).toContain(from);
        samples.push(sample(p.id, gold));
        samples.push(sample(p.id, gold.replace(from, to)));
        samples.push(
          sample(
            p.id,
            `def ${p.judge.kind === "function" ? p.judge.entryPoint : "f"}(*a):\n    return None\n`,
          ),
        );
      }
      const plan = planGrading(samples, problems);
      expect(plan.issues).toEqual([]);
      const lines: VerdictLine[] = [];
      const stats = await gradeSamples(plan.jobs, {
        judge,
        python: pythonLabel(sb.python),
        onVerdict: (v) => lines.push(v),
      });
      expect(stats.judged).toBe(samples.length);
      const byIndex = new Map(lines.map((l) => [l.index, l]));
      for (const [i, s] of samples.entries()) {
        const v = byIndex.get(s.index)!;
        const p = problems.find((q) => q.id === s.problemId)!;
        expect(v.total).toBe(allTests(p).length);
        expect(v.judgeVersion).toBe("codeloop-judge/1");
        expect(v.python).toBe(pythonLabel(sb.python));
        if (i % 3 === 0) {
          expect(v.verdict, `${s.problemId} gold: ${JSON.stringify(v.firstFailure)}`).toBe("accepted");
          expect(v.passed).toBe(v.total);
          expect(v.testsRun).toBe(v.total);
          expect(v.cpuMsMax).toBeLessThanOrEqual(v.cpuMsTotal);
          expect(v.firstFailure).toBeUndefined();
        } else {
          expect(v.verdict, `${s.problemId} broken copy ${i % 3}`).toBe("wrong_answer");
          expect(v.passed).toBeLessThan(v.total);
          // Grading stops at the first failure: exactly the tests before it, plus it.
          expect(v.testsRun).toBe(v.passed + 1);
          expect(v.firstFailure?.test).toBe(v.passed);
          expect(v.firstFailure?.verdict).toBe("wrong_answer");
          expect(v.firstFailure?.message).toMatch(/expected|failed/);
        }
      }
      expect(stats.accepted).toBe(problems.length);
    },
    120_000,
  );

  it.skipIf(!withData)(
    "--extract takes the program out of a fenced answer; no code is graded no_code",
    async () => {
      const p = problems.find((q) => q.id === "Mbpp/8")!;
      const answer = `Let me square them.\n\n\`\`\`text\n[1, 4]\n\`\`\`\n\nHere:\n\n\`\`\`python\n${p.solutions[0]!.code.trim()}\n\`\`\`\n`;
      const plan = planGrading([sample(p.id, answer), sample(p.id, "I cannot help with that.")], problems, {
        extract: true,
      });
      expect(plan.jobs.map((j) => j.extraction)).toEqual(["fenced-language", "none"]);
      const [a, b] = await Promise.all(plan.jobs.map((j) => gradeJob(judge, j, pythonLabel(sb.python))));
      expect(a!.line.verdict).toBe("accepted");
      expect(a!.line.extraction).toBe("fenced-language");
      expect(b!.line.verdict).toBe("no_code");
      expect(b!.line.total).toBe(allTests(p).length);
    },
  );

  it.skipIf(!withData)(
    "refuses unknown ids and C++ for a function problem, skips ids outside the filters",
    () => {
      const plan = planGrading(
        [
          { line: 3, problemId: "Mbpp/99999", index: 0, code: "x", language: "python" },
          { line: 4, problemId: "Mbpp/2", index: 0, code: "int main(){}", language: "cpp" },
          { line: 5, problemId: "Mbpp/6", index: 0, code: "x", language: "python" },
        ],
        problems,
        { outsideFilters: new Set(["Mbpp/6"]) },
      );
      expect(plan.issues).toEqual([
        { line: 3, message: 'unknown problem id "Mbpp/99999" (ids look like "Mbpp/2")' },
        {
          line: 4,
          message:
            "language cpp: problem Mbpp/2 is graded by calling a Python function, so only Python can be judged",
        },
      ]);
      expect(plan.skipped.map((s) => s.line)).toEqual([5]);
    },
  );

  it("judges C++ and Python on a stdin/stdout problem, each test counted", async () => {
    const p = doubleProblem("double");
    const cpp = '#include <cstdio>\nint main(){long long n;scanf("%lld",&n);printf("%lld\\n",2*n);}\n';
    const plan = planGrading(
      [sample("double", cpp, "cpp"), sample("double", WRONG), sample("double", RIGHT)],
      [p],
    );
    const lines = await Promise.all(plan.jobs.map((j) => gradeJob(judge, j, "x").then((r) => r.line)));
    expect(lines.map((l) => [l.verdict, l.passed, l.total])).toEqual([
      ["accepted", 6, 6],
      ["wrong_answer", 1, 6],
      ["accepted", 6, 6],
    ]);
    expect(lines[1]!.firstFailure).toMatchObject({ test: 1, group: "public", verdict: "wrong_answer" });
  });

  it("retries a sandbox failure once, then records it as infrastructure", async () => {
    // A judge whose first `failures` calls come back as the sandbox's failure, as a dying
    // supervisor makes them; every other call is the real judge.
    class FlakyJudge extends Judge {
      constructor(
        sandbox: Sandbox,
        private failures: number,
      ) {
        super(sandbox);
      }
      override async judge(...args: Parameters<Judge["judge"]>): Promise<JudgeResult> {
        const r = await super.judge(...args);
        if (this.failures-- <= 0) return r;
        const first = r.tests[0]!;
        return {
          ...r,
          verdict: "sandbox_error",
          tests: [{ ...first, verdict: "sandbox_error", message: "supervisor died" }],
          passed: 0,
          infrastructureFailure: true,
        };
      }
    }
    const p = doubleProblem("double");
    const [job] = planGrading([sample("double", RIGHT)], [p]).jobs as [GradeJob];
    const once = await gradeJob(new FlakyJudge(sb, 1), job, "x");
    expect(once.line.verdict).toBe("accepted");
    expect(once.line.infrastructure).toBeUndefined();
    expect(once.testsRun).toBe(7);
    const twice = await gradeJob(new FlakyJudge(sb, 2), job, "x");
    expect(twice.line.verdict).toBe("sandbox_error");
    expect(twice.line.infrastructure).toBe(true);
    expect(twice.line.firstFailure).toMatchObject({
      test: 0,
      verdict: "sandbox_error",
      message: "supervisor died",
    });
  });
});

describe("planning samples of problems that cannot be judged", () => {
  it("gives no verdict to samples of an unjudgeable problem and names it", () => {
    const ok = doubleProblem("ok");
    const broken: Problem = {
      ...doubleProblem("no-validator"),
      metadata: {
        ...doubleProblem("no-validator").metadata,
        unjudgeable: "validation is custom but the package has no output_validators/ folder",
      },
    };
    const plan = planGrading(
      [sample(ok.id, RIGHT), sample(broken.id, RIGHT), sample(broken.id, WRONG)],
      [ok, broken],
    );
    expect(plan.issues).toEqual([]);
    expect(plan.jobs.map((j) => j.problem.id)).toEqual([ok.id]);
    expect(plan.unjudgeable.map((u) => u.sample.problemId)).toEqual([broken.id, broken.id]);
    expect(plan.unjudgeable[0]!.reason).toMatch(/no output_validators/);
  });
});
