import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../src/judge/judge.js";
import { type Problem, loadProblems } from "../../src/problems/index.js";
import { TESTLIB_ENV, TESTLIB_MISSING } from "../../src/problems/testlib.js";
import { FEEDBACK_KINDS, feedbackInput, renderFeedback } from "../../src/prompts/index.js";
import { DEFAULT_LIMITS, Sandbox, type SandboxLimits } from "../../src/sandbox/index.js";
import { judgeTests } from "../../src/strategies/judging.js";
import { TINY_TESTLIB, ccplusRows, writeCcplusJsonl, writeCcplusParquet } from "./ccplus-fixture.js";

/**
 * CodeContests+ end to end: a fixture in the dataset's schema, loaded by the real loader, its
 * reference solutions judged by the real sandbox with the rows' testlib checkers.
 */
const LIMITS: SandboxLimits = { ...DEFAULT_LIMITS, timeMs: 2000, wallMs: 6000 };

let tmp: string;
let sb: Sandbox;
let judge: Judge;
let problems: Problem[];
const saved = process.env[TESTLIB_ENV];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "codeloop-ccplus-judge-"));
  await mkdir(join(tmp, "header"));
  await mkdir(join(tmp, "data"));
  await writeFile(join(tmp, "header", "testlib.h"), TINY_TESTLIB);
  await writeCcplusParquet(join(tmp, "data", "part-00000-of-00001.parquet"), ccplusRows(), 2);
  await writeCcplusJsonl(join(tmp, "ccplus.jsonl"), ccplusRows());
  process.env[TESTLIB_ENV] = join(tmp, "header", "testlib.h");
  problems = await loadProblems(join(tmp, "data"));
  sb = await Sandbox.create({ workers: 2, uidBase: 65100 });
  judge = new Judge(sb);
});
afterAll(async () => {
  if (saved === undefined) delete process.env[TESTLIB_ENV];
  else process.env[TESTLIB_ENV] = saved;
  await sb?.close();
  await rm(tmp, { recursive: true, force: true });
});

const byId = (id: string) => problems.find((p) => p.id === id)!;
const hidden = (p: Problem) => p.tests.private;

describe("CodeContests+ judged end to end", () => {
  it("accepts every correct reference solution and rejects every incorrect one, through the checkers", async () => {
    let judged = 0;
    for (const p of problems.filter((q) => q.judge.kind === "stdio" && q.judge.validator)) {
      for (const s of p.solutions) {
        if (s.language !== "python" && s.language !== "cpp") continue;
        const r = await judgeTests(judge, p, hidden(p), s.code, s.language, LIMITS, false);
        const want = s.verdict === "accepted" ? "accepted" : "wrong_answer";
        expect(
          r.verdict,
          `${p.id} ${s.language} ${s.verdict}: ${r.tests.map((t) => t.message).join("; ")}`,
        ).toBe(want);
        judged++;
      }
    }
    // 1010_A: python and C++ correct, python incorrect; 1020_B: python correct (its py2 is skipped).
    expect(judged).toBe(4);
  });

  it("accepts a different valid answer that token comparison rejects", async () => {
    const p = byId("1010_A");
    const other = p.solutions.find((s) => s.language === "python" && s.verdict === "accepted")!;
    const withChecker = await judgeTests(judge, p, p.tests.public, other.code, "python", LIMITS, false);
    expect(withChecker.verdict).toBe("accepted");
    // The same program, compared token by token with the examples' answers: rejected.
    const tokens = await judge.judge(
      { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
      p.tests.public,
      { language: "python", code: other.code },
      { limits: LIMITS },
    );
    expect(tokens.verdict).toBe("wrong_answer");
    expect(tokens.tests[0]!.message).toBe("token 1 (line 1): expected '2', got '3'");
  });

  it("gives the checker's message on the failing test", async () => {
    const p = byId("1010_A");
    const wrong = p.solutions.find((s) => s.verdict === "incorrect")!;
    const r = await judgeTests(judge, p, hidden(p), wrong.code, "python", LIMITS, false);
    expect(r.tests.map((t) => t.message)).toEqual([
      "checker: wrong answer: p_1 = 1 is a fixed point (n=3)",
      "checker: wrong answer: p_1 = 1 is a fixed point (n=4)",
      "checker: wrong answer: p_1 = 1 is a fixed point (n=5)",
    ]);
  });

  it("never lets a hidden test's checker message into the model's feedback", async () => {
    const p = byId("1010_A");
    const wrong = p.solutions.find((s) => s.verdict === "incorrect")!;
    const pub = await judgeTests(judge, p, p.tests.public, wrong.code, "python", LIMITS, false);
    const secret = await judgeTests(judge, p, hidden(p), wrong.code, "python", LIMITS, false);
    expect(secret.tests.some((t) => t.message?.includes("(n=5)"))).toBe(true);
    for (const kind of FEEDBACK_KINDS.filter((k) => k !== "trace")) {
      const text = renderFeedback(kind, feedbackInput(p, pub));
      expect(text).not.toMatch(/n=4|n=5/);
      if (kind !== "binary") expect(text, kind).toContain("p_1 = 1 is a fixed point (n=3)");
    }
    // A hidden result cannot be passed off as public feedback, even with as many tests.
    expect(() => feedbackInput(p, secret)).toThrow(/built from the public tests/);
    const sameCount = { ...secret, tests: secret.tests.slice(0, 2), total: 2 };
    expect(() => feedbackInput(p, sameCount)).toThrow(/"test-0" is not public test 0/);
  });

  it("judges real-valued answers with the header-free checker", async () => {
    const p = byId("1020_B");
    const rounded = "print(f'{int(input()) ** 0.5:.3f}')";
    const r = await judgeTests(judge, p, hidden(p), rounded, "python", LIMITS, false);
    expect(r.verdict).toBe("wrong_answer");
    expect(r.tests[0]!.message).toBe("checker: wrong answer: expected 1.414213562, found 1.414000000");
    const close = "print(f'{int(input()) ** 0.5 + 1e-8:.10f}')";
    expect((await judgeTests(judge, p, hidden(p), close, "python", LIMITS, false)).verdict).toBe("accepted");
  });

  it("without testlib.h the checker's problem is unjudgeable, in parquet and JSONL alike", async () => {
    delete process.env[TESTLIB_ENV];
    try {
      for (const src of [join(tmp, "data"), join(tmp, "ccplus.jsonl")]) {
        const ps = await loadProblems(src);
        const p = ps.find((q) => q.id === "1010_A")!;
        expect(p.metadata.unjudgeable).toBe(TESTLIB_MISSING);
        expect(p.warnings).toContain(TESTLIB_MISSING);
        expect(ps.find((q) => q.id === "1020_B")!.metadata.unjudgeable).toBeUndefined();
      }
    } finally {
      process.env[TESTLIB_ENV] = join(tmp, "header", "testlib.h");
    }
  });
});
