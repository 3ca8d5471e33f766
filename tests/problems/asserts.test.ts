import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkAssertCall } from "../../src/judge/pycompare.js";
import { type PyValue, py } from "../../src/judge/pyvalue.js";
import type { AssertCall, TestCase } from "../../src/judge/types.js";
import {
  checkFunctionAsserts,
  classifyAssert,
  convertAssert,
  convertCheckFunction,
  shadowsReliedName,
} from "../../src/problems/asserts.js";
import { type Problem, loadProblems } from "../../src/problems/index.js";
import { logicalLines } from "../../src/problems/pysource.js";
import { dataPath, hasData } from "./data.js";
import { hasPython, pyTruth } from "./pytruth.js";

const i = (v: number | bigint | string) => py.int(v);
const f = (v: number) => py.float(v);
const s = (v: string) => py.str(v);
const NAMES = ["candidate", "add"];
const conv = (statement: string) => convertAssert(statement, NAMES);

describe("assert shapes that convert", () => {
  it("f(args) == X and != X, either way round, with redundant parentheses", () => {
    expect(conv("assert candidate(1, 2) == 3")).toEqual({
      args: [i(1), i(2)],
      check: { op: "eq", expected: i(3) },
    });
    expect(conv("assert [1, 2] == add([3], b='x')")).toEqual({
      args: [["l", [i(3)]]],
      kwargs: [["b", s("x")]],
      check: { op: "eq", expected: ["l", [i(1), i(2)]] },
    });
    expect(conv("assert (candidate((1, 2))) != (None)")).toEqual({
      args: [["t", [i(1), i(2)]]],
      check: { op: "ne", expected: py.none() },
    });
    expect(conv("assert ((candidate(-1) == -2 ** 2))")).toEqual({
      args: [i(-1)],
      check: { op: "eq", expected: i(-4) },
    });
    // Python's ==: True stays a value to compare with, so 1 == True passes.
    expect(conv("assert candidate(0) == True")).toEqual({
      args: [i(0)],
      check: { op: "eq", expected: py.bool(true) },
    });
  });

  it("set/frozenset/tuple/list of the result", () => {
    expect(conv("assert set(candidate('a b')) == set(['a', 'b'])")).toEqual({
      args: [s("a b")],
      check: { op: "eq", expected: ["S", [s("a"), s("b")]], wrap: "set" },
    });
    expect(conv("assert tuple([2, 1]) == tuple(candidate([1, 2]))")?.check).toEqual({
      op: "eq",
      expected: ["t", [i(2), i(1)]],
      wrap: "tuple",
    });
    expect(conv("assert frozenset(candidate(1)) != {1}")?.check).toMatchObject({
      op: "ne",
      wrap: "frozenset",
    });
    expect(conv("assert list(candidate(1)) == []")?.check).toMatchObject({ wrap: "list" });
  });

  it("math.isclose and a bare isclose, with tolerances", () => {
    expect(conv("assert math.isclose(candidate(10), 4188.79, rel_tol=0.001)")).toEqual({
      args: [i(10)],
      check: { op: "isclose", expected: f(4188.79), relTol: 0.001, absTol: 0 },
    });
    expect(conv("assert isclose(36, add(2), abs_tol=1e-6)")?.check).toEqual({
      op: "isclose",
      expected: i(36),
      relTol: 1e-9,
      absTol: 1e-6,
    });
    expect(conv("assert math.isclose(add(1), 2.0, rel_tol=1, abs_tol=0)")?.check).toMatchObject({
      relTol: 1,
      absTol: 0,
    });
  });

  it("abs(f(args) - X) < T and <= T, both ways round", () => {
    expect(conv("assert abs(candidate(1.33) - 0.33) < 1e-6")).toEqual({
      args: [f(1.33)],
      check: { op: "absdiff", expected: f(0.33), tol: 1e-6, inclusive: false },
    });
    expect(conv("assert abs(2.0/3.0 - candidate([1.0, 2.0, 3.0])) <= 10")?.check).toEqual({
      op: "absdiff",
      expected: f(2 / 3),
      tol: 10,
      inclusive: true,
    });
    expect(conv("assert 1e-6 > abs(candidate(1) - 1)")?.check).toMatchObject({
      op: "absdiff",
      inclusive: false,
    });
  });

  it("truthiness and identity with the singletons", () => {
    expect(conv("assert candidate('<>')")).toEqual({ args: [s("<>")], check: { op: "truthy" } });
    expect(conv("assert not candidate('<')")).toEqual({ args: [s("<")], check: { op: "falsy" } });
    expect(conv("assert candidate([3], 5) is True")?.check).toEqual({ op: "is", expected: py.bool(true) });
    expect(conv("assert None is not candidate(1)")?.check).toEqual({ op: "isnot", expected: py.none() });
  });

  it("keeps messages out of the check, whatever they call", () => {
    expect(conv('assert candidate(1) == 2, "First test error: " + str(candidate(1))')).toEqual({
      args: [i(1)],
      check: { op: "eq", expected: i(2) },
    });
    expect(conv("assert candidate(\n    [1, 2]\n) == [\n  3,\n]  # trailing comment\n")?.check).toEqual({
      op: "eq",
      expected: ["l", [i(3)]],
    });
  });

  it("a true constant assert is not a test; a false one stays a script", () => {
    expect(classifyAssert('assert True, "This prints if this assert fails 2"', NAMES)).toEqual({
      kind: "skip",
    });
    expect(classifyAssert("assert 1 == 1.0", NAMES)).toEqual({ kind: "skip" });
    expect(classifyAssert("assert False", NAMES)).toMatchObject({ kind: "script" });
    expect(conv("assert True")).toBeUndefined();
  });
});

