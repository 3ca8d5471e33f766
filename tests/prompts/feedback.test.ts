import { describe, expect, it } from "vitest";
import type { JudgeResult } from "../../src/judge/judge.js";
import {
  DEFAULT_FEEDBACK_LIMITS,
  type ExecutionTrace,
  FEEDBACK_KINDS,
  type FeedbackInput,
  type FeedbackKind,
  clipText,
  feedbackInput,
  parseExecutionTrace,
  renderFeedback,
  renderNoCodeFeedback,
  renderTrace,
  traceBlocks,
} from "../../src/prompts/index.js";
import {
  HIDDEN,
  functionProblem,
  humanevalProblem,
  record,
  stdioProblem,
  stdioTests,
  verdict,
} from "./fixtures.js";

const TRACEBACK = `Traceback (most recent call last):
  File "/tmp/main.py", line 4, in <module>
    print(a // b)
ZeroDivisionError: integer division or modulo by zero
`;

function stdioInput(): FeedbackInput {
  const p = stdioProblem();
  return {
    tests: p.tests.public,
    results: [
      verdict(0, "accepted", { stdout: "3\n" }),
      verdict(1, "wrong_answer", { stdout: "14\n" }, "line 1, token 1: expected '6', got '14'"),
    ],
    timeLimitSec: 2,
    memoryLimitMb: 256,
  };
}

