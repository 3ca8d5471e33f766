import { copyFile, mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  codecontestsDifficulty,
  codecontestsDifficultyLabel,
  codecontestsProblem,
} from "../../src/problems/formats/codecontests.js";
import { DEFAULT_TIME_LIMIT_SEC, ProblemLoadError, loadProblems } from "../../src/problems/index.js";
import { readParquetRows } from "../../src/problems/readers/parquet.js";
import { dataPath, hasData } from "./data.js";

const FILE = dataPath("codecontests-sample", "code_contests-sample.parquet");

describe("CodeContests enums and limits", () => {
  const ctx = { file: "x.parquet", row: 4 };
  const base = {
    name: "1A. Theatre Square",
    description: "Print any of them.",
    public_tests: { input: ["6 6 4\n"], output: ["4\n"] },
    private_tests: { input: ["1 1 1\n", "2 2 1\n"], output: ["1\n", "4\n"] },
    generated_tests: { input: ["3 3 3\n"], output: ["1\n"] },
    source: 2n,
    difficulty: 7n,
    solutions: { language: [1n, 2n, 3n], solution: ["print 1", "int main(){}", "print(1)"] },
    incorrect_solutions: { language: [4n], solution: ["class A {}"] },
    cf_contest_id: 1n,
    cf_index: "A",
    cf_rating: 1000n,
    cf_tags: ["math"],
    time_limit: { seconds: 1n, nanos: 500000000n },
    memory_limit_bytes: 256000000n,
    input_file: "",
    output_file: "",
  };

  it("decodes source, difficulty, languages, tests and limits", () => {
    const p = codecontestsProblem(base, ctx, "train");
    expect(p.id).toBe("1A. Theatre Square");
    expect(p.title).toBe("Theatre Square");
    expect(p.metadata.source).toBe("Codeforces");
    expect(p.metadata.difficultyRaw).toBe("A");
    expect(p.metadata.difficulty).toBe("easy");
    expect(p.metadata.url).toBe("https://codeforces.com/problemset/problem/1/A");
    expect(p.solutions.map((s) => [s.language, s.verdict])).toEqual([
      ["python2", "accepted"],
      ["cpp", "accepted"],
      ["python", "accepted"],
      ["java", "incorrect"],
    ]);
    expect(p.tests.public).toEqual([{ kind: "stdio", name: "public-0", input: "6 6 4\n", output: "4\n" }]);
    expect(p.tests.private).toHaveLength(2);
    expect(p.tests.generated).toHaveLength(1);
    expect(p.limits).toEqual({ timeLimitSec: 1.5, memoryLimitMb: 256, timeLimitOrigin: "dataset" });
    expect(p.warnings.some((w) => w.includes("several correct outputs"))).toBe(true);
  });

  it("uses the documented default for a null time limit", () => {
    const p = codecontestsProblem({ ...base, time_limit: null }, ctx, "train");
    expect(p.limits.timeLimitSec).toBe(DEFAULT_TIME_LIMIT_SEC);
    expect(p.limits.timeLimitOrigin).toBe("default");
  });

  it("maps difficulty codes", () => {
    expect(codecontestsDifficultyLabel(28)).toBe("V");
    expect(codecontestsDifficultyLabel(3)).toBe("hard");
    expect(codecontestsDifficulty(11, undefined)).toBe("hard");
    expect(codecontestsDifficulty(9, undefined)).toBe("medium");
    expect(codecontestsDifficulty(11, 1200)).toBe("easy");
    expect(codecontestsDifficulty(0, 0)).toBe("unknown");
  });

  it("names row and field of mismatched parallel lists", () => {
    const bad = { ...base, private_tests: { input: ["1"], output: [] } };
    expect(() => codecontestsProblem(bad, ctx, "train")).toThrow(
      /x\.parquet row 4 field private_tests: input has 1/,
    );
  });
});

describe.skipIf(!hasData("codecontests-sample"))("CodeContests sample (real data)", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "codeloop-cc-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("loads 300 problems with 2,997 tests and one Python 3 solution each", async () => {
    const ps = await loadProblems(FILE);
    expect(ps).toHaveLength(300);
    const pub = ps.reduce((n, p) => n + p.tests.public.length, 0);
    const priv = ps.reduce((n, p) => n + p.tests.private.length, 0);
    expect(pub + priv).toBe(2997);
    expect(ps.every((p) => p.solutions.length === 1 && p.solutions[0]!.language === "python")).toBe(true);
    expect(ps.every((p) => p.limits.timeLimitOrigin === "default" && p.limits.memoryLimitMb > 0)).toBe(true);
    expect(ps.every((p) => p.metadata.source === "Codeforces" && p.split === "train")).toBe(true);
    const first = ps[0]!;
    expect(first.id).toBe("1041_E. Tree Reconstruction");
    expect(first.metadata.difficultyRaw).toBe("E");
    expect(first.metadata.tags).toContain("graphs");
  });

  it("reads only row groups holding requested ids", async () => {
    const ps = await loadProblems(FILE, { ids: ["1041_E. Tree Reconstruction"] });
    expect(ps.map((p) => p.id)).toEqual(["1041_E. Tree Reconstruction"]);
  });

  it("names the file of a truncated parquet", async () => {
    const size = (await stat(FILE)).size;
    for (const keep of [size - 100, Math.floor(size / 2)]) {
      const cut = join(tmp, `cut-${keep}.parquet`);
      await copyFile(FILE, cut);
      const h = await open(cut, "r+");
      await h.truncate(keep);
      await h.close();
      await expect(loadProblems(cut, {}, { format: "codecontests" })).rejects.toThrow(ProblemLoadError);
      await expect(loadProblems(cut, {}, { format: "codecontests" })).rejects.toThrow(cut);
    }
  });

  it("names the row group of a corrupted column chunk", async () => {
    const bad = join(tmp, "corrupt.parquet");
    await copyFile(FILE, bad);
    const h = await open(bad, "r+");
    // Overwrite bytes in the middle of the data pages, leaving the footer intact.
    await h.write(Buffer.alloc(4096, 0xff), 0, 4096, 200_000);
    await h.close();
    const consume = async () => {
      for await (const _ of readParquetRows(bad)) {
        // draining
      }
    };
    await expect(consume()).rejects.toThrow(/corrupt\.parquet: cannot decode row group 0/);
  });
});
