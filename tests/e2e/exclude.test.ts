// benchmark.exclude end to end on a Kattis folder built here: a package with `validation: custom`
// and no output validator is unjudgeable when loaded; a run leaves it out by default (one
// warning naming it, stored, shown in the report), keeps it with `exclude: []`, and
// `codeloop problems validate` counts it apart without running its solutions.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerProblems } from "../../src/cli/problems.js";
import { registerValidate } from "../../src/cli/validate.js";
import { loadFlags, loadProblems } from "../../src/problems/index.js";
import { buildReportData, renderReportHtml } from "../../src/report/index.js";
import { type RunConfigInput, RunStore, parseRunConfig, runRun } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import type { ValidateReport } from "../../src/validate/validate.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../helpers/chat-server.js";
import { captureCli } from "../helpers/cli-capture.js";
import { answer, userMessages } from "./fixtures.js";
import {
  DOUBLE_RIGHT,
  customWithoutValidatorPackage,
  doublePackage,
  writeKattisPackage,
} from "./kattis-fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-e2e-exclude-"));
const kattis = join(tmp, "kattis");
const HALF = "s = int(input())\nprint(s // 2, s - s // 2)\n";
let sb: Sandbox;
let server: ChatServer;
let folderNo = 0;

const problemOf = (r: ChatServerRequest) => /Problem (\w+):/.exec(userMessages(r)[0]!)?.[1];

