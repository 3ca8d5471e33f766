import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RIGHT, WRONG, answer, doubleProblem, writeProblems } from "../e2e/fixtures.js";
import { dataPath, hasData } from "../problems/data.js";

// The built CLI in a child process, as users run it (and as it can be SIGKILLed).
const CLI = "dist/cli/index.js";
const built = existsSync(CLI) && existsSync("dist/grading/index.js");
if (!built) console.warn("skipping codeloop judge CLI tests: run `npm run build` first (npm test does)");

const tmp = mkdtempSync(join(tmpdir(), "codeloop-judge-cli-"));
const cacheDir = join(tmp, "cache");
const MBPP = dataPath("mbpp-plus", "MbppPlus.jsonl");
const withMbpp = hasData("mbpp-plus", "MbppPlus.jsonl");
let child: ChildProcess | undefined;

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 300_000 });
}

function jsonl(file: string, rows: object[]): string {
  writeFileSync(file, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return file;
}

function readLines(file: string): string[] {
  return readFileSync(file, "utf8").split("\n").filter(Boolean);
}

const problemsFile = join(tmp, "double.jsonl");
beforeAll(async () => {
  await writeProblems(
    problemsFile,
    Array.from({ length: 4 }, (_, i) => doubleProblem(`p${i}`)),
  );
});
afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!built)("codeloop judge", () => {
  it.skipIf(!withMbpp)(
    "grades an EvalPlus-style samples file: canonical solutions accepted, broken copies rejected, pass@k as computed by hand",
    () => {
      const gold = Object.fromEntries(
        readFileSync(MBPP, "utf8")
          .split("\n")
          .slice(0, 3)
          .map((l) => JSON.parse(l))
          .map((r) => [r.task_id, { code: r.canonical_solution as string, entry: r.entry_point as string }]),
      );
      const broken = (id: string) => `def ${gold[id]!.entry}(*args):\n    return None\n`;
      // Mbpp/2: 1 of 12 correct; Mbpp/3: 2 of 12; Mbpp/4: 12 of 12.
      const rows: object[] = [];
      for (let i = 0; i < 12; i++) {
        rows.push({ task_id: "Mbpp/2", solution: i === 5 ? gold["Mbpp/2"]!.code : broken("Mbpp/2") });
        rows.push({ task_id: "Mbpp/3", solution: i < 2 ? gold["Mbpp/3"]!.code : broken("Mbpp/3") });
        rows.push({ task_id: "Mbpp/4", solution: gold["Mbpp/4"]!.code });
      }
      const samples = jsonl(join(tmp, "samples.jsonl"), rows);
      const r = cli("judge", MBPP, samples, "--cache-dir", cacheDir, "--workers", "2");
      expect(r.status, r.stderr).toBe(0);
      const out = join(tmp, "samples.verdicts.jsonl");
      expect(r.stderr).toContain(`verdicts to ${out}`);
      expect(r.stderr).toMatch(/with CPython \d+\.\d+\.\d+/);
      const lines = readLines(out).map((l) => JSON.parse(l));
      expect(lines).toHaveLength(36);
      const v = (id: string, index: number) => lines.find((l) => l.problemId === id && l.index === index);
      expect(v("Mbpp/2", 5)).toMatchObject({ verdict: "accepted", judgeVersion: "codeloop-judge/1" });
      expect(v("Mbpp/2", 5).passed).toBe(v("Mbpp/2", 5).total);
      expect(v("Mbpp/2", 4)).toMatchObject({ verdict: "wrong_answer", passed: 0, firstFailure: { test: 0 } });
      expect(v("Mbpp/2", 4).codeSha256).toMatch(/^[0-9a-f]{64}$/);
      const summary = JSON.parse(readFileSync(join(tmp, "samples.verdicts.summary.json"), "utf8"));
      expect(summary.ks).toEqual([1, 10]);
      // Hand computation: pass@1 = c/n; pass@10 = 1 - C(n-c,10)/C(n,10) with n = 12.
      const p10 = [1 - 11 / 66, 1 - 1 / 66, 1];
      expect(summary.passAtK["1"]).toBeCloseTo((1 / 12 + 2 / 12 + 1) / 3, 12);
      expect(summary.passAtK["10"]).toBeCloseTo((p10[0]! + p10[1]! + p10[2]!) / 3, 12);
      expect(summary.perProblem.map((p: { problemId: string; c: number }) => [p.problemId, p.c])).toEqual([
        ["Mbpp/2", 1],
        ["Mbpp/3", 2],
        ["Mbpp/4", 12],
      ]);
      expect(summary).toMatchObject({ samplesTotal: 36, judged: 36, reused: 0, infrastructure: 0 });
      // The table on stdout.
      expect(r.stdout).toMatch(/^PROBLEM\s+SAMPLES\s+ACCEPTED\s+PASS@1\s+PASS@10$/m);
      expect(r.stdout).toMatch(/^Mbpp\/2\s+12\s+1\s+0\.083\s+0\.833$/m);
      expect(r.stdout).toMatch(/^Mbpp\/3\s+12\s+2\s+0\.167\s+0\.985$/m);
      expect(r.stdout).toMatch(/overall\s+3 problems, 36 samples: pass@1 0\.417, pass@10 0\.939/);

      // Run again: everything is kept, nothing judged; --ids leaves the others out with a notice.
      const again = cli("judge", MBPP, samples, "--cache-dir", cacheDir, "--json", "--ids", "Mbpp/2");
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toContain("skipping 24 samples of 2 problems the filters leave out");
      const j = JSON.parse(again.stdout);
      expect(j).toMatchObject({ judged: 0, reused: 12, skipped: 24, samplesTotal: 12, problems: 1 });
      expect(j.passAtK["1"]).toBeCloseTo(1 / 12, 12);
      // Judging a subset leaves the other problems' verdicts in the file.
      expect(again.stderr).toContain("24 lines of problems outside the filters left as they are");
      expect(readLines(out)).toHaveLength(36);
    },
    300_000,
  );

  it("names the file and line of unknown ids, malformed lines and duplicate pairs, and judges nothing", () => {
    const samples = join(tmp, "bad.jsonl");
    writeFileSync(
      samples,
      [
        JSON.stringify({ problem_id: "p0", code: RIGHT }),
        JSON.stringify({ problem_id: "nope", code: RIGHT }),
        '{"problem_id": "p1", "code": ',
        JSON.stringify({ problem_id: "p1", code: RIGHT, index: 3 }),
        JSON.stringify({ problem_id: "p1", code: WRONG, index: 3 }),
        JSON.stringify({ problem_id: "p2" }),
        "",
      ].join("\n"),
    );
    const r = cli("judge", problemsFile, samples);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`codeloop: ${samples}: 4 errors in the samples, nothing judged:`);
    expect(r.stderr).toContain(`${samples}:2: unknown problem id "nope"`);
    expect(r.stderr).toMatch(new RegExp(`${samples}:3: not valid JSON`));
    expect(r.stderr).toContain(`${samples}:5: duplicate sample "p1" index 3 (first on line 4)`);
    expect(r.stderr).toContain(`${samples}:6: missing the code`);
    expect(existsSync(join(tmp, "bad.verdicts.jsonl"))).toBe(false);
  });

  it("--extract grades the program inside a raw model answer", () => {
    const samples = jsonl(join(tmp, "answers.jsonl"), [
      { problem_id: "p0", completion: answer(RIGHT) },
      { problem_id: "p0", completion: `<think>maybe \`\`\`python\nprint(0)\n\`\`\`</think>${answer(WRONG)}` },
      { problem_id: "p1", completion: "I don't know." },
    ]);
    const out = join(tmp, "answers.out.jsonl");
    const r = cli("judge", problemsFile, samples, "--extract", "--out", out, "--json");
    expect(r.status, r.stderr).toBe(0);
    const lines = readLines(out).map((l) => JSON.parse(l));
    const by = (id: string, i: number) => lines.find((l) => l.problemId === id && l.index === i);
    expect(by("p0", 0)).toMatchObject({ verdict: "accepted", extraction: "fenced-language", passed: 6 });
    expect(by("p0", 1)).toMatchObject({ verdict: "wrong_answer", passed: 1 });
    expect(by("p1", 0)).toMatchObject({ verdict: "no_code", extraction: "none", passed: 0, total: 6 });
    const j = JSON.parse(r.stdout);
    expect(j.verdicts).toEqual({ accepted: 1, wrong_answer: 1, no_code: 1 });
    expect(j.passAtK["1"]).toBeCloseTo((1 / 2 + 0) / 2, 12);
    expect(existsSync(join(tmp, "answers.out.summary.json"))).toBe(true);
  });

  it("killed with SIGKILL mid-run, continues without judging any written sample again", async () => {
    // 40 samples that sleep 20 ms per test: a few seconds of judging on 2 workers.
    const slow = (code: string) => `import time\ntime.sleep(0.02)\n${code}`;
    const rows = [];
    for (let i = 0; i < 40; i++)
      rows.push({ problem_id: `p${i % 4}`, code: slow(i % 3 === 0 ? WRONG : RIGHT) });
    const samples = jsonl(join(tmp, "kill.jsonl"), rows);
    const out = join(tmp, "kill.verdicts.jsonl");
    child = spawn(process.execPath, [CLI, "judge", problemsFile, samples, "--workers", "2"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr?.on("data", (d) => {
      err += String(d);
    });
    const exited = new Promise<NodeJS.Signals | null>((res) => child!.once("exit", (_c, s) => res(s)));
    // Kill once some verdicts are on disk (and well before the end).
    for (;;) {
      await new Promise((res) => setTimeout(res, 20));
      if (child.exitCode !== null) break;
      if (existsSync(out) && readLines(out).length >= 6) {
        child.kill("SIGKILL");
        break;
      }
    }
    expect(await exited, err).toBe("SIGKILL");
    const text = readFileSync(out, "utf8");
    const written = text.split("\n");
    written.pop(); // the part after the last newline: "" or a line cut by the kill
    expect(written.length).toBeGreaterThanOrEqual(6);
    expect(written.length).toBeLessThan(40);

    const r = cli("judge", problemsFile, samples, "--workers", "2", "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `resuming ${out}: ${written.length} verdicts kept, ${40 - written.length} samples to judge`,
    );
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ reused: written.length, judged: 40 - written.length, samplesTotal: 40 });
    const final = readLines(out);
    // What the killed run wrote is kept byte for byte (wall times make every line unique),
    // every sample has exactly one verdict, and the file is complete.
    expect(final.slice(0, written.length)).toEqual(written);
    expect(final).toHaveLength(40);
    const keys = final.map((l) => {
      const v = JSON.parse(l);
      return `${v.problemId}/${v.index}`;
    });
    expect(new Set(keys).size).toBe(40);
    expect(j.verdicts).toEqual({ accepted: 26, wrong_answer: 14 });
    expect(j.passAtK["1"]).toBeCloseTo(26 / 40, 12);
  }, 120_000);
});