describe("renderFeedback", () => {
  it("binary says only that the tests failed, and asks for another attempt", () => {
    const text = renderFeedback("binary", stdioInput());
    expect(text).toBe(
      "Your code did not pass the public tests.\n\nTry again: answer with the complete, corrected solution in a single fenced code block.",
    );
  });

  it("failed-test shows input, expected and actual output of the first failing test", () => {
    const text = renderFeedback("failed-test", stdioInput());
    expect(text).toContain(
      "Test 2: wrong answer\nInput:\n```\n10 -4\n```\nExpected output:\n```\n6\n```\nYour output:\n```\n14\n```",
    );
    expect(text).toContain("Checker: line 1, token 1: expected '6', got '14'");
    expect(text).not.toContain("Test 1");
  });

  it("failed-tests lists every failing test, all-tests every test with its outcome", () => {
    const tests = stdioTests(4);
    const input: FeedbackInput = {
      tests,
      results: [
        verdict(0, "wrong_answer", { stdout: "1\n" }),
        verdict(1, "accepted", { stdout: "2\n" }),
        verdict(2, "runtime_error", { stderr: TRACEBACK, exitCode: 1 }),
        verdict(3, "time_limit", {}, "CPU time limit (2000 ms) exceeded"),
      ],
      timeLimitSec: 2,
    };
    const failed = renderFeedback("failed-tests", input);
    expect(failed).toMatch(/^Here are the results of running your code on the public tests\. 3 of 4 failed:/);
    expect(failed).toContain("Test 1: wrong answer");
    expect(failed).not.toContain("Test 2:");
    expect(failed).toContain("Test 3: runtime error");
    expect(failed).toContain(`Error output:\n\`\`\`\n${TRACEBACK.trimEnd()}\n\`\`\``);
    expect(failed).toContain("Test 4: timeout (the time limit of 2 s was exceeded)");
    // A crash without output shows no empty "Your output" block.
    expect(failed.split("Test 3:")[1]!.split("Test 4:")[0]).not.toContain("Your output");
    // A timeout without stderr shows no error block repeating its status.
    expect(failed.split("Test 4:")[1]).not.toContain("Error output");
    const all = renderFeedback("all-tests", input);
    expect(all).toMatch(/\(1 of 4 passed\)/);
    expect(all).toContain("Test 2: passed\nInput:\n```\n1 1\n```\nExpected output:\n```\n2\n```");
  });

  it("function tests show the call and expected/returned values as Python reprs", () => {
    const p = functionProblem();
    const input: FeedbackInput = {
      tests: p.tests.public,
      results: [
        verdict(0, "wrong_answer", {
          returnValue: [
            "t",
            [
              ["i", "1"],
              ["i", "0"],
            ],
          ],
        }),
      ],
      entryPoint: "Solution.twoSum",
    };
    const text = renderFeedback("failed-test", input);
    expect(text).toContain("Call:\n```\nSolution().twoSum([2, 7, 11], 9)\n```");
    expect(text).toContain("Expected return value:\n```\n[0, 1]\n```");
    expect(text).toContain("Your return value:\n```\n(1, 0)\n```");
  });

  it("assert tests show the test code and the failure", () => {
    const p = humanevalProblem();
    const stderr =
      'Traceback (most recent call last):\n  File "<test>", line 1, in <module>\nAssertionError\n';
    const text = renderFeedback("failed-test", {
      tests: p.tests.public,
      results: [verdict(0, "wrong_answer", { stderr, assertionFailed: true, exitCode: 1 })],
    });
    expect(text).toContain("Test code:\n```\nassert add(2, 3) == 5\n```");
    expect(text).toContain("AssertionError");
  });

  it("memory limit, output limit and infrastructure failures have their own wording", () => {
    const tests = stdioTests(3);
    const text = renderFeedback("failed-tests", {
      tests,
      results: [
        verdict(0, "memory_limit", {}, "memory limit exceeded"),
        verdict(1, "output_limit"),
        verdict(2, "sandbox_error"),
      ],
      memoryLimitMb: 256,
    });
    expect(text).toContain("Test 1: memory limit exceeded (256 MB)");
    expect(text).toContain("Test 2: output limit exceeded");
    expect(text).toContain("Test 3: could not be run (a failure of the test machine, not of your code)");
  });

  it("compile errors show the compiler's output for every kind but binary", () => {
    const input: FeedbackInput = {
      tests: stdioTests(1),
      results: [],
      compile: record({
        verdict: "compile_error",
        stderr: "main.cpp:3:5: error: 'x' was not declared in this scope\n",
      }),
    };
    for (const kind of FEEDBACK_KINDS.filter((k) => k !== "binary")) {
      expect(renderFeedback(kind, input)).toContain(
        "Your code did not compile. Compiler output:\n```\nmain.cpp:3:5: error",
      );
    }
    expect(renderFeedback("binary", input)).not.toContain("compile");
  });

  it("a run where every public test passed is reported as such", () => {
    const input: FeedbackInput = {
      tests: stdioTests(2),
      results: [verdict(0, "accepted"), verdict(1, "accepted")],
    };
    for (const kind of FEEDBACK_KINDS)
      expect(renderFeedback(kind, input)).toBe("Your code passed all 2 public tests.");
  });

  it("the wording stays neutral: no advice on what to focus on", () => {
    for (const kind of FEEDBACK_KINDS) {
      const text = renderFeedback(kind, stdioInput());
      expect(text).not.toMatch(/focus|pay attention|carefully|hint/i);
      expect(text).toMatch(/Try again/);
    }
  });

  it("long fields are cut to head and tail with a marker saying how much was cut", () => {
    const big = Array.from({ length: 500 }, (_, i) => `line ${i}`).join("\n");
    const input: FeedbackInput = {
      tests: [{ kind: "stdio", input: big, output: "1\n" }],
      results: [verdict(0, "wrong_answer", { stdout: "x".repeat(5000) })],
    };
    const text = renderFeedback("failed-test", input, { fieldLines: 10, fieldChars: 200 });
    expect(text).toContain("line 0\nline 1\nline 2\nline 3\nline 4\n[... 490 lines cut ...]\nline 495");
    expect(text).toContain("line 499\n```");
    expect(text).toContain(`${"x".repeat(100)}\n[... 4800 characters cut ...]\n${"x".repeat(100)}\n`);
    expect(text).not.toContain("line 250");
  });

  it("the number of tests shown is limited; all-tests keeps the failing ones among those shown", () => {
    const tests = stdioTests(8);
    const results = tests.map((_, i) => verdict(i, i === 6 ? "wrong_answer" : "accepted", { stdout: "0\n" }));
    const text = renderFeedback("all-tests", { tests, results }, { maxTests: 3 });
    expect(text).toContain("Test 7: wrong answer");
    expect((text.match(/^Test \d+:/gm) ?? []).length).toBe(3);
    expect(text).toContain("(5 more not shown)");
    const many = tests.map((_, i) => verdict(i, "wrong_answer", { stdout: "9\n" }));
    const failed = renderFeedback("failed-tests", { tests, results: many }, { maxTests: 2 });
    expect(failed).toContain("8 of 8 failed");
    expect(failed).toContain("(6 more not shown)");
  });

  it("tests the judge did not reach (stopped at the first failure) are marked not run", () => {
    const tests = stdioTests(3);
    const text = renderFeedback("all-tests", {
      tests,
      results: [verdict(0, "wrong_answer", { stdout: "5\n" })],
    });
    expect(text).toContain("Test 2: not run");
    expect(text).toContain("Test 3: not run");
  });

  it("rejects unknown kinds and results for tests it was not given", () => {
    expect(() => renderFeedback("verbose" as FeedbackKind, stdioInput())).toThrowError(
      /unknown feedback kind 'verbose'; valid kinds: binary, failed-test/,
    );
    expect(() =>
      renderFeedback("failed-test", { tests: stdioTests(1), results: [verdict(3, "wrong_answer")] }),
    ).toThrowError(/judge result for test 3, but only 1 public tests/);
  });

  it("feedbackInput takes the problem's public tests only and refuses a result on another test set", () => {
    const p = stdioProblem();
    const result: JudgeResult = {
      verdict: "wrong_answer",
      tests: [verdict(0, "wrong_answer", { stdout: "4\n" })],
      passed: 0,
      total: 2,
      infrastructureFailure: false,
    };
    const input = feedbackInput(p, result);
    expect(input.tests).toBe(p.tests.public);
    for (const kind of FEEDBACK_KINDS) {
      const text = renderFeedback(kind, input);
      for (const marker of HIDDEN) expect(text).not.toContain(marker);
    }
    expect(() => feedbackInput(p, { ...result, total: 4 })).toThrowError(/judge result covers 4 tests/);
  });

  it("the no-code message explains why nothing ran", () => {
    expect(renderNoCodeFeedback()).toMatch(/did not contain any code[\s\S]*Try again/);
  });
});