beforeAll(async () => {
  writeKattisPackage(kattis, doublePackage("double"));
  writeKattisPackage(kattis, customWithoutValidatorPackage("pairsum"));
  sb = await Sandbox.create({ workers: 2, uidBase: 63200 });
  // A correct program for each problem (HALF is a correct pairsum answer the .ans files do not hold).
  server = await startChatServer({
    respond: (r) => answer(problemOf(r) === "pairsum" ? HALF : DOUBLE_RIGHT),
  });
});
afterAll(async () => {
  await server?.close();
  await sb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function run(over: Partial<RunConfigInput> = {}) {
  const folder = join(tmp, `run${folderNo++}`);
  const config = parseRunConfig({
    benchmark: { source: kattis },
    model: `openai:${server.url}#scripted`,
    strategy: { kind: "single-turn" },
    cache: { enabled: false },
    concurrency: { model: 2, sandbox: 2 },
    ...over,
  });
  const lines: string[] = [];
  const before = server.requests.length;
  const result = await runRun({ folder, config }, { sandbox: sb, log: (m) => lines.push(m) });
  const store = RunStore.open(folder);
  try {
    return {
      folder,
      result,
      lines,
      asked: server.requests.slice(before).map(problemOf).sort(),
      planned: store.problemSummaries().map((s) => s.problemId),
      excluded: store.excludedProblems(),
      grades: Object.fromEntries(
        [...store.trajectories()].map((t) => [t.problemId, store.trajectoryDetail(t)!.grade?.verdict]),
      ),
      config: store.config,
    };
  } finally {
    store.close();
  }
}

async function html(folder: string): Promise<string> {
  return renderReportHtml(await buildReportData([folder], { bootstrap: { resamples: 50, seed: 1 } }));
}

describe("unjudgeable Kattis packages and benchmark.exclude", () => {
  it("the custom package without a validator is flagged unjudgeable when loaded; the plain one is not", async () => {
    const ps = await loadProblems(kattis);
    expect(ps.map((p) => p.id)).toEqual(["double", "pairsum"]);
    const [double, pairsum] = ps;
    expect(loadFlags(double!)).toEqual([]);
    expect(pairsum!.metadata.unjudgeable).toMatch(
      /validation is custom but the package has no output_validators/,
    );
    expect(loadFlags(pairsum!).map((f) => f.kind)).toEqual(["unjudgeable"]);
    expect(pairsum!.warnings.join("\n")).toMatch(/unjudgeable/);
  });

  it("default exclude [unjudgeable]: left out with one warning naming it, stored, and shown in the report", async () => {
    const r = await run();
    expect(r.config.benchmark.exclude).toEqual(["unjudgeable"]);
    expect(JSON.parse(readFileSync(join(r.folder, "config.json"), "utf8")).benchmark.exclude).toEqual([
      "unjudgeable",
    ]);
    const warnings = r.lines.filter((l) => l.startsWith("warning:"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /excluded 1 problem\(s\) flagged unjudgeable \(benchmark\.exclude\): pairsum$/,
    );
    expect(r.lines.filter((l) => l.includes("pairsum"))).toHaveLength(1);
    // Not planned, never sent to the model.
    expect(r.planned).toEqual(["double"]);
    expect(r.asked).toEqual(["double"]);
    expect(r.result.progress).toMatchObject({ problems: 1, total: 1, solvedProblems: 1 });
    expect(r.excluded).toEqual([
      {
        id: "pairsum",
        reasons: [
          expect.stringMatching(
            /^unjudgeable: validation is custom but the package has no output_validators/,
          ),
        ],
      },
    ]);
    expect(readFileSync(join(r.folder, "run.log"), "utf8")).toMatch(/excluded 1 problem\(s\).*: pairsum/);

    const page = await html(r.folder);
    expect(page).toMatch(
      /1 problem\(s\) excluded: <code>pairsum<\/code> \(unjudgeable: validation is custom/,
    );
  });

  it("exclude []: the package is kept and played, and token comparison rejects a correct answer (why it is excluded)", async () => {
    const r = await run({ benchmark: { source: kattis, exclude: [] } });
    expect(r.lines.filter((l) => l.startsWith("warning:"))).toEqual([]);
    expect(r.planned).toEqual(["double", "pairsum"]);
    expect(r.asked).toEqual(["double", "pairsum"]);
    expect(r.excluded).toEqual([]);
    expect(r.grades).toEqual({ double: "accepted", pairsum: "wrong_answer" });
    expect(await html(r.folder)).not.toContain("excluded:");
  });

  it("codeloop problems validate counts it as unjudgeable and does not run its solutions", async () => {
    const register = (p: Parameters<typeof registerProblems>[0]) => registerValidate(registerProblems(p));
    const json = await captureCli(register, "problems", "validate", kattis, "--workers", "2", "--json");
    const report = JSON.parse(json) as ValidateReport;
    expect(report).toMatchObject({
      problems: 2,
      unjudgeable: 1,
      // double's accepted and wrong_answer submissions; pairsum's accepted one is not run.
      solutionsRun: 2,
      correctAccepted: 1,
      correctTotal: 1,
      incorrectRejected: 1,
      incorrectTotal: 1,
      skippedSolutions: { unjudgeable: 1 },
    });
    const pairsum = report.perProblem.find((p) => p.id === "pairsum")!;
    expect(pairsum).toMatchObject({ unjudgeable: true, solutions: [], skippedSolutions: 1 });
    expect(pairsum.flags.map((f) => f.kind)).toEqual(["unjudgeable"]);
    expect(pairsum.flags[0]!.reason).toMatch(/no output_validators.*\(solutions not run\)/);
    const double = report.perProblem.find((p) => p.id === "double")!;
    expect(double.unjudgeable).toBeUndefined();
    expect(double.solutions.map((s) => [s.label, s.ok])).toEqual([
      ["accepted", true],
      ["wrong_answer", true],
    ]);
    // Only double's tests ran: 2 solutions x at most 4 tests.
    expect(report.testsRun).toBeGreaterThan(0);
    expect(report.testsRun).toBeLessThanOrEqual(8);

    const text = await captureCli(register, "problems", "validate", kattis, "--workers", "2");
    expect(text).toMatch(/^problems {12}2 \(1 unjudgeable, solutions not run\)$/m);
    expect(text).toMatch(/^solutions run {7}2 \(skipped: 1 unjudgeable\)$/m);
    expect(text).toMatch(/^ {2}pairsum\n {4}unjudgeable: validation is custom/m);
  });
});