describe("asserts that must stay scripts", () => {
  const script = (statement: string) => classifyAssert(statement, NAMES);
  it.each([
    ["assert candidate(1) == candidate(2)", /more than once/],
    ["assert tuple(candidate([1])) == tuple(add([1]))", /more than once/],
    ["assert candidate(x) == 1", /arguments that are not constants/],
    ["assert candidate(1) == x", /not a constant/],
    ["assert candidate(1) == math.pi", /not a constant/],
    ["assert candidate(f'{1}') == '1'", /f-strings/],
    ["assert candidate(*args) == 1", /\*args/],
    ["assert candidate(1) == 2 if x else 3", /conditional/],
    ["assert candidate(1) < 2", /ordering comparison/],
    ["assert 0 < candidate(1) < 2", /chained/],
    ["assert candidate(1) in [1, 2]", /'in' operator/],
    ["assert candidate(1) is 1", /identity/],
    ["assert sorted(candidate([2, 1])) == [1, 2]", /not a recognised assert shape|not a constant/],
    ["assert round(candidate(1), 2) == 0.5", /not a constant/],
    ["assert abs(candidate(1) - 2) < x", /ordering comparison/],
    ["assert abs(candidate(1) - 'a') < 1", /ordering comparison/],
    ["assert math.isclose(candidate(1), 2, 0.1)", /two positional/],
    ["assert math.isclose(candidate(1), 2, rel_tol=-1)", /non-negative/],
    ["assert math.isclose(candidate(1), 'x')", /real constant/],
    ["assert math.isclose(candidate(1), 1, rel_tol=float('inf'))", /non-negative/],
    ["assert candidate(1) == 1j", /complex/],
    ["assert candidate", /without calling/],
    ["assert map(candidate, [1])", /without calling/],
    ["assert poly([1], 2) == 3", /does not call/],
    ["assert candidate(1) == 2; x = 1", /unexpected/],
    ["for x in range(3): assert candidate(x) == x", /expected 'assert'/],
    ["assert (candidate(1), 'msg')", /not a recognised/],
    ["assert not candidate(1) == 2", /not a recognised/],
  ])("%s", (statement, reason) => {
    const c = script(statement);
    expect(c.kind).toBe("script");
    expect(c.kind === "script" && c.reason).toMatch(reason);
  });
});

