import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py } from "../../src/judge/pyvalue.js";
import { parseMemoryText, parseTimeText } from "../../src/problems/formats/taco.js";
import { loadProblems } from "../../src/problems/index.js";

/** TACO columns, every one a string, as on the Hub (ALL/train-*.parquet). */
const COLUMNS = [
  "question",
  "solutions",
  "starter_code",
  "input_output",
  "difficulty",
  "raw_tags",
  "name",
  "source",
  "tags",
  "skill_types",
  "url",
  "Expected Auxiliary Space",
  "time_limit",
  "date",
  "picture_num",
  "memory_limit",
  "Expected Time Complexity",
] as const;
type Row = Partial<Record<(typeof COLUMNS)[number], string>>;

function writeTaco(file: string, rows: Row[], rowGroupSize = 1): void {
  parquetWriteFile({
    filename: file,
    columnData: COLUMNS.map((name) => ({
      name,
      data: rows.map((r) => r[name] ?? ""),
      type: "STRING" as const,
    })),
    rowGroupSize,
  });
}

const stdinRow: Row = {
  question: "Given two integers A and B, print A + B.",
  solutions: JSON.stringify([
    "a, b = map(int, input().split())\nprint(a + b)\n",
    "a, b = map(int, raw_input().split())\nprint a + b\n",
  ]),
  input_output: JSON.stringify({ inputs: ["1 2\n", "3 4\n", "10 20\n"], outputs: ["3\n", "7\n", "30\n"] }),
  difficulty: "EASY",
  raw_tags: "['Math', 'Implementation']",
  tags: "['Mathematics', \"Beginner's\"]",
  skill_types: "[]",
  source: "codechef",
  url: "https://www.codechef.com/problems/ADDAB",
  date: "2021-03-01",
  picture_num: "0",
  time_limit: "1 seconds",
  memory_limit: "256 megabytes",
};

const classRow: Row = {
  question: "Return indices of the two numbers that add up to target.",
  solutions: JSON.stringify([
    "class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i\n",
  ]),
  starter_code: "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        ",
  // Call-based outputs are wrapped in a one-element list, as in TACO.
  input_output:
    '{"fn_name": "twoSum", "inputs": [[[2, 7, 11, 15], 9], [[3, 2, 4], 6]], "outputs": [[[0, 1]], [[1, 2]]]}',
  difficulty: "MEDIUM_HARD",
  raw_tags: "['Array', 'Hash Table']",
  tags: "['Data structures']",
  skill_types: "['Data structures']",
  source: "leetcode",
  time_limit: "None",
  memory_limit: "None",
};

