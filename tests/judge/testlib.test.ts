import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../src/judge/judge.js";
import { testlibOutcome } from "../../src/judge/testlib.js";
import { DEFAULT_COMPARE, type JudgeSpec, type TestCase } from "../../src/judge/types.js";
import { DEFAULT_LIMITS, type RunRecord, Sandbox, type SandboxLimits } from "../../src/sandbox/index.js";

const LIMITS: SandboxLimits = { ...DEFAULT_LIMITS, timeMs: 1000, wallMs: 3000 };

/** A testlib-protocol spec around one C++ checker. */
function checkerSpec(source: string): JudgeSpec {
  return {
    kind: "stdio",
    compare: DEFAULT_COMPARE,
    validator: {
      protocol: "testlib",
      language: "cpp",
      sources: [{ path: "checker.cpp", content: source }],
      flags: [],
    },
  };
}

/**
 * Exits with the code its output's first word names, so each testlib code can be provoked;
 * exit 3 by itself when the jury's answer says BROKEN (broken test data, whatever the output).
 * Messages name the input, so a checker reading its files in the wrong order would show.
 */
const CODES_CHECKER = `
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
int main(int argc, char** argv) {
  if (argc != 4) { std::fprintf(stderr, "usage: checker input output answer"); return 3; }
  std::ifstream in(argv[1]), out(argv[2]), ans(argv[3]);
  std::string n, o, a;
  in >> n;
  ans >> a;
  if (a == "BROKEN") { std::fprintf(stderr, "the jury's answer is unreadable"); return 3; }
  if (!(out >> o)) { std::fprintf(stderr, "empty output"); return 2; }
  if (o == a) { std::fprintf(stderr, "ok"); return 0; }
  if (o == "pe") { std::fprintf(stderr, "lines are garbled"); return 2; }
  if (o == "dirt") { std::fprintf(stderr, "extra information in the output"); return 4; }
  if (o == "points") { std::fprintf(stderr, "points 0.5 half of the pairs"); return 7; }
  if (o == "fail") { std::fprintf(stderr, "participant has a better answer than the jury"); return 3; }
  if (o == "crash") std::abort();
  if (o == "code5") return 5;
  std::fprintf(stderr, "expected %s, found %s (input %s)", a.c_str(), o.c_str(), n.c_str());
  return 1;
}
`;

/** Accepts a real number within 1e-6 absolute or relative of the answer. */
const FLOAT_CHECKER = `
#include <cmath>
#include <cstdio>
#include <fstream>
int main(int argc, char** argv) {
  std::ifstream out(argv[2]), ans(argv[3]);
  double want, got;
  if (!(ans >> want)) { std::fprintf(stderr, "the answer file has no number"); return 3; }
  if (!(out >> got)) { std::fprintf(stderr, "expected a number"); return 2; }
  double err = std::fabs(got - want) / std::fmax(1.0, std::fabs(want));
  if (!(err <= 1e-6)) { std::fprintf(stderr, "expected %.9f, found %.9f", want, got); return 1; }
  return 0;
}
`;

const print = (text: string) => ({ language: "python", code: `print(${JSON.stringify(text)})` });

