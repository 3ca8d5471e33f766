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
import { Judge, type JudgeOptions, type JudgeService, type Submission } from "../../src/judge/index.js";
import { type RunConfigInput, parseRunConfig, runRun } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { doubleProblem, writeProblems } from "../e2e/fixtures.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { failingJudge } from "../helpers/failing-judge.js";
import { respond, stored } from "./golden-model.js";

const GOLDEN = resolve(__dirname, "golden");
const update = process.env.CODELOOP_UPDATE_GOLDEN === "1";
const tmp = mkdtempSync(join(tmpdir(), "codeloop-golden-"));
const source = join(tmp, "problems.jsonl");
let sb: Sandbox;
let server: ChatServer;

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
      slots: 2,
      judge: (...a) => {
        calls++;
        return local.judge(...a);
      },
      traceTest: (...a) => local.traceTest(...a),
    };
    const config = multiTurnConfig({ model: 4, sandbox: 2 }, 2);
    await runRun({ folder, config }, { sandbox: sb, judge });
    expect(calls).toBeGreaterThan(6);
    expect(stored(folder)).toEqual(JSON.parse(readFileSync(join(GOLDEN, "multi-turn.json"), "utf8")));
  }, 120_000);

  it("the sandbox failing twice on a turn's public tests fails that trajectory before the turn is stored; --retry-failed then stores the pinned run", async () => {
    const folder = join(tmp, "infra");
    const local = new Judge(sb);
    // Until the run is resumed, public judging (every test run, for the feedback) of the first
    // program judged fails, the way the Judge reports a sandbox that could not run a test.
    let broken: string | undefined;
    let healthy = false;
    const judge = failingJudge(local, (submission, opts) => {
      if (healthy || opts.stopOnFirstFailure !== false) return false;
      broken ??= submission.code;
      return submission.code === broken;
    });
    const config = multiTurnConfig({ model: 1, sandbox: 1 }, 2);
    const first = await runRun({ folder, config }, { sandbox: sb, judge });
    // The trajectories that judged that program failed, naming the sandbox; the others went on.
    expect(first.progress.failed).toBeGreaterThanOrEqual(1);
    expect(first.progress.finished).toBe(first.progress.total);
    const run = stored(folder);
    expect(JSON.stringify(run)).toMatch(
      /the sandbox failed twice judging problem .* on its public tests: an infrastructure failure, not the program's verdict/,
    );
    // Nothing built on the failure was stored: no sandbox_error verdict, no feedback about it.
    expect(JSON.stringify(run)).not.toContain('"sandbox_error"');
    expect(JSON.stringify(run)).not.toMatch(/sandbox setup failed|infrastructure failure \(after/);
    healthy = true;
    await runRun({ folder }, { sandbox: sb, judge, retryFailed: true });
    expect(stored(folder)).toEqual(JSON.parse(readFileSync(join(GOLDEN, "multi-turn.json"), "utf8")));
  }, 120_000);

  it("a sandbox that fails on every program stops the run after 8 trajectories in a row, resumably", async () => {
    const judge = failingJudge(new Judge(sb), () => true);
    const config = multiTurnConfig({ model: 1, sandbox: 1 }, 12);
    await expect(runRun({ folder: join(tmp, "broken"), config }, { sandbox: sb, judge })).rejects.toThrow(
      /the sandbox failed on \d+ trajectories in a row .*continue with: codeloop run --resume .* --retry-failed/,
    );
  }, 120_000);
});

/** The pinned multi-turn case against the scripted model, with these concurrency and trajectories. */
function multiTurnConfig(concurrency: { model: number; sandbox: number }, trajectoriesPerProblem: number) {
  return parseRunConfig({
    benchmark: { source },
    model: `openai:${server.url}#scripted`,
    cache: { enabled: false },
    concurrency,
    seed: 17,
    trajectoriesPerProblem,
    ...CASES["multi-turn"],
  } as RunConfigInput);
}
