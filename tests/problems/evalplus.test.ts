import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PyValue, py } from "../../src/judge/pyvalue.js";
import { docstringExample, firstCheckAssert } from "../../src/problems/formats/humaneval.js";
import { rebuildMbppArgs } from "../../src/problems/formats/mbppinputs.js";
import {
  type ComputeExpected,
  type Problem,
  judgeFor,
  loadProblems,
  testCounts,
} from "../../src/problems/index.js";
import { dataPath, hasData } from "./data.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "codeloop-evalplus-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("docstring examples", () => {
  it("takes a doctest with its output", () => {
    const prompt =
      'def add(a, b):\n    """Add.\n    >>> add(1, 2)\n    3\n    >>> add(2, 2)\n    4\n    """\n';
    expect(docstringExample(prompt, "add")).toBe("assert add(1, 2) == 3\n");
  });
  it("takes prose examples after the Examples heading and skips non-literals", () => {
    const prompt =
      'def tri(n):\n    """Recurrence:\n    tri(1) = 3\n    For example:\n    tri(x) => False\n    tri(3) ➞ [1, 3, 2, 8]\n    """\n';
    expect(docstringExample(prompt, "tri")).toBe("assert tri(3) == [1, 3, 2, 8]\n");
  });
  it("falls back to the first assert of check()", () => {
    const test = "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) == 3\n";
    expect(firstCheckAssert(test, "inc")).toBe("assert inc(1) == 2\n");
  });
});

describe("MBPP+ input rebuilding", () => {
  const list = (...xs: PyValue[]): PyValue => ["l", xs];
  it("turns JSON lists into the tuples and sets EvalPlus passes", () => {
    expect(rebuildMbppArgs(2, [[list(py.int(1)), list(py.int(2))]])).toEqual([
      [
        ["t", [py.int(1)]],
        ["t", [py.int(2)]],
      ],
    ]);
    expect(rebuildMbppArgs(75, [[list(list(py.int(1), py.int(2))), py.int(3)]])).toEqual([
      [["l", [["t", [py.int(1), py.int(2)]]]], py.int(3)],
    ]);
    expect(rebuildMbppArgs(115, [[list(list(py.int(1)), list())]])).toEqual([
      [
        [
          "l",
          [
            ["S", [py.int(1)]],
            ["d", []],
          ],
        ],
      ],
    ]);
    expect(rebuildMbppArgs(580, [[list(py.int(1), list(py.int(2)))]])).toEqual([
      [["t", [py.int(1), ["t", [py.int(2)]]]]],
    ]);
    expect(rebuildMbppArgs(124, [[py.int(1), py.int(2)]])).toBeUndefined();
    expect(rebuildMbppArgs(3, [[py.int(1)]])).toEqual([[py.int(1)]]);
  });
});

/** Computes what `def double(x): return x * 2` returns for int arguments, as the sandbox would. */
const doubleInts: ComputeExpected = async (_p, code, argsList) => {
  expect(code).toContain("def double");
  return argsList.map((args) => py.int(BigInt((args[0] as ["i", string])[1]) * 2n));
};

describe("HumanEval+ expected outputs through computeExpected (generated fixture)", () => {
  it("fills base and plus function tests once, then reads them from the disk cache", async () => {
    const file = join(tmp, "HumanEvalPlus-mini.jsonl");
    const row = {
      task_id: "Mini/0",
      prompt: 'def double(x):\n    """Double x.\n    >>> double(2)\n    4\n    """\n',
      entry_point: "double",
      canonical_solution: "    return x * 2\n",
      test: "def check(candidate):\n    assert candidate(1) == 2\n",
      contract: "",
      base_input: [[1], [5]],
      plus_input: [["BIG"]],
      atol: 0,
    };
    // The big integer is spliced into the text so it keeps every digit, as in EvalPlus files.
    await writeFile(file, `${JSON.stringify(row).replace('"BIG"', "12345678901234567890")}\n`);
    const cacheDir = join(tmp, "cache");
    let calls = 0;
    const compute: ComputeExpected = async (p, code, args) => {
      calls++;
      return doubleInts(p, code, args);
    };
    const [p] = await loadProblems(file, {}, { computeExpected: compute, cacheDir });
    expect(calls).toBe(1);
    expect(p!.pendingExpected).toBeUndefined();
    expect(p!.judge).toEqual({
      kind: "function",
      entryPoint: "double",
      floatAbsTol: 1e-6,
      floatRelTol: 1e-7,
      pythonEquality: true,
    });
    expect(p!.tests.public).toEqual([
      {
        kind: "assert",
        name: "docstring",
        script: "assert double(2) == 4\n",
        call: { args: [py.int(2)], check: { op: "eq", expected: py.int(4) } },
      },
    ]);
    expect(p!.tests.private.map((t) => t.kind)).toEqual(["assert", "function", "function"]);
    expect(p!.tests.private[2]).toEqual({
      kind: "function",
      name: "base-1",
      args: [py.int(5)],
      expected: py.int(10),
    });
    expect(p!.tests.generated).toEqual([
      {
        kind: "function",
        name: "plus-0",
        args: [py.int("12345678901234567890")],
        expected: py.int("24691357802469135780"),
      },
    ]);
    expect(judgeFor(p!, p!.tests.public[0]!)).toEqual({
      kind: "assert",
      context: row.prompt,
      entryPoint: "double",
    });
    expect(p!.warnings.some((w) => w.includes("pending"))).toBe(false);
    expect(await readdir(join(cacheDir, "expected"))).toHaveLength(1);

    const [again] = await loadProblems(file, {}, { computeExpected: compute, cacheDir });
    expect(calls).toBe(1);
    expect(again!.tests.generated).toEqual(p!.tests.generated);
  });

  it("rejects a computeExpected that returns the wrong number of outputs", async () => {
    const file = join(tmp, "HumanEvalPlus-mini.jsonl");
    const short: ComputeExpected = async () => [];
    await expect(
      loadProblems(file, {}, { computeExpected: short, cacheDir: join(tmp, "cache2") }),
    ).rejects.toThrow(/returned 0 outputs for 3 inputs/);
  });
});

