// What each linear strategy stores, pinned before the strategy engine is reshaped (issue 14):
// with the same config and seeds against the chat-completions test server, single-turn,
// multi-turn, cot-retry and best-of-n (with a verifier) must store exactly these turns,
// candidates, seeds, selections and verdicts. The pinned files were written by the engine as
// it was (one playTrajectory) and are compared field by field; regenerate them only for a
// change that is meant to alter what runs store: CODELOOP_UPDATE_GOLDEN=1 npx vitest run <this file>
// && npx biome format --write tests/strategies/golden.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge, type JudgeService } from "../../src/judge/index.js";
import { type RunConfigInput, RunStore, parseRunConfig, runRun } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { RIGHT, WRONG, answer, doubleProblem, writeProblems } from "../e2e/fixtures.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../helpers/chat-server.js";

const GOLDEN = resolve(__dirname, "golden");
const update = process.env.CODELOOP_UPDATE_GOLDEN === "1";
const tmp = mkdtempSync(join(tmpdir(), "codeloop-golden-"));
const source = join(tmp, "problems.jsonl");
let sb: Sandbox;
let server: ChatServer;

/** No fence: an answer without code. */
const PROSE = "I would read n and print twice its value.";
const OVERFIT = "n = int(input())\nprint({1111: 2222, 5555: 11110, 7777: 15554}.get(n, -1))\n";

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The scripted model: a function of the request alone (its seed and messages), so every run
 * of a config gets the same answers. Prose-only requests (reasoning steps) get prose; code
 * requests get one of five answers, drawn by the seed, with later turns likelier right.
 */
