import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  KATTIS_FALLBACK_TIME_LIMIT_SEC,
  ProblemLoadError,
  compareFromValidatorFlags,
  kattisTimeLimit,
  loadProblems,
} from "../../src/problems/index.js";
import { dataPath, hasData } from "./data.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "codeloop-kattis-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function writePackage(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

describe("validator flags", () => {
  it("maps the default validator's flags onto compare options", () => {
    expect(compareFromValidatorFlags([], "p.yaml").compare).toEqual({
      caseSensitive: false,
      spaceChangeSensitive: false,
    });
    const { compare, unknown } = compareFromValidatorFlags(
      ["case_sensitive", "space_change_sensitive", "float_tolerance", "1e-4", "odd"],
      "p.yaml",
    );
    expect(compare).toEqual({
      caseSensitive: true,
      spaceChangeSensitive: true,
      floatAbsTol: 1e-4,
      floatRelTol: 1e-4,
    });
    expect(unknown).toEqual(["odd"]);
    expect(() => compareFromValidatorFlags(["float_absolute_tolerance"], "p.yaml")).toThrow(
      /validator_flags/,
    );
  });
});

describe("Kattis packages (generated)", () => {
  it("reads a custom validator, submissions by folder, and falls back without .timelimit", async () => {
    const dir = join(tmp, "set", "sumtwo");
    await writePackage(dir, {
      "problem.yaml":
        "name: Sum Two\nvalidation: custom\nvalidator_flags: float_tolerance 1e-6\nlimits:\n  time_multiplier: 3\n  memory: 512\n",
      "problem_statement/problem.tex": "\\problemname{Sum Two}\nAdd.",
      "data/sample/1.in": "1 2\n",
      "data/sample/1.ans": "3\n",
      "data/secret/group1/10.in": "5 5\n",
      "data/secret/group1/10.ans": "10\n",
      "data/secret/group1/9.in": "4 4\n",
      "data/secret/group1/9.ans": "8\n",
      "output_validators/check/validate.cpp": "int main(){return 42;}",
      "output_validators/check/helper.h": "#pragma once",
      "submissions/accepted/a.py": "print(sum(map(int, input().split())))",
      "submissions/wrong_answer/w.cpp": "int main(){}",
      "submissions/time_limit_exceeded/slow.java": "class A{}",
      "submissions/run_time_error/r.py": "#!/usr/bin/env python2\nprint 1/0",
    });
    const [p] = await loadProblems(join(tmp, "set"));
    expect(p!.id).toBe("sumtwo");
    expect(p!.title).toBe("Sum Two");
    expect(p!.tests.public.map((t) => t.name)).toEqual(["sample/1"]);
    // Numeric-aware order: 9 before 10.
    expect(p!.tests.private.map((t) => t.name)).toEqual(["secret/group1/9", "secret/group1/10"]);
    expect(p!.judge.kind === "stdio" && p!.judge.validator?.language).toBe("cpp");
    expect(p!.judge.kind === "stdio" && p!.judge.validator?.flags).toEqual(["float_tolerance", "1e-6"]);
    expect(p!.judge.kind === "stdio" && p!.judge.validator?.sources.map((s) => s.path)).toEqual([
      "output_validators/check/helper.h",
      "output_validators/check/validate.cpp",
    ]);
    expect(p!.solutions.map((s) => [s.path, s.language, s.verdict])).toEqual([
      ["submissions/accepted/a.py", "python", "accepted"],
      ["submissions/run_time_error/r.py", "python2", "runtime_error"],
      ["submissions/time_limit_exceeded/slow.java", "java", "time_limit"],
      ["submissions/wrong_answer/w.cpp", "cpp", "wrong_answer"],
    ]);
    expect(p!.limits).toMatchObject({
      timeLimitSec: KATTIS_FALLBACK_TIME_LIMIT_SEC,
      timeLimitOrigin: "default",
      timeMultiplier: 3,
      memoryLimitMb: 512,
    });
    expect(kattisTimeLimit(p!.limits, 0.42)).toMatchObject({ timeLimitSec: 2, timeLimitOrigin: "measured" });
    expect(kattisTimeLimit(p!.limits, 0.1).timeLimitSec).toBe(1);
  });

  it("names the file and line of a broken problem.yaml", async () => {
    const dir = join(tmp, "broken");
    await writePackage(dir, {
      "problem.yaml": "name: Broken\nlimits:\n  time_multiplier: [2\n",
      "data/sample/1.in": "",
      "data/sample/1.ans": "",
    });
    const err = await loadProblems(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemLoadError);
    expect((err as Error).message).toMatch(new RegExp(`${join(dir, "problem.yaml")}:\\d+: invalid YAML`));
  });

  it("names the field of a bad limit and the file of a missing answer", async () => {
    const dir = join(tmp, "badlimit");
    await writePackage(dir, {
      "problem.yaml": "name: X\nlimits:\n  time_multiplier: fast\n",
      "data/sample/1.in": "",
      "data/sample/1.ans": "",
    });
    await expect(loadProblems(dir)).rejects.toThrow(/field limits\.time_multiplier/);
    const dir2 = join(tmp, "noans");
    await writePackage(dir2, { "problem.yaml": "name: Y\n", "data/secret/a.in": "1" });
    await expect(loadProblems(dir2)).rejects.toThrow(
      `${join(dir2, "data/secret/a.ans")}: missing answer file`,
    );
  });
});

describe.skipIf(!hasData("kattis-rmrc2019"))("Kattis RMRC 2019 (real data)", () => {
  it("loads 11 packages with samples public, secret hidden, limits and submissions", async () => {
    const ps = await loadProblems(dataPath("kattis-rmrc2019"));
    expect(ps.map((p) => p.id)).toEqual([
      "biggesttriangle",
      "fantasydraft",
      "foldingacube",
      "hogwarts2",
      "integerdivision",
      "lostlineup",
      "molecules",
      "pieceofcake2",
      "tiredterry",
      "typo",
      "watchlater",
    ]);
    expect(ps.reduce((n, p) => n + p.tests.public.length, 0)).toBe(29);
    expect(ps.reduce((n, p) => n + p.tests.private.length, 0)).toBe(532);
    expect(ps.every((p) => p.limits.timeLimitOrigin === "timelimit-file")).toBe(true);
    const byId = new Map(ps.map((p) => [p.id, p]));
    const bt = byId.get("biggesttriangle")!;
    expect(bt.limits).toMatchObject({ timeLimitSec: 3, timeMultiplier: 2.2 });
    expect(bt.judge).toEqual({
      kind: "stdio",
      compare: { caseSensitive: false, spaceChangeSensitive: false, floatRelTol: 1e-5, floatAbsTol: 1e-5 },
    });
    expect(byId.get("typo")!.limits.timeLimitSec).toBe(6);
    expect(byId.get("pieceofcake2")!.limits.timeMultiplier).toBe(5);
    const wl = byId.get("watchlater")!;
    expect(
      wl.solutions
        .filter((s) => s.verdict === "time_limit")
        .map((s) => s.language)
        .sort(),
    ).toEqual(["java", "python"]);
    // molecules says validation: custom but ships no validator: flagged, not silently judged.
    expect(byId.get("molecules")!.warnings.join()).toMatch(/no output_validators/);
    const solutions = ps.flatMap((p) => p.solutions);
    expect(solutions).toHaveLength(30);
    expect(solutions.filter((s) => s.verdict === "accepted")).toHaveLength(24);
  });

  it("loads one package folder on its own", async () => {
    const ps = await loadProblems(dataPath("kattis-rmrc2019", "typo"));
    expect(ps.map((p) => p.id)).toEqual(["typo"]);
    expect(ps[0]!.tests.public).toHaveLength(3);
  });
});
