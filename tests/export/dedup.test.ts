// Near-duplicate detection on real normalised code (CPython's ast.unparse, as rft uses it),
// and the pieces under it: tokens, shingles, the MinHash/LSH index, seeded choices, the
// decontamination index.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DuplicateIndex,
  EvalIndex,
  bandsFor,
  codeTokens,
  distinctIndices,
  jaccard,
  rngFor,
  shingles,
  shuffled,
} from "../../src/export/index.js";
import { normalizePythonCodes, seededRng } from "../../src/metrics/index.js";
import { type Problem, writeNativeJsonl } from "../../src/problems/index.js";

const A = `import sys
def solve(numbers, k):
    # sort, then take the k largest
    numbers.sort()
    total = 0
    for value in numbers[-k:]:
        total += value
    return total

n, k = map(int, input().split())
print(solve(list(map(int, input().split())), k))
`;
/** A with other names, other spacing, another comment style: the same program. */
const A_RENAMED = `import sys


def best_sum(arr,  m):
    arr.sort()   ;  acc = 0
    for x in arr[ - m : ]:
        acc += x
    return acc
n, m = map(int, input().split())
print(best_sum(list(map(int, input().split())), m))  # done
`;
/** A different algorithm for the same task. */
const B = `import heapq
n, k = map(int, input().split())
a = list(map(int, input().split()))
print(sum(heapq.nlargest(k, a)))
`;

async function sets(codes: string[]) {
  const norm = await normalizePythonCodes(codes, { processes: 1 });
  return norm.map((c) => shingles(codeTokens(c, "python"), 5));
}

describe("near-duplicates", () => {
  it("codes differing only in names, whitespace and comments are duplicates; another algorithm is not", async () => {
    const [a, renamed, b] = await sets([A, A_RENAMED, B]);
    expect(jaccard(a!, renamed!)).toBe(1);
    expect(jaccard(a!, b!)).toBeLessThan(0.3);
    const index = new DuplicateIndex<string>({ threshold: 0.8, seed: 1 });
    expect(index.add("a", a!)).toBeNull();
    expect(index.add("renamed", renamed!)).toEqual({ of: "a", similarity: 1 });
    expect(index.add("b", b!)).toBeNull();
  });

  it("without normalisation the raw texts differ (the normaliser is what makes them equal)", () => {
    const raw = (c: string) => shingles(codeTokens(c, "python"), 5);
    expect(jaccard(raw(A), raw(A_RENAMED))).toBeLessThan(1);
  });

  it("LSH finds pairs above the threshold: every planted near-duplicate of 200 random programs is caught", () => {
    const rng = seededRng(9);
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`);
    const programs = Array.from({ length: 200 }, () =>
      Array.from({ length: 120 }, () => words[Math.floor(rng() * words.length)]!),
    );
    const index = new DuplicateIndex<number>({ threshold: 0.8, seed: 4 });
    for (let i = 0; i < programs.length; i++) expect(index.add(i, shingles(programs[i]!, 3))).toBeNull();
    let caught = 0;
    for (let i = 0; i < programs.length; i++) {
      // Change one token in 120: Jaccard of the 3-shingles stays above 0.9.
      const copy = [...programs[i]!];
      copy[60] = "changed";
      const set = shingles(copy, 3);
      expect(jaccard(set, shingles(programs[i]!, 3))).toBeGreaterThan(0.9);
      if (index.add(1000 + i, set)?.of === i) caught++;
    }
    expect(caught).toBe(200);
  });

  it("bands put the S-curve midpoint below the threshold", () => {
    for (const t of [0.5, 0.7, 0.8, 0.9, 0.95]) {
      const { bands, rows } = bandsFor(t, 128);
      expect(bands * rows).toBeLessThanOrEqual(128);
      expect((1 / bands) ** (1 / rows)).toBeLessThanOrEqual(t - 0.15);
    }
  });

  it("seeded choices are reproducible and cover the range without repeats", () => {
    const a = distinctIndices(1000, 10, rngFor(1, "p"));
    expect(a).toEqual(distinctIndices(1000, 10, rngFor(1, "p")));
    expect(new Set(a).size).toBe(10);
    expect(distinctIndices(5, 10, rngFor(1, "p"))).toEqual([0, 1, 2, 3, 4]);
    expect(shuffled([1, 2, 3, 4, 5], rngFor(2, "x")).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(distinctIndices(1000, 10, rngFor(2, "p"))).not.toEqual(a);
  });
});

describe("decontamination index", () => {
  it("matches by id, by title and by statement n-grams above the threshold", async () => {
    const dir = mkdtempSync(join(tmpdir(), "codeloop-decon-"));
    const statement =
      "Given an array of n integers, find the maximum sum of k of them. The first line holds n and k, the second the numbers.";
    const problem = (id: string, title: string, text: string) => ({
      id,
      benchmark: "native",
      split: "test",
      title,
      statement: text,
      judge: { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
      extraJudges: [],
      tests: { public: [], private: [], generated: [] },
      limits: { timeLimitSec: 1, memoryLimitMb: 256, timeLimitOrigin: "dataset" },
      metadata: { tags: [] },
      solutions: [],
      warnings: [],
      origin: { file: "x.jsonl", row: 1 },
    });
    const file = join(dir, "eval.jsonl");
    const hand = [problem("E1", "Top K", statement), problem("E2", "Other", "Print hello.")];
    await writeNativeJsonl(hand as unknown as Problem[], file);
    try {
      const ix = await EvalIndex.build({ sources: [file], n: 5, threshold: 0.5 });
      expect(ix.matches("E2", null, null).map((m) => m.reason)).toEqual(["id"]);
      expect(ix.matches("x", "top-k!", null).map((m) => [m.evalId, m.reason])).toEqual([["E1", "title"]]);
      const reworded = `${statement} Print the sum.`;
      expect(ix.matches("x", "Mine", reworded)).toMatchObject([{ evalId: "E1", reason: "statement" }]);
      expect(
        ix.matches("x", "Mine", "Count the vowels of a word and print how many there are in total."),
      ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
