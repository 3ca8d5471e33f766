import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalisedCacheFile } from "../../src/metrics/index.js";
import { createModel } from "../../src/models/index.js";
import { type FeedbackKind, renderPromptTemplate } from "../../src/prompts/index.js";
import {
  type RunConfigInput,
  RunStore,
  parseRunConfig,
  rejudgeRun,
  runRun,
  seedFor,
} from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import {
  type ChatServer,
  type ChatServerRequest,
  type Fault,
  startChatServer,
} from "../helpers/chat-server.js";
import {
  RIGHT,
  WRONG,
  answer,
  doubleProblem,
  userMessages,
  writeProblems,
  wrongThenRight,
} from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-e2e-run-"));
const source = join(tmp, "problems.jsonl");
let sb: Sandbox;
let server: ChatServer;
let respond: (r: ChatServerRequest) => string = wrongThenRight;
let fault: (r: ChatServerRequest) => Fault | undefined = () => undefined;
let folderNo = 0;

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 2, uidBase: 64600 });
  server = await startChatServer({ respond: (r) => respond(r), fault: (r) => fault(r) });
  await writeProblems(source, [doubleProblem("a"), doubleProblem("b")]);
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
    cache: { enabled: false },
    concurrency: { model: 4, sandbox: 2 },
    ...over,
  });
  const before = server.requests.length;
  const result = await runRun({ folder, config }, { sandbox: sb });
  const store = RunStore.open(folder);
  const details = [...store.trajectories()].map((t) => store.trajectoryDetail(t)!);
  store.close();
  return { folder, result, details, requests: server.requests.slice(before) };
}

