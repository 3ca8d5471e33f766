import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../src/judge/judge.js";
import { py, pyFromJs } from "../../src/judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../src/judge/types.js";
import {
  DEFAULT_LIMITS,
  Sandbox,
  type SandboxLimits,
  resolvePython,
  worldReadable,
} from "../../src/sandbox/index.js";

const LIMITS: SandboxLimits = { ...DEFAULT_LIMITS, timeMs: 1000, wallMs: 3000 };
const STDIO: JudgeSpec = { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } };
const sumTests: TestCase[] = [
  { kind: "stdio", input: "1 2\n", output: "3\n" },
  { kind: "stdio", input: "10 20\n", output: "30\n" },
  { kind: "stdio", input: "5 5\n", output: "10\n" },
];

describe("judge", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 2, uidBase: 64200 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  describe("stdin/stdout", () => {
    it("accepts a correct Python program and a correct C++ program", async () => {
      const p = await judge.judge(
        STDIO,
        sumTests,
        { language: "python", code: "a,b=map(int,input().split())\nprint(a+b)" },
        { limits: LIMITS },
      );
      expect(p.verdict).toBe("accepted");
      expect(p.passed).toBe(3);
      const c = await judge.judge(
        STDIO,
        sumTests,
        {
          language: "cpp",
          code: "#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}",
        },
        { limits: LIMITS },
      );
      expect(c.verdict).toBe("accepted");
    });

    it("stops at the first failure, or runs everything when asked", async () => {
      const code = "a,b=map(int,input().split())\nprint(a+b if a != 10 else 0)";
      const stop = await judge.judge(STDIO, sumTests, { language: "python", code }, { limits: LIMITS });
      expect(stop.verdict).toBe("wrong_answer");
      expect(stop.tests.map((t) => t.verdict)).toEqual(["accepted", "wrong_answer"]);
      expect(stop.tests[1]!.message).toBe("token 1 (line 1): expected '30', got '0'");
      const all = await judge.judge(
        STDIO,
        sumTests,
        { language: "python", code },
        { limits: LIMITS, stopOnFirstFailure: false },
      );
      expect(all.tests.map((t) => t.verdict)).toEqual(["accepted", "wrong_answer", "accepted"]);
      expect(all.passed).toBe(2);
      expect(all.total).toBe(3);
    });

    it("reads stdin from a regular file (os.read of fstat size works)", async () => {
      const code =
        "import os\ndata = os.read(0, os.fstat(0).st_size).split()\nprint(int(data[0]) + int(data[1]))";
      const r = await judge.judge(STDIO, sumTests, { language: "python", code }, { limits: LIMITS });
      expect(r.verdict).toBe("accepted");
    });

    it("gives runtime errors with the program's traceback and nothing of the judge", async () => {
      const r = await judge.judge(
        STDIO,
        sumTests,
        { language: "python", code: "def f(x):\n    return 1 // x\nprint(f(0))" },
        { limits: LIMITS },
      );
      expect(r.verdict).toBe("runtime_error");
      const stderr = r.tests[0]!.record.stderr;
      expect(stderr).toContain('File "solution.py", line 2, in f');
      expect(stderr).toContain("return 1 // x");
      expect(stderr).toContain("ZeroDivisionError");
      expect(stderr).not.toContain("runner.py");
      expect(r.tests[0]!.message).toMatch(/ZeroDivisionError: integer division or modulo by zero/);
    });

    it("gives compile errors for Python syntax errors and C++ compiler errors", async () => {
      const p = await judge.judge(
        STDIO,
        sumTests,
        { language: "python", code: "print((1, 2)\n" },
        { limits: LIMITS },
      );
      expect(p.verdict).toBe("compile_error");
      expect(p.tests).toHaveLength(1);
      expect(p.tests[0]!.record.stderr).toContain("SyntaxError");
      const c = await judge.judge(
        STDIO,
        sumTests,
        { language: "cpp", code: "int main() { return x; }" },
        { limits: LIMITS },
      );
      expect(c.verdict).toBe("compile_error");
      expect(c.compile?.stderr).toContain("'x' was not declared");
    });

    it("gives time_limit and exit-code runtime errors", async () => {
      const t = await judge.judge(
        STDIO,
        sumTests,
        { language: "python", code: "while True: pass" },
        { limits: LIMITS },
      );
      expect(t.verdict).toBe("time_limit");
      const e = await judge.judge(
        STDIO,
        sumTests,
        { language: "python", code: "import sys\nsys.exit(3)" },
        { limits: LIMITS },
      );
      expect(e.verdict).toBe("runtime_error");
      expect(e.tests[0]!.record.exitCode).toBe(3);
      const ok = await judge.judge(
        STDIO,
        sumTests.slice(0, 1),
        { language: "python", code: "print(3)\nraise SystemExit(0)" },
        { limits: LIMITS },
      );
      expect(ok.verdict).toBe("accepted");
    });
  });

  describe("function call", () => {
    const spec: JudgeSpec = { kind: "function", entryPoint: "add" };
    const tests: TestCase[] = [
      { kind: "function", args: [py.int(1), py.int(2)], expected: py.int(3) },
      {
        kind: "function",
        args: [py.int("100000000000000000000"), py.int(1)],
        expected: py.int("100000000000000000001"),
      },
    ];

    it("calls the entry point with the arguments and compares the returned value", async () => {
      const r = await judge.judge(
        spec,
        tests,
        { language: "python", code: "def add(a, b):\n    return a + b\n" },
        { limits: LIMITS },
      );
      expect(r.verdict).toBe("accepted");
      expect(r.passed).toBe(2);
    });

    it("is type-strict: a float where an int is expected is wrong", async () => {
      const r = await judge.judge(
        spec,
        tests,
        { language: "python", code: "def add(a, b):\n    return float(a + b)\n" },
        { limits: LIMITS },
      );
      expect(r.verdict).toBe("wrong_answer");
      expect(r.tests[0]!.message).toBe("expected 3, got 3.0");
    });

    it("rejects an object whose __eq__ always says True", async () => {
      const code =
        "class Liar:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n        return False\n    __hash__ = object.__hash__\nclass LyingInt(int):\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Liar() if a == 1 else LyingInt(0)\n";
      const r = await judge.judge(
        spec,
        tests,
        { language: "python", code },
        { limits: LIMITS, stopOnFirstFailure: false },
      );
      expect(r.tests.map((t) => t.verdict)).toEqual(["wrong_answer", "wrong_answer"]);
      expect(r.tests[0]!.message).toMatch(/got <.*Liar object/);
    });

    it("supports Class.method entry points (LeetCode style) and float tolerance", async () => {
      const s: JudgeSpec = { kind: "function", entryPoint: "Solution.mean", floatAbsTol: 1e-6 };
      const t: TestCase[] = [{ kind: "function", args: [pyFromJs([1, 2, 4])], expected: py.float(7 / 3) }];
      const code = "class Solution:\n    def mean(self, xs):\n        return sum(xs) / len(xs) + 1e-9\n";
      expect((await judge.judge(s, t, { language: "python", code }, { limits: LIMITS })).verdict).toBe(
        "accepted",
      );
    });

    it("reports an exception in the function as a runtime error", async () => {
      const r = await judge.judge(
        spec,
        tests,
        { language: "python", code: "def add(a, b):\n    return a + c\n" },
        { limits: LIMITS },
      );
      expect(r.verdict).toBe("runtime_error");
      expect(r.tests[0]!.message).toMatch(/NameError/);
      const missing = await judge.judge(
        spec,
        tests,
        { language: "python", code: "def plus(a, b):\n    return a + b\n" },
        { limits: LIMITS },
      );
      expect(missing.verdict).toBe("runtime_error");
      expect(missing.tests[0]!.record.stderr).toMatch(/entry point 'add' is not defined/);
    });

    it("compares Counter, complex and re.Match results by value, type-strictly", async () => {
      const canon = [
        "import collections, re",
        "def f(s):",
        "    return collections.Counter(s), complex(len(s), -1), re.search('b+', s)",
      ].join("\n");
      const [ref] = await sb.run({
        program: { kind: "python", source: canon },
        mode: "function",
        entryPoint: "f",
        tests: [{ args: [py.str("abba")] }],
        limits: LIMITS,
      });
      const expected = ref!.record.returnValue!;
      const s: JudgeSpec = { kind: "function", entryPoint: "f" };
      const t: TestCase[] = [{ kind: "function", args: [py.str("abba")], expected }];
      const same =
        "import collections, re\ndef f(s):\n    return collections.Counter(sorted(s)), complex(4, -1), re.search('bb', s)\n";
      expect((await judge.judge(s, t, { language: "python", code: same }, { limits: LIMITS })).verdict).toBe(
        "accepted",
      );
      const plainDict =
        "import re\ndef f(s):\n    return {'a': 2, 'b': 2}, complex(4, -1), re.search('bb', s)\n";
      expect(
        (await judge.judge(s, t, { language: "python", code: plainDict }, { limits: LIMITS })).verdict,
      ).toBe("wrong_answer");
      const subclass =
        "import collections, re\nclass C(collections.Counter):\n    def __eq__(self, o):\n        return True\ndef f(s):\n    return C(s), complex(4, -1), re.search('bb', s)\n";
      expect(
        (await judge.judge(s, t, { language: "python", code: subclass }, { limits: LIMITS })).verdict,
      ).toBe("wrong_answer");
    });

    it("function output printed to stdout does not interfere with the return value", async () => {
      const r = await judge.judge(
        spec,
        tests,
        { language: "python", code: "def add(a, b):\n    print('debug', a)\n    return a + b\n" },
        { limits: LIMITS },
      );
      expect(r.verdict).toBe("accepted");
    });
  });

  describe("assert scripts", () => {
    it("runs HumanEval-style check(candidate)", async () => {
      const spec: JudgeSpec = { kind: "assert" };
      const check =
        "def check(candidate):\n    assert candidate([1, 2, 3]) == 6\n    assert candidate([]) == 0\n\ncheck(total)\n";
      const tests: TestCase[] = [{ kind: "assert", script: check }];
      const good = await judge.judge(
        spec,
        tests,
        { language: "python", code: "def total(xs):\n    return sum(xs)\n" },
        { limits: LIMITS },
      );
      expect(good.verdict).toBe("accepted");
      const bad = await judge.judge(
        spec,
        tests,
        { language: "python", code: "def total(xs):\n    return len(xs)\n" },
        { limits: LIMITS },
      );
      expect(bad.verdict).toBe("wrong_answer");
      // The check ran in the judge's checker process: the failing assert is named, and the
      // program's own stderr holds nothing of the check.
      expect(bad.tests[0]!.message).toBe("assertion failed: assert candidate([1, 2, 3]) == 6");
      expect(bad.tests[0]!.record.stderr).not.toContain("check");
    });

    it("runs MBPP-style assert lists with setup code, one test per assert", async () => {
      const spec: JudgeSpec = { kind: "assert", setup: "import math" };
      const tests: TestCase[] = [
        { kind: "assert", script: "assert area(1) == math.pi" },
        { kind: "assert", script: "assert area(2) == 4 * math.pi" },
      ];
      const r = await judge.judge(
        spec,
        tests,
        { language: "python", code: "import math\ndef area(r):\n    return math.pi * r * r\n" },
        { limits: LIMITS },
      );
      expect(r.verdict).toBe("accepted");
      expect(r.passed).toBe(2);
    });
  });

  describe("Kattis output validators", () => {
    const pyValidator = [
      "import sys",
      "inp, ans, fb = sys.argv[1:4]",
      "want = sorted(open(ans).read().split())",
      "got = sorted(sys.stdin.read().split())",
      "if want == got:",
      "    sys.exit(42)",
      "open(fb + '/judgemessage.txt', 'w').write('not a permutation of the answer')",
      "sys.exit(43)",
    ].join("\n");
    const tests: TestCase[] = [{ kind: "stdio", input: "3\n", output: "1 2 3\n" }];

    it("accepts any answer the validator accepts (exit 42) and rejects with its message (43)", async () => {
      const spec: JudgeSpec = {
        kind: "stdio",
        compare: { caseSensitive: true, spaceChangeSensitive: false },
        validator: {
          language: "python",
          sources: [{ path: "output_validators/v/validate.py", content: pyValidator }],
          flags: [],
        },
      };
      const ok = await judge.judge(
        spec,
        tests,
        { language: "python", code: "print(3, 1, 2)" },
        { limits: LIMITS },
      );
      expect(ok.verdict).toBe("accepted");
      const wrong = await judge.judge(
        spec,
        tests,
        { language: "python", code: "print(3, 1, 1)" },
        { limits: LIMITS },
      );
      expect(wrong.verdict).toBe("wrong_answer");
      expect(wrong.tests[0]!.message).toBe("validator: not a permutation of the answer");
    });

    it("compiles C++ validators once and passes validator flags", async () => {
      const cpp = [
        "#include <fstream>",
        "#include <iostream>",
        "#include <string>",
        "int main(int argc, char** argv) {",
        "  std::ifstream ans(argv[2]); long long want; ans >> want;",
        "  long long got; if (!(std::cin >> got)) return 43;",
        "  long long slack = argc > 4 ? std::stoll(argv[4]) : 0;",
        "  return (got >= want - slack && got <= want + slack) ? 42 : 43;",
        "}",
      ].join("\n");
      const spec: JudgeSpec = {
        kind: "stdio",
        compare: { caseSensitive: true, spaceChangeSensitive: false },
        validator: {
          language: "cpp",
          sources: [{ path: "output_validators/v/v.cpp", content: cpp }],
          flags: ["1"],
        },
      };
      const t: TestCase[] = [{ kind: "stdio", input: "", output: "10\n" }];
      expect(
        (await judge.judge(spec, t, { language: "python", code: "print(11)" }, { limits: LIMITS })).verdict,
      ).toBe("accepted");
      expect(
        (await judge.judge(spec, t, { language: "python", code: "print(12)" }, { limits: LIMITS })).verdict,
      ).toBe("wrong_answer");
    });
  });
});

