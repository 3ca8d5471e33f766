import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py } from "../../src/judge/pyvalue.js";
import {
  type Problem,
  ProblemLoadError,
  loadProblems,
  sampleProblems,
  writeNativeJsonl,
} from "../../src/problems/index.js";
import { parsePyArgs, parsePyLiteral } from "../../src/problems/pyliteral.js";
import { dataPath, hasData } from "./data.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "codeloop-native-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const strip = (ps: Problem[]) => ps.map(({ origin: _o, ...rest }) => rest);

const fnProblem: Problem = {
  id: "p1",
  benchmark: "humaneval",
  split: "test",
  title: "f",
  statement: "def f(x): ...",
  judge: { kind: "function", entryPoint: "f", floatAbsTol: 1e-6 },
  extraJudges: [{ kind: "assert" }],
  tests: {
    public: [{ kind: "assert", name: "a", script: "assert f(1) == 1.0\n" }],
    private: [
      {
        kind: "function",
        args: [py.float(1), py.int("123456789012345678901234567890")],
        expected: py.tuple([py.float(Number.NaN)]),
      },
    ],
    generated: [],
  },
  limits: { timeLimitSec: 3, memoryLimitMb: 256, timeLimitOrigin: "default" },
  metadata: { difficulty: "unknown", tags: [] },
  solutions: [{ language: "python", code: "def f(x): return x", verdict: "accepted" }],
  warnings: [],
  origin: { file: "x" },
};

describe("native JSONL", () => {
  it("round-trips function tests with floats, big ints and NaN", async () => {
    const file = join(tmp, "fn.jsonl");
    expect(await writeNativeJsonl([fnProblem], file)).toBe(1);
    const back = await loadProblems(file);
    expect(strip(back)).toEqual(strip([fnProblem]));
    expect(back[0]!.origin).toEqual({ file, row: 2 });
  });

  it("names line and field of invalid problems and rejects a missing header", async () => {
    const file = join(tmp, "bad.jsonl");
    const good = JSON.stringify({ ...fnProblem, origin: undefined });
    const bad = JSON.stringify({ ...fnProblem, id: "p2", limits: { timeLimitSec: -1, memoryLimitMb: 1 } });
    await writeFile(file, `{"format":"codeloop-problems","version":1}\n${good}\n${bad}\n`);
    await expect(loadProblems(file)).rejects.toThrow(`${file}:3 field limits.timeLimitSec:`);
    const noSpec = JSON.stringify({ ...fnProblem, extraJudges: [] });
    await writeFile(file, `{"format":"codeloop-problems","version":1}\n${noSpec}\n`);
    await expect(loadProblems(file)).rejects.toThrow(
      /:2 field tests\.public\.0: a assert test but no assert judge spec/,
    );
    await writeFile(file, `{"format":"codeloop-problems","version":2}\n${good}\n`);
    await expect(loadProblems(file)).rejects.toThrow(ProblemLoadError);
    await writeFile(file, `{"format":"codeloop-problems","version":1}\n${good}\n${good}\n`);
    await expect(loadProblems(file)).rejects.toThrow(/duplicate problem id "p1"/);
  });

  it.skipIf(!hasData("codecontests-sample") || !hasData("kattis-rmrc2019"))(
    "exports real benchmarks and reads them back unchanged",
    async () => {
      for (const src of [
        dataPath("codecontests-sample"),
        dataPath("kattis-rmrc2019"),
        dataPath("mbpp-plus"),
      ]) {
        const ps = await loadProblems(src, { limit: 40 });
        const file = join(tmp, "export.jsonl");
        await writeNativeJsonl(ps, file);
        expect(strip(await loadProblems(file))).toEqual(strip(ps));
        expect((await readFile(file, "utf8")).split("\n").length).toBe(ps.length + 2);
      }
    },
  );
});

describe("filters", () => {
  const mk = (id: string): Problem => ({ ...fnProblem, id });
  it("samples a seed-stable subset in input order, independent of other problems", () => {
    const ps = Array.from({ length: 50 }, (_, i) => mk(`p${i}`));
    const a = sampleProblems(ps, 10, 1);
    expect(a).toHaveLength(10);
    expect(a.map((p) => Number(p.id.slice(1)))).toEqual(
      [...a.map((p) => Number(p.id.slice(1)))].sort((x, y) => x - y),
    );
    expect(sampleProblems(ps, 10, 1)).toEqual(a);
    expect(sampleProblems(ps, 10, 2)).not.toEqual(a);
    // Dropping an unchosen problem does not change the choice.
    const unchosen = ps.find((p) => !a.includes(p))!;
    expect(
      sampleProblems(
        ps.filter((p) => p !== unchosen),
        10,
        1,
      ),
    ).toEqual(a);
  });

  it("rejects bad filter values before reading", async () => {
    await expect(loadProblems(tmp, { contestDateFrom: "May 2023" })).rejects.toThrow(
      /contestDateFrom: expected an ISO date/,
    );
  });
});

describe("Python literals", () => {
  it("parses what TACO and HumanEval write, without evaluating", () => {
    expect(parsePyLiteral("['a', \"b's\", r'\\d']")).toEqual(
      py.list([py.str("a"), py.str("b's"), py.str("\\d")]),
    );
    expect(parsePyLiteral("(1,)")).toEqual(py.tuple([py.int(1)]));
    expect(parsePyLiteral("(1)")).toEqual(py.int(1));
    expect(parsePyLiteral("{1: -2.5, 'k': None, 'z': {3, 4}}")).toEqual(
      py.dict([
        [py.int(1), py.float(-2.5)],
        [py.str("k"), ["N"]],
        [py.str("z"), py.set([py.int(3), py.int(4)])],
      ]),
    );
    expect(parsePyLiteral("set()")).toEqual(py.set([]));
    expect(parsePyLiteral("0x1F")).toEqual(py.int(31));
    expect(parsePyLiteral("'\\x41\\n\\u00e9'")).toEqual(py.str("A\né"));
    expect(parsePyArgs("[1, 2], 'x', True")).toEqual([
      py.list([py.int(1), py.int(2)]),
      py.str("x"),
      py.bool(true),
    ]);
    expect(() => parsePyLiteral("__import__('os')")).toThrow(/not a literal/);
    expect(() => parsePyLiteral("[1, 2")).toThrow();
    expect(() => parsePyLiteral("1+2j")).toThrow();
  });
});