describe("logical lines of Python source", () => {
  it("joins brackets, backslashes and triple-quoted strings; skips blanks and comments", () => {
    const src = [
      "def check(candidate):",
      "",
      "    # a comment",
      "    assert candidate([",
      "        1, 2]) == 3  # note",
      "    assert candidate('''a",
      "    b''') == \\",
      "        4",
      "    s = '#not a comment'",
      "\tx = 1",
    ].join("\n");
    expect(logicalLines(src)).toEqual([
      { text: "def check(candidate):", indent: "", line: 1 },
      { text: "assert candidate([\n    1, 2]) == 3  # note", indent: "    ", line: 4 },
      // The string's second line keeps its indentation: it is part of the value.
      { text: "assert candidate('''a\n    b''') == \\\n    4", indent: "    ", line: 6 },
      { text: "s = '#not a comment'", indent: "    ", line: 9 },
      { text: "x = 1", indent: "\t", line: 10 },
    ]);
    expect(() => logicalLines("x = 'abc\n")).toThrow(/unterminated/);
  });
});

const CHECK = `

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    """Docstring."""
    import math

    # Check some simple cases
    assert candidate(3) == [3, 5, 7], "Test 3"
    assert candidate('(()())') == [
        '(()())'
    ]
    assert abs(candidate(1.33) - 0.33) < 1e-6
    pass
    assert True, "This prints if this assert fails 2 (also good for debugging!)"

`;

describe("HumanEval check functions", () => {
  it("converts every assert, in order, with its text as written", () => {
    const asserts = convertCheckFunction(CHECK, "f");
    expect(asserts?.map((a) => a.script)).toEqual([
      'assert candidate(3) == [3, 5, 7], "Test 3"\n',
      "assert candidate('(()())') == [\n    '(()())'\n]\n",
      "assert abs(candidate(1.33) - 0.33) < 1e-6\n",
    ]);
    expect(asserts?.map((a) => a.call.check.op)).toEqual(["eq", "eq", "absdiff"]);
    expect(convertCheckFunction(CHECK.replace("candidate(3)", "f(3)"), "f")?.[0]?.call.args).toEqual([i(3)]);
  });

  it.each([
    [
      "    for x in range(3):\n        assert candidate(x) == x\n",
      /line \d+: a statement other than an assert/,
    ],
    ["    x = 1\n", /a statement other than an assert/],
    ["    assert candidate(1) == poly(2)\n", /not a constant/],
    ["    assert False\n", /false/],
    ["    print\n", /a statement other than an assert/],
    ["    from numpy import isclose\n", /rebinds 'isclose'/],
    ["    from math import *\n", /import other than a plain one/],
    ["    import numpy as math\n", /rebinds 'math'/],
  ])("keeps the check a script when the body has %j", (extra, reason) => {
    const r = checkFunctionAsserts(`${CHECK}${extra}`, "f");
    expect("reason" in r && r.reason).toMatch(reason);
  });

  it("needs exactly one check function and nothing else at module level but imports and METADATA", () => {
    expect(checkFunctionAsserts(`${CHECK}\nx = 1\n`, "f")).toEqual({
      reason: "line 23: a module statement other than METADATA, imports and check()",
    });
    expect(checkFunctionAsserts(`from math import isclose\nimport math\n${CHECK}`, "f")).toHaveProperty(
      "asserts",
    );
    expect(checkFunctionAsserts("METADATA = {}\n", "f")).toEqual({ reason: "no check(candidate) function" });
    expect(checkFunctionAsserts("def check(candidate):\n    assert True\n", "f")).toEqual({
      reason: "check() asserts nothing",
    });
    expect(checkFunctionAsserts(`${CHECK}\n${CHECK}`, "f")).toEqual({ reason: "check() defined twice" });
    expect(checkFunctionAsserts(`METADATA = make()\n${CHECK}`, "f")).toEqual({
      reason: "line 1: METADATA is not a constant",
    });
  });

  it("notices prompts and setups that rebind what converted asserts rely on", () => {
    expect(
      shadowsReliedName("from typing import List\nimport math\n\ndef poly(xs):\n    abs = 1\n", ["f"]),
    ).toBe(undefined);
    expect(shadowsReliedName("def abs(x):\n    return x\n", ["f"])).toBe("line 1: binds 'abs'");
    expect(shadowsReliedName("set = frozenset\n", ["f"])).toBe("line 1: binds 'set'");
    expect(shadowsReliedName("from numpy import isclose\n", ["f"])).toMatch(/rebinds 'isclose'/);
    expect(shadowsReliedName("from math import sqrt as isclose\n", ["f"])).toMatch(/rebinds 'isclose'/);
    expect(shadowsReliedName("from math import (floor,\n    isclose)\nimport os.path\n", ["f"])).toBe(
      undefined,
    );
    expect(shadowsReliedName("from helpers import f\n", ["f"])).toMatch(/rebinds 'f'/);
  });
});