describe("codeloop run end to end against the chat-completions test server", () => {
  it("a model that answers wrong then right gives two-turn trajectories whose second prompt holds the failing test", async () => {
    respond = wrongThenRight;
    const { folder, result, details, requests } = await run({ trajectoriesPerProblem: 2 });
    // The run normalised both distinct codes (WRONG, RIGHT) for the similarity metrics as it went.
    const normalised = readFileSync(normalisedCacheFile(folder), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => (JSON.parse(l) as { v: string }).v);
    expect(normalised.sort()).toEqual(
      ["n = int(input())\nprint(2 * n if n == 1111 else 2 * n + 1)", "n = int(input())\nprint(2 * n)"].sort(),
    );
    expect(result.progress).toMatchObject({
      total: 4,
      finished: 4,
      accepted: 4,
      solvedProblems: 2,
      failed: 0,
    });
    expect(requests).toHaveLength(8);
    for (const d of details) {
      expect(d.status).toBe("done");
      expect(d.turns.map((t) => t.candidates[0]!.code?.trim())).toEqual([WRONG.trim(), RIGHT.trim()]);
      expect(d.turns[0]!.candidates[0]!.publicTests).toMatchObject({
        verdict: "wrong_answer",
        passed: 1,
        total: 3,
      });
      expect(d.turns[1]).toMatchObject({ parentTurn: 0, parentCandidate: 0 });
      expect(d).toMatchObject({ submittedTurn: 1, submittedCandidate: 0, grade: { verdict: "accepted" } });
      expect(d.turns.map((t) => t.candidates[0]!.seed)).toEqual([
        seedFor(0, d.problemId, d.trajectory, 0, 0),
        seedFor(0, d.problemId, d.trajectory, 1, 0),
      ]);
    }
    const second = requests.filter((r) => userMessages(r).length === 2);
    expect(second).toHaveLength(4);
    for (const r of second) {
      // The whole dialog is sent: the first answer comes back as the assistant turn.
      expect(
        r.body.messages.some(
          (m: { role: string; content: string }) =>
            m.role === "assistant" && m.content.includes(WRONG.trim()),
        ),
      ).toBe(true);
      const feedback = userMessages(r)[1]!;
      expect(feedback).toContain("5555");
      expect(feedback).toContain("11110");
      expect(feedback).toContain("11111");
      expect(r.body.seed).toBeTypeOf("number");
    }
  });

  it("a wrong submission is graded wrong on the hidden tests; single-turn stops after one turn", async () => {
    respond = () => answer(WRONG);
    const { result, details, requests } = await run({ strategy: { kind: "single-turn" } });
    expect(requests).toHaveLength(2);
    expect(result.progress.accepted).toBe(0);
    for (const d of details) {
      expect(d.turnCount).toBe(1);
      expect(d.grade?.verdict).toBe("wrong_answer");
    }
  });

  const promises: Record<FeedbackKind, { has: string[]; not: string[] }> = {
    binary: { has: [], not: ["5555", "11111", "7777", "2222"] },
    "failed-test": { has: ["5555", "11110", "11111"], not: ["7777", "15555", "2222"] },
    "failed-tests": { has: ["5555", "11111", "7777", "15555"], not: ["2222"] },
    "all-tests": { has: ["5555", "11111", "7777", "15555", "2222"], not: [] },
    trace: { has: ["5555", "11111", "n = 5555", "print(2 * n if n == 1111 else 2 * n + 1)"], not: ["7777"] },
  };
  for (const [kind, p] of Object.entries(promises) as [FeedbackKind, { has: string[]; not: string[] }][]) {
    it(`feedback kind ${kind} shows what it promises`, async () => {
      respond = wrongThenRight;
      const { requests, details } = await run({
        feedback: { kind },
        benchmark: { source, filters: { ids: ["a"] } },
      });
      const feedback = requests.map((r) => userMessages(r)).find((u) => u.length === 2)![1]!;
      for (const s of p.has) expect(feedback, `${kind} should show ${s}`).toContain(s);
      for (const s of p.not) expect(feedback, `${kind} should not show ${s}`).not.toContain(s);
      // Hidden tests never reach the model.
      for (const r of requests) expect(JSON.stringify(r.body.messages)).not.toMatch(/\b(246|123)\b/);
      expect(details[0]!.grade?.verdict).toBe("accepted");
    });
  }

  it("cot-retry adds the configured reasoning step on turn 2 and the naive-then-improve instruction on turn 3", async () => {
    // Wrong until the third turn's code step.
    respond = (r) => answer(userMessages(r).length >= 4 ? RIGHT : WRONG);
    const { details, requests } = await run({
      benchmark: { source, filters: { ids: ["a"] } },
      strategy: {
        kind: "cot-retry",
        cot: [
          {},
          { reasoning: "reasoning.explain-samples" },
          { instruction: "instruction.naive-then-improve" },
        ],
      },
    });
    const d = details[0]!;
    expect(d.turnCount).toBe(3);
    // Turn 1: one request; turn 2: reasoning then code; turn 3: one request (instruction only).
    expect(requests).toHaveLength(4);
    expect(d.turns[1]!.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(d.turns[2]!.messages).toHaveLength(1);
    const text = (id: string) => renderPromptTemplate(id, { language: "Python 3" });
    expect(d.turns[1]!.messages[0]!.content).toContain(text("reasoning.explain-samples"));
    expect(d.turns[2]!.messages[0]!.content).toContain(text("instruction.naive-then-improve"));
    expect(d.turns[0]!.messages.map((m) => m.content).join("\n")).not.toContain(
      text("reasoning.explain-samples"),
    );
    expect(d.submittedTurn).toBe(2);
    expect(d.grade?.verdict).toBe("accepted");
  });

  it("best-of-n picks the candidate that passes the public tests, and rejudge adds a grade version", async () => {
    const good = new Set([seedFor(0, "a", 0, 0, 2)]);
    respond = (r) => answer(good.has(r.body.seed) ? RIGHT : WRONG);
    const { details, folder } = await run({
      benchmark: { source, filters: { ids: ["a"] } },
      strategy: { kind: "best-of-n", candidatesPerTurn: 3, maxTurns: 1 },
    });
    const turn = details[0]!.turns[0]!;
    expect(turn.candidates.map((c) => c.selected)).toEqual([false, false, true]);
    expect(turn.candidates.map((c) => c.publicTests?.passed)).toEqual([1, 1, 3]);
    expect(details[0]!.grade?.verdict).toBe("accepted");

    const r = await rejudgeRun(folder, { sandbox: sb, all: true });
    expect(r).toMatchObject({ version: 2, graded: 3, accepted: 1, changed: 0 });
    const store = RunStore.open(folder);
    expect(store.trajectoryDetail({ problemId: "a", trajectory: 0 })!.grade?.version).toBe(2);
    store.close();
  });

  it("model errors are stored with the turn and fail the trajectory; --retry-failed asks again after the last answered turn", async () => {
    respond = wrongThenRight;
    fault = (r) =>
      userMessages(r).length > 1 ? { fault: "status", status: 400, body: "bad request" } : undefined;
    const first = await run({ benchmark: { source, filters: { ids: ["a"] } } });
    fault = () => undefined;
    expect(first.result.progress).toMatchObject({ finished: 1, failed: 1, modelErrors: 1, accepted: 0 });
    const d = first.details[0]!;
    expect(d.status).toBe("failed");
    expect(d.error).toMatch(/every model request/);
    expect(d.turns[1]!.candidates[0]!.modelError).toMatchObject({ kind: "http", status: 400 });
    expect(d.turns[1]!.candidates[0]!.selected).toBe(false);
    // The code of turn 0 is still submitted and graded.
    expect(d).toMatchObject({ submittedTurn: 0, grade: { verdict: "wrong_answer" } });

    const before = server.requests.length;
    const again = await runRun({ folder: first.folder }, { sandbox: sb, retryFailed: true });
    expect(again.progress).toMatchObject({ total: 1, finished: 1, failed: 0, accepted: 1 });
    const store = RunStore.open(first.folder);
    const r = store.trajectoryDetail({ problemId: "a", trajectory: 0 })!;
    store.close();
    expect(r.status).toBe("done");
    expect(r.turns.map((t) => [t.index, t.parentTurn])).toEqual([
      [0, null],
      [1, 0],
      [2, 0],
    ]);
    expect(r).toMatchObject({ submittedTurn: 2, grade: { verdict: "accepted" } });
    const retried = server.requests.slice(before);
    expect(retried).toHaveLength(1);
    // The retry continues the dialog after turn 0: problem, wrong answer, feedback.
    expect(retried[0]!.body.messages.map((m: { role: string }) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "user",
    ]);
  });

  it("stops with one clear error when the model server stops answering, leaving the rest pending", async () => {
    fault = () => ({ fault: "reset" });
    const folder = join(tmp, `run${folderNo++}`);
    const config = parseRunConfig({
      benchmark: { source },
      model: `openai:${server.url}#scripted`,
      cache: { enabled: false },
      trajectoriesPerProblem: 15,
      concurrency: { model: 1, sandbox: 1 },
    });
    const model = createModel(config.model, { cache: false, retry: false });
    try {
      await expect(runRun({ folder, config }, { sandbox: sb, model })).rejects.toThrow(
        /model server stopped answering \(\d+ turns in a row failed.*--resume .*--retry-failed/,
      );
    } finally {
      fault = () => undefined;
      await model.close();
    }
    const store = RunStore.open(folder);
    const counts = store.counts();
    store.close();
    expect(counts.total).toBe(30);
    expect(counts.failed).toBeGreaterThanOrEqual(16);
    expect(counts.pending).toBeGreaterThan(0);
  });

  it("refuses a verifier reference that names no scorer kind, before any run folder exists", async () => {
    const folder = join(tmp, `run${folderNo++}`);
    const config = parseRunConfig({
      benchmark: { source },
      model: `openai:${server.url}#scripted`,
      strategy: {
        kind: "best-of-n",
        selection: "public-tests+verifier",
        verifier: `openai:${server.url}#rm`,
      },
    });
    // A chat model is a verifier only as a judge (chat-judge:<model ref>).
    await expect(runRun({ folder, config }, { sandbox: sb })).rejects.toThrow(
      /strategy\.verifier: verifier "openai:.*#rm": unknown kind; expected one of vllm-classify:.*chat-judge:/,
    );
    expect(RunStore.isRunFolder(folder)).toBe(false);
  });
});
