import type { TestVerdict } from "../../src/judge/judge.js";
import type { TestCase, Verdict } from "../../src/judge/types.js";
import type { Problem } from "../../src/problems/types.js";
import type { RunRecord } from "../../src/sandbox/types.js";

/** Markers placed in hidden tests; none of them may ever appear in a prompt. */
export const HIDDEN = [
  "HIDDEN_PRIVATE_7f3a",
  "HIDDEN_GENERATED_91bc",
  "HIDDEN_SOLUTION_5d2e",
  "HIDDEN_PENDING_c0de",
];

function base(over: Partial<Problem>): Problem {
  return {
    id: "p1",
    benchmark: "native",
    split: "test",
    title: "Sum",
    statement: "Given two integers a and b, print a + b.",
    judge: { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
    extraJudges: [],
    tests: { public: [], private: [], generated: [] },
    limits: { timeLimitSec: 2, memoryLimitMb: 256, timeLimitOrigin: "dataset" },
    metadata: { difficulty: "easy", tags: [] },
    solutions: [
      {
        language: "python",
        code: `print(sum(map(int, input().split()))) # ${HIDDEN[2]}`,
        verdict: "accepted",
      },
    ],
    warnings: [],
    origin: { file: "fixture.jsonl", row: 1 },
    ...over,
  };
}

export function stdioProblem(over: Partial<Problem> = {}): Problem {
  return base({
    tests: {
      public: [
        { kind: "stdio", input: "1 2\n", output: "3\n" },
        { kind: "stdio", input: "10 -4\n", output: "6\n" },
      ],
      private: [{ kind: "stdio", input: `${HIDDEN[0]}\n`, output: "0\n" }],
      generated: [{ kind: "stdio", input: `${HIDDEN[1]}\n`, output: "0\n" }],
    },
    ...over,
  });
}

export function functionProblem(over: Partial<Problem> = {}): Problem {
  return base({
    id: "lc-1",
    benchmark: "livecodebench",
    title: "Two Sum",
    statement: "Return the indices of the two numbers that add up to target.",
    starterCode:
      "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        ",
    judge: { kind: "function", entryPoint: "Solution.twoSum" },
    tests: {
      public: [
        {
          kind: "function",
          args: [
            [
              "l",
              [
                ["i", "2"],
                ["i", "7"],
                ["i", "11"],
              ],
            ],
            ["i", "9"],
          ],
          expected: [
            "l",
            [
              ["i", "0"],
              ["i", "1"],
            ],
          ],
        },
      ],
      private: [{ kind: "function", args: [["s", HIDDEN[0]!]], expected: ["s", HIDDEN[0]!] }],
      generated: [{ kind: "function", args: [["s", HIDDEN[1]!]], expected: ["s", "x"] }],
    },
    ...over,
  });
}

/** HumanEval-style: statement is the starter code, public test an assert from the docstring. */
export function humanevalProblem(over: Partial<Problem> = {}): Problem {
  const prompt =
    'def add(a: int, b: int) -> int:\n    """Add two numbers.\n    >>> add(2, 3)\n    5\n    """\n';
  return base({
    id: "HumanEval/0",
    benchmark: "humaneval",
    title: "add",
    statement: prompt,
    starterCode: prompt,
    judge: { kind: "function", entryPoint: "add" },
    extraJudges: [{ kind: "assert" }],
    tests: {
      public: [{ kind: "assert", name: "docstring", script: "assert add(2, 3) == 5\n" }],
      private: [
        { kind: "assert", name: "check", script: `def check(c):\n    assert c(1, 1) == 2 # ${HIDDEN[0]}\n` },
      ],
      generated: [],
    },
    pendingExpected: {
      canonicalCode: `return a + b # ${HIDDEN[3]}`,
      entryPoint: "add",
      privateArgs: [[["s", HIDDEN[3]!]]],
      generatedArgs: [],
      datasetHash: "x",
    },
    ...over,
  });
}

/** MBPP-style: text statement, no starter code, assert judge, entry point from the assert. */
export function mbppProblem(over: Partial<Problem> = {}): Problem {
  return base({
    id: "11",
    benchmark: "mbpp",
    title: "remove_Occ",
    statement:
      "Write a python function to remove first and last occurrence of a given character from the string.",
    judge: { kind: "assert" },
    tests: {
      public: [{ kind: "assert", name: "test-0", script: 'assert remove_Occ("hello","l") == "heo"\n' }],
      private: [{ kind: "assert", name: "test-1", script: `assert remove_Occ("${HIDDEN[0]}","a") == ""\n` }],
      generated: [],
    },
    ...over,
  });
}

export function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    verdict: "ok",
    cpuMs: 12,
    wallMs: 15,
    memoryKb: 9000,
    exitCode: 0,
    signal: null,
    stdout: "",
    stderr: "",
    stdoutBytes: 0,
    stderrBytes: 0,
    ...over,
  };
}

export function verdict(
  index: number,
  v: Verdict,
  rec: Partial<RunRecord> = {},
  message?: string,
): TestVerdict {
  const runVerdict = v === "accepted" || v === "wrong_answer" ? "ok" : v;
  return { index, verdict: v, record: record({ verdict: runVerdict, ...rec }), message };
}

export function stdioTests(n: number): TestCase[] {
  return Array.from({ length: n }, (_, i) => ({ kind: "stdio", input: `${i} ${i}\n`, output: `${2 * i}\n` }));
}