describe("the loaders attach calls to converted asserts", () => {
  it("HumanEval: check-N tests, the docstring example, entry point and context on the assert spec", async () => {
    const dir = await mkdtemp(join(tmpdir(), "codeloop-asserts-"));
    try {
      const prompt = 'def inc(x):\n    """Add one.\n    >>> inc(1)\n    2\n    """\n';
      const rows = [
        { task_id: "T/0", prompt, entry_point: "inc", canonical_solution: "    return x + 1\n", test: CHECK },
        {
          task_id: "T/1",
          prompt,
          entry_point: "inc",
          canonical_solution: "    return x + 1\n",
          test: "def check(candidate):\n    for x in range(3):\n        assert candidate(x) == x + 1\n",
        },
      ];
      const file = join(dir, "HumanEval.jsonl");
      await writeFile(file, rows.map((r) => JSON.stringify(r)).join("\n"));
      const [converted, script] = await loadProblems(file);
      expect(converted!.judge).toEqual({ kind: "assert", context: prompt, entryPoint: "inc" });
      expect(converted!.tests.public).toEqual([
        {
          kind: "assert",
          name: "docstring",
          script: "assert inc(1) == 2\n",
          call: { args: [i(1)], check: { op: "eq", expected: i(2) } },
        },
      ]);
      expect(converted!.tests.private.map((t) => t.name)).toEqual(["check-0", "check-1", "check-2"]);
      expect(converted!.tests.private[2]).toMatchObject({
        kind: "assert",
        script: "assert abs(candidate(1.33) - 0.33) < 1e-6\n",
        call: { check: { op: "absdiff" } },
      });
      expect(converted!.metadata.extra).toEqual({ entryPoint: "inc", assertsConverted: 4, assertsTotal: 4 });
      expect(script!.tests.private).toEqual([
        { kind: "assert", name: "check", script: `${rows[1]!.test}\n\ncheck(inc)\n` },
      ]);
      expect(script!.metadata.extra).toMatchObject({
        assertsConverted: 1,
        assertsTotal: 2,
        checkKeptAsScript: "line 2: a statement other than an assert (for x in range(3):)",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// real data: every converted assert against CPython on the canonical solutions

interface Truth {
  id: string;
  index: number;
  args: PyValue[];
  kwargs: [string, PyValue][];
  error?: string;
  value?: PyValue;
  truth?: boolean;
  raised?: string | null;
  variations?: { value: PyValue; truth: boolean }[];
}

function convertedAsserts(p: Problem): (TestCase & { kind: "assert"; call: AssertCall })[] {
  return [...p.tests.public, ...p.tests.private].filter(
    (t): t is TestCase & { kind: "assert"; call: AssertCall } => t.kind === "assert" && t.call !== undefined,
  );
}

/** Runs every converted assert in CPython and checks that checkAssertCall says the same. */
function agreeWithPython(ps: Problem[]): { asserts: number; variations: number } {
  const input = {
    problems: ps.flatMap((p) => {
      const asserts = convertedAsserts(p);
      if (asserts.length === 0) return [];
      const spec = p.extraJudges.find((j) => j.kind === "assert") ?? p.judge;
      return [
        {
          id: p.id,
          code: p.solutions[0]!.code,
          setup: spec.kind === "assert" ? spec.setup : undefined,
          entry: String(p.metadata.extra!.entryPoint),
          asserts: asserts.map((t) => t.script),
        },
      ];
    }),
  };
  const truths = pyTruth<Truth>("asserts", input);
  const byId = new Map(ps.map((p) => [p.id, convertedAsserts(p)]));
  const disagreements: string[] = [];
  let variations = 0;
  for (const r of truths) {
    const test = byId.get(r.id)![r.index]!;
    const where = `${r.id} ${test.name}: ${test.script.trim().slice(0, 200)}`;
    try {
      expect(test.call.args).toEqual(r.args);
      expect(test.call.kwargs ?? []).toEqual(r.kwargs);
    } catch {
      disagreements.push(
        `${where}: arguments ${JSON.stringify(test.call.args)}, CPython ${JSON.stringify(r.args)}`,
      );
    }
    if (r.error) {
      disagreements.push(`${where}: the canonical solution raised ${r.error}`);
      continue;
    }
    const mine = checkAssertCall(test.call.check, r.value!);
    if (mine.ok !== r.truth) {
      disagreements.push(
        `${where}: CPython ${r.truth} (${r.raised ?? "-"}), judge ${mine.ok} ${mine.message ?? ""}`,
      );
    }
    for (const v of r.variations!) {
      variations++;
      const got = checkAssertCall(test.call.check, v.value);
      // An opaque object (the always-equal liar) fails every check, whatever CPython says.
      const want = v.value[0] === "o" ? false : v.truth;
      if (got.ok !== want) {
        disagreements.push(
          `${where}: returning ${JSON.stringify(v.value).slice(0, 200)}: CPython ${v.truth}, judge ${got.ok} ${got.message ?? ""}`,
        );
      }
    }
  }
  expect(disagreements).toEqual([]);
  expect(truths).toHaveLength(input.problems.reduce((n, p) => n + p.asserts.length, 0));
  return { asserts: truths.length, variations };
}

function counts(ps: Problem[]): { converted: number; total: number } {
  let converted = 0;
  let total = 0;
  for (const p of ps) {
    converted += Number(p.metadata.extra!.assertsConverted);
    total += Number(p.metadata.extra!.assertsTotal);
  }
  return { converted, total };
}

describe.skipIf(!hasData("humaneval-plus") || !hasPython())(
  "HumanEval+ v0.1.10 converted asserts (real data)",
  () => {
    it("converts 156 of 164 check functions, and every converted assert agrees with CPython", async () => {
      const ps = await loadProblems(dataPath("humaneval-plus"));
      expect(ps.filter((p) => p.metadata.extra!.checkKeptAsScript === undefined)).toHaveLength(156);
      expect(
        ps
          .filter((p) => p.metadata.extra!.checkKeptAsScript !== undefined)
          .map((p) => p.id)
          .sort(),
      ).toEqual([32, 33, 38, 44, 50, 53, 129, 151].map((n) => `HumanEval/${n}`).sort());
      expect(counts(ps)).toEqual({ converted: 1253, total: 1262 });
      const r = agreeWithPython(ps);
      expect(r.asserts).toBe(1253);
      expect(r.variations).toBeGreaterThan(10 * r.asserts);
    });
  },
);

describe.skipIf(!hasData("mbpp-plus") || !hasPython())("MBPP+ converted asserts (real data)", () => {
  it("converts 1224 of 1236 asserts, and every converted assert agrees with CPython", async () => {
    const ps = await loadProblems(dataPath("mbpp-plus"));
    expect(counts(ps)).toEqual({ converted: 1224, total: 1236 });
    const r = agreeWithPython(ps);
    expect(r.asserts).toBe(1224);
    expect(r.variations).toBeGreaterThan(10 * r.asserts);
  });
});
