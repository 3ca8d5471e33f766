// grading.tests end to end: `all` (the default) grades the final submission on public + private +
// generated tests, `hidden` on private + generated only. A submission that fails one public test
// and passes every hidden one tells the two apart; `codeloop rejudge` must grade as the run did.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Problem } from "../../src/problems/types.js";
import { buildReportData, renderReportHtml } from "../../src/report/index.js";
import { type RunConfigInput, RunStore, parseRunConfig, rejudgeRun, runRun } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { answer, userMessages, writeProblems } from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-e2e-grading-"));
const source = join(tmp, "problems.jsonl");
let sb: Sandbox;
let server: ChatServer;
let folderNo = 0;

/** "Double the number"; the statement names the problem so the scripted model can tell them apart. */
function problem(id: string): Problem {
  const t = (n: number) => ({ kind: "stdio" as const, input: `${n}\n`, output: `${2 * n}\n` });
  return {
    id,
    benchmark: "native",
    split: "test",
    title: `Double ${id}`,
    statement: `Problem ${id}: read one integer n from standard input and print 2 * n.`,
    judge: { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
    extraJudges: [],
    tests: { public: [t(1111), t(5555), t(7777)], private: [t(123), t(9)], generated: [t(40)] },
    limits: { timeLimitSec: 2, memoryLimitMb: 256, timeLimitOrigin: "dataset" },
    metadata: { difficulty: "easy", tags: [] },
    solutions: [],
    warnings: [],
    origin: { file: "grading.jsonl" },
  } as Problem;
}

/** Wrong on the second public test (5555) only: right on every private and generated test. */
const PUBLIC_FAIL = "n = int(input())\nprint(0 if n == 5555 else 2 * n)\n";
const RIGHT = "n = int(input())\nprint(2 * n)\n";

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 2, uidBase: 63100 });
  // Problem "pub" gets the program that fails a public test; problem "ok" the right one.
  server = await startChatServer({
    respond: (r) => answer(userMessages(r)[0]!.includes("Problem pub:") ? PUBLIC_FAIL : RIGHT),
  });
  await writeProblems(source, [problem("pub"), problem("ok")]);
});
afterAll(async () => {
  await server.close();
  await sb.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function run(over: Partial<RunConfigInput>) {
  const folder = join(tmp, `run${folderNo++}`);
  const config = parseRunConfig({
    benchmark: { source },
    model: `openai:${server.url}#scripted`,
    strategy: { kind: "single-turn" },
    cache: { enabled: false },
    concurrency: { model: 2, sandbox: 2 },
    ...over,
  });
  const result = await runRun({ folder, config }, { sandbox: sb });
  return { folder, result, ...stored(folder) };
}

function stored(folder: string) {
  const store = RunStore.open(folder);
  try {
    const grades = Object.fromEntries(
      [...store.trajectories()].map((t) => [t.problemId, store.trajectoryDetail(t)!.grade]),
    );
    const solved = store
      .problemSummaries()
      .filter((s) => s.accepted > 0)
      .map((s) => s.problemId)
      .sort();
    return { grades, solved, configTests: store.config.grading.tests };
  } finally {
    store.close();
  }
}

const writtenConfig = (folder: string) => JSON.parse(readFileSync(join(folder, "config.json"), "utf8"));

async function html(folder: string): Promise<string> {
  return renderReportHtml(await buildReportData([folder], { bootstrap: { resamples: 50, seed: 1 } }));
}

describe("grading.tests: all | hidden", () => {
  it("all (the default): a submission failing a public test is not solved; the report says so", async () => {
    const r = await run({});
    expect(writtenConfig(r.folder).grading.tests).toBe("all");
    expect(r.configTests).toBe("all");
    expect(r.solved).toEqual(["ok"]);
    expect(r.result.progress).toMatchObject({ solvedProblems: 1, accepted: 1, finished: 2 });
    // Graded on the 6 tests of all three groups, and wrong on the public one.
    expect(r.grades.pub).toMatchObject({ verdict: "wrong_answer", total: 6, version: 1 });
    expect(r.grades.ok).toMatchObject({ verdict: "accepted", total: 6, passed: 6 });
    const failed = r.grades.pub!.tests.find((t) => t.verdict !== "accepted")!;
    expect(failed.verdict).toBe("wrong_answer");

    const page = await html(r.folder);
    expect(page).toContain("submissions graded on all tests (public and hidden)");
    expect(page).not.toContain("the hidden tests only");

    // rejudge grades as the run did: still on every test, so nothing changes.
    const again = await rejudgeRun(r.folder, { sandbox: sb, all: true });
    expect(again).toMatchObject({ version: 2, graded: 2, accepted: 1, changed: 0 });
    expect(stored(r.folder).grades.pub).toMatchObject({ verdict: "wrong_answer", total: 6, version: 2 });
  });

  it("hidden: the same submission passes every hidden test and is solved; the report says so", async () => {
    const r = await run({ grading: { tests: "hidden" } });
    expect(writtenConfig(r.folder).grading.tests).toBe("hidden");
    expect(r.configTests).toBe("hidden");
    expect(r.solved).toEqual(["ok", "pub"]);
    expect(r.result.progress).toMatchObject({ solvedProblems: 2, accepted: 2 });
    // Private (2) + generated (1): the public tests are not graded.
    expect(r.grades.pub).toMatchObject({ verdict: "accepted", total: 3, passed: 3 });
    expect(r.grades.ok).toMatchObject({ verdict: "accepted", total: 3, passed: 3 });

    const page = await html(r.folder);
    expect(page).toContain("submissions graded on the hidden tests only");
    expect(page).not.toContain("all tests (public and hidden)");

    const again = await rejudgeRun(r.folder, { sandbox: sb, all: true });
    expect(again).toMatchObject({ version: 2, graded: 2, accepted: 2, changed: 0 });
    expect(stored(r.folder).grades.pub).toMatchObject({ verdict: "accepted", total: 3, version: 2 });
  });

  it("an explicit grading.tests: all is stored as written and grades like the default", async () => {
    const r = await run({ grading: { tests: "all", gradeEveryTurn: true } });
    expect(writtenConfig(r.folder).grading).toMatchObject({ tests: "all", gradeEveryTurn: true });
    expect(r.solved).toEqual(["ok"]);
    expect(r.grades.pub).toMatchObject({ verdict: "wrong_answer", total: 6 });
  });

  it("rejects a value other than all or hidden", () => {
    expect(() =>
      parseRunConfig({
        benchmark: { source },
        model: `openai:${server.url}#scripted`,
        grading: { tests: "public" },
      }),
    ).toThrow(/grading\.tests/);
  });
});