describe("testlib checkers", () => {
  let sb: Sandbox;
  let judge: Judge;
  const codes = checkerSpec(CODES_CHECKER);
  const one: TestCase[] = [{ kind: "stdio", input: "7\n", output: "ok\n" }];
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 2, uidBase: 65000 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("accepts on exit 0 and gives the checker's message on a wrong answer (exit 1)", async () => {
    const ok = await judge.judge(codes, one, print("ok"), { limits: LIMITS });
    expect(ok.verdict).toBe("accepted");
    const wa = await judge.judge(codes, one, print("nope"), { limits: LIMITS });
    expect(wa.verdict).toBe("wrong_answer");
    // The input file is argv[1], the output argv[2], the answer argv[3].
    expect(wa.tests[0]!.message).toBe("checker: wrong answer: expected ok, found nope (input 7)");
    expect(wa.infrastructureFailure).toBe(false);
  });

  it("counts presentation errors (2, 4) and partial points (7) as wrong answers, and says which", async () => {
    const cases: [string, RegExp][] = [
      ["pe", /^checker: presentation error: lines are garbled$/],
      ["dirt", /^checker: presentation error \(extra output\): extra information/],
      ["points", /^checker: partial score, not accepted: points 0\.5 half of the pairs$/],
    ];
    for (const [out, message] of cases) {
      const r = await judge.judge(codes, one, print(out), { limits: LIMITS });
      expect(r.verdict, out).toBe("wrong_answer");
      expect(r.tests[0]!.message).toMatch(message);
    }
  });

  it("exit 3 provoked by a hostile output is the program's wrong answer: the checker accepts the answer itself", async () => {
    const before = sb.stats.requests;
    const r = await judge.judge(codes, one, print("fail"), { limits: LIMITS });
    expect(r.verdict).toBe("wrong_answer");
    expect(r.infrastructureFailure).toBe(false);
    expect(r.tests[0]!.message).toMatch(
      /^checker failure \(testlib exit 3\) on this output, counted as a wrong answer: participant has a better answer than the jury \(it accepts the test's own answer/,
    );
    // The program, the checker on its output, the checker on the answer itself.
    expect(sb.stats.requests - before).toBe(3);
    // The answer-against-itself run is done once per test.
    const again = sb.stats.requests;
    expect((await judge.judge(codes, one, print("fail"), { limits: LIMITS })).verdict).toBe("wrong_answer");
    expect(sb.stats.requests - again).toBe(2);
  });

  it("exit 3 on broken test data is an infrastructure failure (sandbox_error), never the program's", async () => {
    const broken: TestCase[] = [
      { kind: "stdio", input: "7\n", output: "ok\n" },
      { kind: "stdio", input: "8\n", output: "BROKEN\n" },
    ];
    const r = await judge.judge(codes, broken, print("ok"), { limits: LIMITS, stopOnFirstFailure: false });
    expect(r.tests.map((t) => t.verdict)).toEqual(["accepted", "sandbox_error"]);
    expect(r.verdict).toBe("sandbox_error");
    expect(r.infrastructureFailure).toBe(true);
    expect(r.tests[1]!.message).toBe(
      "checker failure (testlib exit 3): the jury's answer is unreadable (it fails on the test's own answer too: broken test data or checker)",
    );
  });

  it("a checker that crashes or exits with a code testlib never uses gives a wrong answer, not an escape", async () => {
    const crash = await judge.judge(codes, one, print("crash"), { limits: LIMITS });
    expect(crash.verdict).toBe("wrong_answer");
    expect(crash.infrastructureFailure).toBe(false);
    expect(crash.tests[0]!.message).toMatch(
      /^judge error: the checker failed on this output \(killed by SIG(ABRT|IOT)\)$/,
    );
    const odd = await judge.judge(codes, one, print("code5"), { limits: LIMITS });
    expect(odd.verdict).toBe("wrong_answer");
    expect(odd.tests[0]!.message).toBe(
      "judge error: the checker failed on this output (exit code 5, not a testlib code)",
    );
  });

  it("judges real-valued answers by the checker's 1e-6 tolerance, not by tokens", async () => {
    const spec = checkerSpec(FLOAT_CHECKER);
    const t: TestCase[] = [{ kind: "stdio", input: "2\n", output: "1.4142135624\n" }];
    const verdict = async (out: string) =>
      (await judge.judge(spec, t, print(out), { limits: LIMITS })).tests[0]!;
    expect((await verdict("1.41421356")).verdict).toBe("accepted");
    expect((await verdict("1.414214")).verdict).toBe("accepted");
    const far = await verdict("1.4142");
    expect(far.verdict).toBe("wrong_answer");
    expect(far.message).toBe("checker: wrong answer: expected 1.414213562, found 1.414200000");
    expect((await verdict("1e400")).verdict).toBe("wrong_answer");
    const text = await verdict("sqrt(2)");
    expect(text.verdict).toBe("wrong_answer");
    expect(text.message).toBe("checker: presentation error: expected a number");
  });

  it("judges every test of a set, in order, with checks running beside the program", async () => {
    const tests: TestCase[] = ["a", "b", "c", "d"].map((w, i) => ({
      kind: "stdio",
      input: `${i}\n`,
      output: `${w}\n`,
    }));
    const code = "import sys\nn = int(input())\nprint('abxd'[n])";
    const r = await judge.judge(
      codes,
      tests,
      { language: "python", code },
      { limits: LIMITS, stopOnFirstFailure: false },
    );
    expect(r.tests.map((t) => t.verdict)).toEqual(["accepted", "accepted", "wrong_answer", "accepted"]);
    expect(r.tests[2]!.message).toBe("checker: wrong answer: expected c, found x (input 2)");
    expect(r.passed).toBe(3);
  });
});

describe("testlibOutcome", () => {
  const rec = (over: Partial<RunRecord>): RunRecord => ({
    verdict: "ok",
    cpuMs: 1,
    wallMs: 1,
    memoryKb: 1,
    exitCode: 0,
    signal: null,
    stdout: "",
    stderr: "",
    stdoutBytes: 0,
    stderrBytes: 0,
    ...over,
  });

  it("reads an exit code only from a checker that ended on its own", () => {
    expect(testlibOutcome(rec({}))).toEqual({ kind: "accepted" });
    expect(testlibOutcome(rec({ verdict: "runtime_error", exitCode: 3, stderr: "jury bug" }))).toEqual({
      kind: "fail",
      message: "jury bug",
    });
    // Killed at the time limit: whatever its exit status says, it did not answer.
    const late = testlibOutcome(
      rec({ verdict: "time_limit", exitCode: 0, detail: "CPU time limit (30000 ms) exceeded" }),
    );
    expect(late).toEqual({ kind: "broken", message: "CPU time limit (30000 ms) exceeded" });
    expect(testlibOutcome(rec({ verdict: "output_limit", exitCode: 1 })).kind).toBe("broken");
    expect(testlibOutcome(rec({ verdict: "sandbox_error", exitCode: null, detail: "worker died" }))).toEqual({
      kind: "sandbox",
      message: "the checker could not run: worker died",
    });
  });

  it("clips the checker's message and prefers stderr, where testlib writes", () => {
    const long = testlibOutcome(
      rec({ verdict: "runtime_error", exitCode: 1, stderr: "x".repeat(5000), stdout: "y" }),
    );
    expect(long.kind).toBe("rejected");
    expect((long as { message: string }).message.length).toBeLessThan(340);
    const out = testlibOutcome(rec({ verdict: "runtime_error", exitCode: 1, stdout: "wrong\nanswer" }));
    expect(out).toEqual({ kind: "rejected", message: "checker: wrong answer: wrong answer" });
  });
});