describe("clipText", () => {
  it("leaves short text alone and cuts exactly as many characters as it reports", () => {
    expect(clipText("short", { maxChars: 10, maxLines: 3 })).toBe("short");
    const text = "abcdefghijklmnopqrstuvwxyz";
    const out = clipText(text, { maxChars: 10, maxLines: 0 });
    expect(out).toBe("abcde\n[... 16 characters cut ...]\nvwxyz");
  });

  it("never splits a surrogate pair", () => {
    const out = clipText("😀".repeat(30), { maxChars: 4, maxLines: 0 });
    expect(out).toBe("😀😀\n[... 26 characters cut ...]\n😀😀");
  });
});

function loopTrace(iterations: number): ExecutionTrace {
  const events: ExecutionTrace["events"] = [
    { line: 1, func: "<module>", source: "n = int(input())", vars: { n: "4" } },
    { line: 2, func: "<module>", source: "total = 0", vars: { n: "4", total: "0" } },
  ];
  for (let i = 0; i < iterations; i++) {
    events.push({
      line: 3,
      func: "<module>",
      source: "for i in range(n):",
      vars: { n: "4", total: String(i * (i - 1)), i: String(i) },
    });
    events.push({
      line: 4,
      func: "<module>",
      source: "    total += i * 2",
      vars: { n: "4", total: String(i * (i + 1)), i: String(i) },
    });
  }
  events.push({ line: 5, func: "<module>", source: "print(total)", vars: { n: "4", total: "12", i: "3" } });
  return { testIndex: 0, events, outcome: "exited normally" };
}