describe("other sandbox modes", () => {
  it("fresh-process mode gives the same verdicts", async () => {
    const sb = await Sandbox.create({ workers: 2, mode: "fresh", uidBase: 64300 });
    try {
      const judge = new Judge(sb);
      const good = await judge.judge(
        STDIO,
        sumTests,
        { language: "python", code: "a,b=map(int,input().split())\nprint(a+b)" },
        { limits: LIMITS },
      );
      expect(good.verdict).toBe("accepted");
      const tle = await judge.judge(
        STDIO,
        sumTests,
        { language: "python", code: "while 1: pass" },
        { limits: LIMITS },
      );
      expect(tle.verdict).toBe("time_limit");
    } finally {
      await sb.close();
    }
  });

  it("without bubblewrap, falls back to rlimits + seccomp and says so", async () => {
    // As root, programs then run under a dedicated uid straight from the host's interpreter,
    // which must be readable by that uid: use the system one when the default is not.
    const sys = resolvePython();
    const python =
      process.getuid?.() === 0 && !worldReadable(sys.prefix) && existsSync("/usr/bin/python3")
        ? "/usr/bin/python3"
        : undefined;
    const sb = await Sandbox.create({ workers: 1, isolation: "none", uidBase: 64400, python });
    try {
      expect(sb.isolation.kind).toBe("rlimits");
      expect(sb.isolation.warning).toMatch(/SANDBOX WEAK/);
      expect(sb.lastReady?.seccomp).toBe(true);
      const [r] = await sb.run({
        program: {
          kind: "python",
          source:
            "import socket\ntry:\n    socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    print('socket created')\nexcept OSError as e:\n    print('blocked', e.errno)\nimport os\ntry:\n    os.setsid()\nexcept OSError:\n    print('setsid blocked')\n",
        },
        tests: [{ stdin: "" }],
        limits: LIMITS,
      });
      expect(r!.stdout.toString()).toBe("blocked 1\nsetsid blocked\n");
      if (process.getuid?.() === 0) {
        const [who] = await sb.run({
          program: { kind: "python", source: "import os\nprint(os.getuid(), os.geteuid())\n" },
          tests: [{}],
          limits: LIMITS,
        });
        const [uid, euid] = who!.stdout.toString().trim().split(" ").map(Number);
        expect(uid).toBeGreaterThanOrEqual(64400);
        expect(euid).toBe(uid);
      }
      const [t] = await sb.run({
        program: { kind: "python", source: "while True: pass" },
        tests: [{}],
        limits: LIMITS,
      });
      expect(t!.record.verdict).toBe("time_limit");
    } finally {
      await sb.close();
    }
  });
});