const plainFnRow: Row = {
  question: "Return the average of a list.",
  solutions: JSON.stringify(["def average(xs):\n    return sum(xs) / len(xs)\n"]),
  input_output: '{"fn_name": "average", "inputs": [[[1, 2]], [[2.5, 3.5, 3]]], "outputs": [1.5, 3.0]}',
  difficulty: "UNKNOWN_DIFFICULTY",
  raw_tags: "[]",
  tags: "[]",
  skill_types: "[]",
  source: "codewars",
  "Expected Time Complexity": "O(N)",
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "codeloop-taco-"));
  await mkdir(join(dir, "ALL"));
  writeTaco(join(dir, "ALL", "train-00000-of-00002.parquet"), [stdinRow, classRow]);
  writeTaco(join(dir, "ALL", "train-00001-of-00002.parquet"), [plainFnRow]);
  writeTaco(join(dir, "ALL", "test-00000-of-00001.parquet"), [
    { ...stdinRow, difficulty: "VERY_HARD", date: "2022-07-15" },
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("TACO (generated parquet in the Hub's schema)", () => {
  it("reads stdio problems: first test public, tags from Python list literals, limits from text", async () => {
    const ps = await loadProblems(dir);
    expect(ps.map((p) => p.id)).toEqual(["test-0", "train-0", "train-1", "train-2"]);
    const p = ps.find((x) => x.id === "train-0")!;
    expect(p.judge.kind).toBe("stdio");
    expect(p.tests.public).toEqual([{ kind: "stdio", name: "test-0", input: "1 2\n", output: "3\n" }]);
    expect(p.tests.private).toHaveLength(2);
    expect(p.metadata).toMatchObject({
      difficulty: "easy",
      difficultyRaw: "EASY",
      tags: ["Mathematics", "Beginner's"],
      source: "codechef",
      contestDate: "2021-03-01",
    });
    expect(p.metadata.extra?.rawTags).toEqual(["Math", "Implementation"]);
    expect(p.limits).toEqual({ timeLimitSec: 1, memoryLimitMb: 256, timeLimitOrigin: "dataset" });
    expect(p.solutions.map((s) => s.language)).toEqual(["python", "python2"]);
  });

  it("reads call-based problems with a class entry point and unwraps one-element outputs", async () => {
    const [p] = await loadProblems(dir, { ids: ["train-1"] });
    expect(p!.judge).toEqual({
      kind: "function",
      entryPoint: "Solution.twoSum",
      looseSequences: true,
      floatAbsTol: 1e-6,
      floatRelTol: 1e-6,
    });
    expect(p!.tests.public).toEqual([
      {
        kind: "function",
        name: "test-0",
        args: [py.list([2, 7, 11, 15].map(py.int)), py.int(9)],
        expected: py.list([py.int(0), py.int(1)]),
      },
    ]);
    expect(p!.metadata.difficulty).toBe("medium");
    expect(p!.limits.timeLimitOrigin).toBe("default");
    expect(p!.starterCode).toContain("def twoSum");
  });

  it("keeps unwrapped outputs and float/int distinctions; ids count rows across shards", async () => {
    const [p] = await loadProblems(dir, { ids: ["train-2"] });
    expect(p!.judge).toMatchObject({ entryPoint: "average" });
    expect(p!.tests.public[0]).toMatchObject({ expected: py.float(1.5) });
    expect(p!.tests.private[0]).toMatchObject({
      args: [py.list([py.float(2.5), py.float(3.5), py.int(3)])],
      expected: ["f", 3],
    });
    expect(p!.metadata.difficulty).toBe("unknown");
  });

  it("filters by split without opening other shards, by difficulty and by date", async () => {
    expect((await loadProblems(dir, { split: "test" })).map((p) => p.metadata.difficultyRaw)).toEqual([
      "VERY_HARD",
    ]);
    expect((await loadProblems(dir, { difficulty: ["medium_hard"] })).map((p) => p.id)).toEqual(["train-1"]);
    expect((await loadProblems(dir, { difficulty: ["hard"] })).map((p) => p.id)).toEqual(["test-0"]);
    expect((await loadProblems(dir, { contestDateFrom: "2022-01-01" })).map((p) => p.id)).toEqual(["test-0"]);
    expect((await loadProblems(dir, { tags: ["data structures"] })).map((p) => p.id)).toEqual(["train-1"]);
  });

  it("names file, row and field of bad values", async () => {
    const bad = join(dir, "bad");
    await mkdir(bad);
    writeTaco(join(bad, "train-00000-of-00001.parquet"), [
      stdinRow,
      { ...stdinRow, input_output: '{"inputs": ["1"], "outputs": [' },
    ]);
    await expect(loadProblems(bad)).rejects.toThrow(
      /train-00000-of-00001\.parquet row 1 field input_output: malformed JSON/,
    );
    const bad2 = join(dir, "bad2");
    await mkdir(bad2);
    writeTaco(join(bad2, "train-00000-of-00001.parquet"), [{ ...stdinRow, tags: "['a', __import__('os')]" }]);
    await expect(loadProblems(bad2)).rejects.toThrow(/row 0 field tags: not a Python list of strings/);
  });

  it("parses free-text limits", () => {
    expect(parseTimeText("2.5 seconds")).toBe(2.5);
    expect(parseTimeText("500 ms")).toBe(0.5);
    expect(parseTimeText("None")).toBeUndefined();
    expect(parseMemoryText("512.0 megabytes")).toBe(512);
    expect(parseMemoryText("1 GB")).toBe(1024);
    expect(parseMemoryText("")).toBeUndefined();
  });
});
