import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  JUDGE_VERSION,
  SamplesError,
  type VerdictLine,
  VerdictsFileError,
  readSamples,
  resumeVerdicts,
  summarizeVerdicts,
} from "../../src/grading/index.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-grading-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, lines: (string | object)[]): string {
  const f = join(tmp, name);
  writeFileSync(f, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n"));
  return f;
}

describe("readSamples", () => {
  it("accepts EvalPlus, codeloop and LiveCodeBench field names and numbers samples per problem", async () => {
    const f = file("fields.jsonl", [
      { task_id: "Mbpp/2", solution: "a" },
      { problem_id: "p", code: "b", language: "cpp" },
      "",
      { id: "Mbpp/2", completion: "c" },
      { question_id: "abc", code: "d", sample_index: 7 },
      { task_id: "Mbpp/2", solution: "e", index: 9 },
      { task_id: "Mbpp/2", solution: "f" },
    ]);
    const { samples, issues } = await readSamples(f);
    expect(issues).toEqual([]);
    expect(samples.map((s) => [s.line, s.problemId, s.index, s.code, s.language])).toEqual([
      [1, "Mbpp/2", 0, "a", "python"],
      [2, "p", 0, "b", "cpp"],
      [4, "Mbpp/2", 1, "c", "python"],
      [5, "abc", 7, "d", "python"],
      [6, "Mbpp/2", 9, "e", "python"],
      // Its position among Mbpp/2's lines, whatever indices the others gave.
      [7, "Mbpp/2", 3, "f", "python"],
    ]);
  });

  it("names the line of every malformed sample and of a duplicate pair", async () => {
    const f = file("bad.jsonl", [
      "{not json",
      "[1, 2]",
      { solution: "x" },
      { task_id: "a" },
      { task_id: "a", solution: 3 },
      { task_id: "a", solution: "x", index: -1 },
      { task_id: "a", solution: "x", language: "java" },
      { task_id: "a", problem_id: "b", solution: "x" },
      { task_id: "a", solution: "x", index: 2 },
      { task_id: "a", solution: "y", index: 2 },
      { task_id: "", solution: "x" },
    ]);
    const { samples, issues } = await readSamples(f);
    expect(samples).toHaveLength(1);
    const byLine = Object.fromEntries(issues.map((i) => [i.line, i.message]));
    expect(byLine[1]).toMatch(/not valid JSON/);
    expect(byLine[2]).toBe("expected a JSON object per line");
    expect(byLine[3]).toMatch(/missing the problem id \(one of task_id, problem_id, question_id, id\)/);
    expect(byLine[4]).toMatch(/missing the code \(one of solution, code, completion\)/);
    expect(byLine[5]).toBe('"solution" must be a string, got 3');
    expect(byLine[6]).toBe('"index" must be a non-negative integer, got -1');
    expect(byLine[7]).toBe('"language" must be python or cpp, got "java"');
    expect(byLine[8]).toMatch(/fields "task_id" and "problem_id" disagree/);
    expect(byLine[10]).toBe('duplicate sample "a" index 2 (first on line 9)');
    expect(byLine[11]).toMatch(/must be a non-empty string/);
    const err = new SamplesError(f, issues);
    expect(err.message).toContain(`${f}:10: duplicate sample`);
    expect(err.message.split("\n")[0]).toBe(`${f}: 10 errors in the samples, nothing judged:`);
  });

  it("lists at most 20 errors and counts the rest", async () => {
    const f = file(
      "many.jsonl",
      Array.from({ length: 30 }, () => "nope"),
    );
    const { issues } = await readSamples(f);
    const msg = new SamplesError(f, issues).message;
    expect(msg).toContain(`${f}:20:`);
    expect(msg).not.toContain(`${f}:21:`);
    expect(msg).toContain("... and 10 more");
  });

  it("an empty or missing file is an error", async () => {
    expect((await readSamples(file("empty.jsonl", [""]))).issues[0]!.message).toBe("no samples");
    await expect(readSamples(join(tmp, "absent.jsonl"))).rejects.toThrow(
      /cannot read the samples file .*absent/,
    );
  });
});

function line(
  problemId: string,
  index: number,
  verdict: VerdictLine["verdict"],
  extra: Partial<VerdictLine> = {},
) {
  const v: VerdictLine = {
    problemId,
    index,
    language: "python",
    codeSha256: `h-${problemId}-${index}`,
    verdict,
    passed: 0,
    total: 3,
    cpuMsTotal: 1,
    cpuMsMax: 1,
    wallMs: 1,
    testsRun: 1,
    judgeVersion: JUDGE_VERSION,
    python: "CPython 3.11.7",
    ...extra,
  };
  return v;
}