function sum(ps: Problem[], f: (p: Problem) => number): number {
  return ps.reduce((n, p) => n + f(p), 0);
}

describe.skipIf(!hasData("humaneval-plus"))("HumanEval+ v0.1.10 (real data)", () => {
  it("loads 164 problems with docstring public tests, check() and pending base/plus inputs", async () => {
    const ps = await loadProblems(dataPath("humaneval-plus"));
    expect(ps).toHaveLength(164);
    expect(ps.filter((p) => p.tests.public.length === 1)).toHaveLength(162);
    // check() becomes its converted asserts (check-0, check-1, ...) or stays one script.
    expect(
      ps.every((p) => p.tests.private.length > 0 && p.tests.private.every((t) => t.kind === "assert")),
    ).toBe(true);
    expect(
      ps.filter((p) => p.tests.private.length === 1 && p.tests.private[0]!.name === "check"),
    ).toHaveLength(8);
    expect(ps.every((p) => p.judge.kind === "function" && p.extraJudges[0]?.kind === "assert")).toBe(true);
    const he0 = ps[0]!;
    expect(he0.tests.public[0]).toMatchObject({
      script: "assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False\n",
    });
    expect(he0.tests.private[0]).toMatchObject({
      name: "check-0",
      script: "assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True\n",
      call: { check: { op: "eq", expected: py.bool(true) } },
    });
    const he32 = ps.find((p) => p.id === "HumanEval/32")!;
    expect(he32.tests.private[0]).toMatchObject({ script: expect.stringContaining("check(find_zero)") });
    expect(he32.extraJudges[0]).toMatchObject({
      kind: "assert",
      entryPoint: "find_zero",
      context: he32.statement,
    });
    // base_input keeps Python floats: 1.0 is a float, not the int JSON.parse would make it.
    expect(he0.pendingExpected!.privateArgs[0]![0]).toEqual([
      "l",
      [1, 2, 3.9, 4, 5, 2.2].map((x) => py.float(x)),
    ]);
    expect(sum(ps, (p) => testCounts(p).pending)).toBe(124253);
    expect(new Set(ps.map((p) => p.pendingExpected!.datasetHash)).size).toBe(1);
  });

  it("filters by id and random subset reproducibly", async () => {
    const a = await loadProblems(dataPath("humaneval-plus"), { sample: 10, seed: 7 });
    const b = await loadProblems(dataPath("humaneval-plus"), { sample: 10, seed: 7 });
    const c = await loadProblems(dataPath("humaneval-plus"), { sample: 10, seed: 8 });
    expect(a.map((p) => p.id)).toEqual(b.map((p) => p.id));
    expect(a.map((p) => p.id)).not.toEqual(c.map((p) => p.id));
    const one = await loadProblems(dataPath("humaneval-plus"), { ids: ["HumanEval/130"] });
    expect(one[0]!.tests.public[0]).toMatchObject({ script: "assert tri(3) == [1, 3, 2, 8]\n" });
  });
});

describe.skipIf(!hasData("mbpp-plus"))("MBPP+ (real data)", () => {
  it("loads 399 problems: first assert public, the rest hidden, plus inputs pending", async () => {
    const ps = await loadProblems(dataPath("mbpp-plus"));
    expect(ps).toHaveLength(399);
    expect(sum(ps, (p) => p.tests.public.length)).toBe(399);
    expect(sum(ps, (p) => p.tests.private.length)).toBe(837);
    expect(sum(ps, (p) => testCounts(p).pending)).toBe(43074);
    const m2 = ps.find((p) => p.id === "Mbpp/2")!;
    expect(m2.tests.public[0]).toMatchObject({
      kind: "assert",
      script: "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n",
    });
    // Mbpp/2 takes tuples: the JSON lists are rebuilt.
    expect(m2.pendingExpected!.privateArgs[0]![0]![0]).toBe("t");
    const m120 = ps.find((p) => p.id === "Mbpp/120")!;
    expect(m120.extraJudges[0]).toEqual({
      kind: "assert",
      setup: "import math\n",
      entryPoint: "max_product_tuple",
    });
    expect(m120.tests.public[0]).toMatchObject({ call: { check: { op: "isclose", relTol: 0.001 } } });
    const m124 = ps.find((p) => p.id === "Mbpp/124")!;
    expect(m124.pendingExpected).toBeUndefined();
    expect(m124.warnings.join()).toMatch(/complex/);
    expect(ps.find((p) => p.id === "Mbpp/793")!.pendingExpected!.generatedArgs).toEqual([]);
  });
});