function respond(r: ChatServerRequest): string {
  const msgs = r.body.messages as { role: string; content: string }[];
  const last = msgs.filter((m) => m.role === "user").at(-1)?.content ?? "";
  if (/do not write any code/i.test(last)) return `Reasoning ${hash(last) % 97}: the samples double n.`;
  // First answers are mostly wrong (an eighth right, an eighth overfit), later ones mostly right.
  const later = msgs.some((m) => m.role === "assistant");
  const first = [WRONG, PROSE, WRONG, OVERFIT, RIGHT, WRONG, PROSE, WRONG];
  const after = [WRONG, RIGHT, RIGHT, OVERFIT, PROSE, RIGHT];
  const pool = later ? after : first;
  const code = pool[hash(`${r.body.seed}|${msgs.length}`) % pool.length]!;
  return code === PROSE ? PROSE : answer(code);
}

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 2, uidBase: 61500 });
  server = await startChatServer({ respond });
  await writeProblems(source, [doubleProblem("g0"), doubleProblem("g1"), doubleProblem("g2")]);
});
afterAll(async () => {
  await server?.close();
  await sb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** What a run stored, minus what legitimately differs between runs (times, latency, cache). */
function stored(folder: string) {
  const store = RunStore.open(folder);
  try {
    return [...store.trajectories()].map((t) => {
      const d = store.trajectoryDetail(t)!;
      return {
        key: `${d.problemId}#${d.trajectory}`,
        status: d.status,
        error: d.error,
        submitted: [d.submittedTurn, d.submittedCandidate],
        grade: d.grade && [d.grade.verdict, d.grade.passed, d.grade.total],
        turnGrades: d.turnGrades.map((g) => [g.turn, g.candidate, g.grade.verdict, g.grade.passed]),
        turns: d.turns.map((u) => ({
          index: u.index,
          parent: [u.parentTurn, u.parentCandidate],
          history: u.history,
          selection: u.selection ?? null,
          messages: u.messages,
          candidates: u.candidates.map((c) => ({
            index: c.index,
            raw: c.rawAnswer,
            code: c.code,
            extraction: c.extraction,
            finish: c.finishReason,
            tokens: [c.promptTokens, c.completionTokens],
            seed: c.seed,
            error: c.modelError,
            public: c.publicTests && [c.publicTests.verdict, c.publicTests.passed, c.publicTests.total],
            selected: c.selected,
            score: c.verifierScore,
          })),
        })),
      };
    });
  } finally {
    store.close();
  }
}

const CASES: Record<string, Partial<RunConfigInput>> = {
  "single-turn": { strategy: { kind: "single-turn" }, trajectoriesPerProblem: 3 },
  "multi-turn": { strategy: { kind: "multi-turn", maxTurns: 3 }, feedback: { kind: "failed-test" } },
  "cot-retry": {
    strategy: {
      kind: "cot-retry",
      maxTurns: 3,
      cot: [
        {},
        { reasoning: "reasoning.explain-samples" },
        { instruction: "instruction.naive-then-improve" },
      ],
    },
    feedback: { kind: "all-tests" },
    seed: 29,
  },
  "best-of-n": {
    strategy: { kind: "best-of-n", candidatesPerTurn: 4, maxTurns: 2, selection: "public-tests+verifier" },
    grading: { gradeEveryTurn: true },
  },
};

describe("what the linear strategies store (pinned)", () => {
  for (const [name, over] of Object.entries(CASES)) {
    it(`${name} stores the pinned turns, candidates, seeds and verdicts`, async () => {
      const folder = join(tmp, name);
      const config = parseRunConfig({
        benchmark: { source },
        model: `openai:${server.url}#scripted`,
        cache: { enabled: false },
        concurrency: { model: 4, sandbox: 2 },
        seed: 17,
        trajectoriesPerProblem: 2,
        ...over,
        ...(name === "best-of-n"
          ? { strategy: { ...(over.strategy as object), verifier: "embedded:/golden/never-built.json" } }
          : {}),
      } as RunConfigInput);
      // A verifier of our own that prefers shorter code: deterministic, and it breaks PT ties.
      const verifier = {
        score: async (inputs: readonly { code: string }[]) => inputs.map((i) => 1 / (1 + i.code.length)),
      };
      await runRun({ folder, config }, { sandbox: sb, ...(name === "best-of-n" ? { verifier } : {}) });
      const got = stored(folder);
      const file = join(GOLDEN, `${name}.json`);
      if (update || !existsSync(file)) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, `${JSON.stringify(got, null, 1)}\n`);
        if (!update) throw new Error(`${file} did not exist: written now; check it and commit it`);
      }
      expect(got).toEqual(JSON.parse(readFileSync(file, "utf8")));
      // The pinned run is not trivial: several turns, answers without code, both verdicts.
      const turns = got.flatMap((t) => t.turns);
      if (name !== "single-turn") expect(turns.length).toBeGreaterThan(got.length);
      expect(got.some((t) => t.grade?.[0] === "accepted")).toBe(true);
      expect(got.some((t) => t.grade?.[0] !== "accepted")).toBe(true);
    }, 120_000);
  }

  it("a run through another JudgeService (the executor seam) stores the same multi-turn run", async () => {
    const folder = join(tmp, "service");
    const local = new Judge(sb);
    let calls = 0;
    // A judge service that is not the local Judge class: what a queue client is to runs.
    const judge: JudgeService = {
      capacity: 3,
      judge: (...a) => {
        calls++;
        return local.judge(...a);
      },
      traceTest: (...a) => local.traceTest(...a),
    };
    const config = parseRunConfig({
      benchmark: { source },
      model: `openai:${server.url}#scripted`,
      cache: { enabled: false },
      concurrency: { model: 4, sandbox: 2 },
      seed: 17,
      trajectoriesPerProblem: 2,
      ...CASES["multi-turn"],
    } as RunConfigInput);
    await runRun({ folder, config }, { sandbox: sb, judge });
    expect(calls).toBeGreaterThan(6);
    expect(stored(folder)).toEqual(JSON.parse(readFileSync(join(GOLDEN, "multi-turn.json"), "utf8")));
  }, 120_000);
});