describe("trace feedback", () => {
  it("splits a run into blocks at backward jumps and function changes", () => {
    const blocks = traceBlocks(loopTrace(3));
    // A block ends where the line number goes back (the loop's next iteration).
    expect(blocks.map((b) => b.events.map((e) => e.line))).toEqual([
      [1, 2, 3, 4],
      [3, 4],
      [3, 4, 5],
    ]);
    const call: ExecutionTrace = {
      testIndex: 0,
      events: [
        { line: 5, func: "<module>", source: "x = f(2)", vars: {} },
        { line: 2, func: "f", source: "return a * 2", vars: { a: "2" } },
        { line: 6, func: "<module>", source: "print(x)", vars: { x: "4" } },
      ],
    };
    expect(traceBlocks(call).map((b) => b.events[0]!.func)).toEqual(["<module>", "f", "<module>"]);
  });

  it("keeps the first and last blocks and says how many were cut", () => {
    const text = renderTrace(loopTrace(50), { ...DEFAULT_FEEDBACK_LIMITS, headBlocks: 2, tailBlocks: 1 });
    const blocks = text.match(/^\[<module>\] lines/gm) ?? [];
    expect(blocks).toHaveLength(3);
    // 50 blocks: 2 kept at the head, 1 at the tail; 47 loop blocks of 2 lines cut.
    expect(traceBlocks(loopTrace(50))).toHaveLength(50);
    expect(text).toContain("[... blocks cut: 47, lines executed in them: 94 ...]");
    expect(text).toContain("  5 | print(total)");
    // Indentation of the source is kept: it shows the loop body.
    expect(text).toContain("  4 |     total += i * 2");
    expect(text).toMatch(/The run ended: exited normally$/);
  });

  it("shows only the variables a block changed, each value cut head...tail", () => {
    const trace: ExecutionTrace = {
      testIndex: 0,
      events: [
        { line: 1, func: "<module>", source: "s = 'a' * 1000", vars: { s: `'${"a".repeat(1000)}'` } },
        { line: 2, func: "<module>", source: "k = 1", vars: { s: `'${"a".repeat(1000)}'`, k: "1" } },
        { line: 1, func: "<module>", source: "s = 'a' * 1000", vars: { s: `'${"a".repeat(1000)}'`, k: "1" } },
      ],
    };
    const text = renderTrace(trace, { ...DEFAULT_FEEDBACK_LIMITS, valueChars: 21 });
    expect(text).toContain(`  state: s = 'aaaaaaaa...aaaaaaaa', k = 1`);
    expect(text).toContain("  state: unchanged");
  });

  it("marks events the tracer dropped and long blocks", () => {
    const events = Array.from({ length: 40 }, (_, i) => ({
      line: i + 1,
      func: "solve",
      source: `x${i} = ${i}`,
      vars: { [`x${i}`]: String(i) },
    }));
    const trace: ExecutionTrace = { testIndex: 0, events, omitted: { after: 20, count: 1234 } };
    const text = renderTrace(trace, { ...DEFAULT_FEEDBACK_LIMITS, blockLines: 4 });
    expect(text).toContain("[... 1234 lines executed, not traced ...]");
    expect(text).toContain("  3 | x2 = 2\n  [... 16 lines cut ...]\n  20 | x19 = 19");
    expect(text).toContain("  20 | x19 = 19");
  });

  it("renders a failing test with its trace; falls back to the test alone without a trace", () => {
    const input: FeedbackInput = {
      tests: [{ kind: "stdio", input: "4\n", output: "12\n" }],
      results: [verdict(0, "wrong_answer", { stdout: "6\n" })],
      trace: loopTrace(4),
    };
    const text = renderFeedback("trace", input);
    expect(text).toContain("Test 1: wrong answer");
    expect(text).toContain("Execution trace of that test");
    expect(text).toContain("  1 | n = int(input())");
    const without = renderFeedback("trace", { ...input, trace: undefined });
    expect(without).toContain("Test 1: wrong answer");
    expect(without).not.toContain("Execution trace");
    // A trace of a test that passed is not the trace of a failing test.
    expect(renderFeedback("trace", { ...input, trace: { ...loopTrace(1), testIndex: 3 } })).not.toContain(
      "Execution trace",
    );
  });

  it("parses the sandbox's JSON and rejects malformed events", () => {
    const json = JSON.parse(JSON.stringify(loopTrace(2)));
    expect(parseExecutionTrace(json)).toEqual(loopTrace(2));
    expect(() =>
      parseExecutionTrace({ testIndex: 0, events: [{ line: 0, func: "f", source: "", vars: {} }] }),
    ).toThrowError(/events\[0\]\.line must be a positive integer/);
    expect(() =>
      parseExecutionTrace({ testIndex: 0, events: [{ line: 1, func: "f", source: "", vars: { a: 1 } }] }),
    ).toThrowError(/vars\.a must be a string/);
    expect(() =>
      parseExecutionTrace({ testIndex: 0, events: [], omitted: { after: 3, count: 1 } }),
    ).toThrowError(/omitted/);
  });
});