describe("resumeVerdicts", () => {
  const expected = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      problemId: "p",
      index: i,
      language: "python" as const,
      codeSha256: `h-p-${i}`,
    }));
  const current = { judgeVersion: JUDGE_VERSION, python: "CPython 3.11.7" };

  it("keeps matching lines, drops a cut-off tail, changed code, sandbox failures and other judges", () => {
    const f = join(tmp, "resume.jsonl");
    const good = [line("p", 0, "accepted"), line("p", 1, "wrong_answer")];
    const text = [
      ...good,
      line("p", 2, "accepted", { codeSha256: "other" }),
      line("p", 3, "sandbox_error", { infrastructure: true }),
      line("p", 4, "accepted", { python: "PyPy 7.3.11 (Python 3.9.16)" }),
      line("p", 0, "wrong_answer"),
      line("gone", 0, "accepted"),
    ]
      .map((v) => JSON.stringify(v))
      .join("\n");
    writeFileSync(f, `${text}\n${JSON.stringify(line("p", 5, "accepted")).slice(0, 40)}`);
    const r = resumeVerdicts(f, expected(6), current);
    expect([...r.kept.values()]).toEqual(good);
    expect(r.dropped).toEqual({
      truncated: 1,
      changed: 1,
      infrastructure: 1,
      otherJudge: 1,
      notInSamples: 1,
      duplicate: 1,
    });
    expect(r.rewritten).toBe(true);
    expect(readFileSync(f, "utf8")).toBe(`${good.map((v) => JSON.stringify(v)).join("\n")}\n`);
    // Nothing to drop the second time: the file is left as it is.
    expect(resumeVerdicts(f, expected(6), current).rewritten).toBe(false);
  });

  it("leaves the lines of problems outside this run's selection as they are", () => {
    const f = join(tmp, "untouched.jsonl");
    const other = line("q", 0, "accepted", { codeSha256: "anything" });
    writeFileSync(
      f,
      `${[line("p", 0, "accepted"), other, line("p", 1, "accepted", { codeSha256: "x" })].map((v) => JSON.stringify(v)).join("\n")}\n`,
    );
    const r = resumeVerdicts(f, expected(2), current, new Set(["q"]));
    expect([...r.kept.keys()]).toHaveLength(1);
    expect(r.preserved).toBe(1);
    expect(r.dropped.changed).toBe(1);
    expect(readFileSync(f, "utf8")).toBe(
      `${JSON.stringify(line("p", 0, "accepted"))}\n${JSON.stringify(other)}\n`,
    );
  });

  it("refuses a file that is not a verdicts file instead of overwriting it", () => {
    const f = file("not-verdicts.jsonl", [{ task_id: "Mbpp/2", solution: "x" }, ""]);
    expect(() => resumeVerdicts(f, expected(1), current)).toThrow(VerdictsFileError);
    expect(() => resumeVerdicts(f, expected(1), current)).toThrow(
      /not-verdicts.jsonl:1: not a codeloop verdict line/,
    );
    expect(readFileSync(f, "utf8")).toContain("Mbpp/2");
  });
});

describe("summarizeVerdicts", () => {
  it("pass@k by the unbiased estimator, checked by hand", () => {
    const lines: VerdictLine[] = [];
    // a: 12 samples, 1 accepted. b: 12 samples, 2 accepted (+1 sandbox failure). c: 12, none.
    for (let i = 0; i < 12; i++) lines.push(line("a", i, i === 0 ? "accepted" : "wrong_answer"));
    for (let i = 0; i < 12; i++) lines.push(line("b", i, i < 2 ? "accepted" : "time_limit"));
    lines.push(line("b", 12, "sandbox_error", { infrastructure: true }));
    for (let i = 0; i < 12; i++) lines.push(line("c", i, "runtime_error"));
    const s = summarizeVerdicts(lines, ["c", "b", "a", "unused"]);
    expect(s.ks).toEqual([1, 10]);
    expect(s.perProblem.map((p) => p.problemId)).toEqual(["c", "b", "a"]);
    const a = s.perProblem[2]!;
    const b = s.perProblem[1]!;
    expect([a.n, a.c, b.n, b.c, b.infrastructure]).toEqual([12, 1, 12, 2, 1]);
    expect(a.passAtK["1"]).toBeCloseTo(1 / 12, 12);
    // 1 - C(11,10)/C(12,10) = 1 - 11/66
    expect(a.passAtK["10"]).toBeCloseTo(1 - 11 / 66, 12);
    // 1 - C(10,10)/C(12,10) = 1 - 1/66
    expect(b.passAtK["10"]).toBeCloseTo(1 - 1 / 66, 12);
    expect(s.passAtK["1"]).toBeCloseTo((1 / 12 + 2 / 12 + 0) / 3, 12);
    expect(s.passAtK["10"]).toBeCloseTo((1 - 11 / 66 + 1 - 1 / 66 + 0) / 3, 12);
    expect(s.infrastructure).toBe(1);
    expect(s.samples).toBe(36);
    expect(s.verdicts).toEqual({ accepted: 3, wrong_answer: 11, time_limit: 10, runtime_error: 12 });
  });

  it("reports only the k every problem has samples for; a problem with only failures of the sandbox has none", () => {
    const s = summarizeVerdicts([
      line("a", 0, "accepted"),
      line("a", 1, "wrong_answer"),
      line("b", 0, "sandbox_error", { infrastructure: true }),
    ]);
    expect(s.ks).toEqual([1]);
    expect(s.passAtK).toEqual({ "1": 0.5 });
    expect(s.problems).toBe(1);
    expect(s.problemsWithoutGrade).toEqual(["b"]);
  });
});
