import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { registerProblems } from "../../src/cli/problems.js";
import { dataPath, hasData } from "./data.js";

async function run(...args: string[]): Promise<{ out: string; err: string }> {
  const program = new Command().exitOverride();
  registerProblems(program);
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    await program.parseAsync(["node", "codeloop", ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { out, err };
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "codeloop-problems-cli-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("problems CLI errors", () => {
  it("turns load errors and bad flags into one-line user errors", async () => {
    await expect(run("problems", "list", join(tmp, "missing"))).rejects.toThrow(CliError);
    await expect(run("problems", "list", join(tmp, "missing"))).rejects.toThrow(/cannot open source/);
    await expect(run("problems", "list", tmp, "--limit", "-1")).rejects.toThrow(
      "--limit must be a non-negative integer, got '-1'",
    );
    await expect(run("problems", "list", tmp, "--format", "nope")).rejects.toThrow(/--format must be one of/);
  });
});

describe.skipIf(!hasData("kattis-rmrc2019"))("problems CLI on real data", () => {
  it("lists with filters as a table and as JSON", async () => {
    const { out } = await run("problems", "list", dataPath("kattis-rmrc2019"), "--ids", "typo,molecules");
    expect(out).toMatch(/^ID\s+DIFFICULTY/);
    expect(out).toMatch(/^molecules\s+unknown\s+test\s+3\/73\/0\s+6\s+2s\s+Molecules$/m);
    expect(out).toContain("2 problems");
    const json = JSON.parse(
      (await run("problems", "list", dataPath("kattis-rmrc2019"), "--limit", "2", "--json")).out,
    );
    expect(json).toHaveLength(2);
    expect(json[0]).toMatchObject({
      id: "biggesttriangle",
      tests: { public: 3, private: 21 },
      solutions: { accepted: 4 },
    });
  });

  it("shows one problem and fails clearly for an unknown id", async () => {
    const { out } = await run(
      "problems",
      "show",
      dataPath("kattis-rmrc2019"),
      "biggesttriangle",
      "--tests",
      "1",
    );
    expect(out).toContain("biggesttriangle: The Biggest Triangle");
    expect(out).toContain("limits      3 s (timelimit-file, multiplier 2.2), 1024 MB");
    expect(out).toContain("public tests (1 of 3):");
    await expect(run("problems", "show", dataPath("kattis-rmrc2019"), "nope")).rejects.toThrow(
      /no problem 'nope'/,
    );
  });

  it("exports native JSONL that list reads back", async () => {
    const file = join(tmp, "kattis.jsonl");
    const { err } = await run("problems", "export", dataPath("kattis-rmrc2019"), file, "--ids", "typo");
    expect(err).toContain("wrote 1 problem");
    expect((await readFile(file, "utf8")).split("\n")[0]).toBe('{"format":"codeloop-problems","version":1}');
    const { out } = await run("problems", "list", file);
    expect(out).toMatch(/^typo\s+unknown\s+test\s+3\/18\/0\s+5\s+6s\s+Typo$/m);
  });
});
