// A whole run through QueueJudge (an in-process judge worker on a real redis-server) stores
// what a local run stores: the pinned multi-turn run of tests/strategies/golden.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../src/judge/index.js";
import {
  type JudgeWorker,
  QueueJudge,
  QueueUnavailableError,
  startJudgeWorker,
} from "../../src/queue/index.js";
import { type RunConfigInput, RunStore, parseRunConfig, runRun } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { doubleProblem, writeProblems } from "../e2e/fixtures.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { respond, stored } from "../strategies/golden-model.js";
import { HAVE_REDIS, RedisServer } from "./redis.js";

const GOLDEN = resolve(__dirname, "../strategies/golden/multi-turn.json");
describe.skipIf(!HAVE_REDIS)("a run through QueueJudge", () => {
  const tmp = mkdtempSync(join(tmpdir(), "codeloop-queue-run-"));
  const source = join(tmp, "problems.jsonl");
  let redis: RedisServer;
  let sb: Sandbox;
  let worker: JudgeWorker;
  let server: ChatServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
    sb = await Sandbox.create({ workers: 2, uidBase: 58300 });
    worker = await startJudgeWorker({ url: redis.url, slots: 2, judge: new Judge(sb) });
    server = await startChatServer({ respond });
    await writeProblems(source, [doubleProblem("g0"), doubleProblem("g1"), doubleProblem("g2")]);
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    await worker?.close();
    await sb?.close();
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("stores the same multi-turn run as a local run (the pinned one)", async () => {
    const judge = await QueueJudge.connect({ url: redis.url });
    try {
      const config = parseRunConfig({
        benchmark: { source },
        model: `openai:${server.url}#scripted`,
        cache: { enabled: false },
        concurrency: { model: 4, sandbox: 2 },
        seed: 17,
        trajectoriesPerProblem: 2,
        strategy: { kind: "multi-turn", maxTurns: 3 },
        feedback: { kind: "failed-test" },
      } as RunConfigInput);
      const folder = join(tmp, "run");
      await runRun({ folder, config }, { sandbox: sb, judge });
      expect(worker.done).toBeGreaterThan(6);
      expect(stored(folder)).toEqual(JSON.parse(readFileSync(GOLDEN, "utf8")));
    } finally {
      await judge.close();
    }
  }, 90_000);

  it("Redis gone mid-run: the run stops with a resumable error naming the URL, no verdict stored; resumed, it stores the pinned run", async () => {
    const config = parseRunConfig({
      benchmark: { source },
      model: `openai:${server.url}#scripted`,
      cache: { enabled: false },
      concurrency: { model: 4, sandbox: 2 },
      seed: 17,
      trajectoriesPerProblem: 2,
      strategy: { kind: "multi-turn", maxTurns: 3 },
      feedback: { kind: "failed-test" },
    } as RunConfigInput);
    const folder = join(tmp, "down");
    const judge = await QueueJudge.connect({ url: redis.url, unavailableMs: 1000, pollMs: 300 });
    await redis.stop();
    try {
      const err = await runRun({ folder, config }, { sandbox: sb, judge }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueueUnavailableError);
      expect((err as Error).message).toContain(redis.url);
    } finally {
      await judge.close();
    }
    const store = RunStore.open(folder);
    try {
      const finished = [...store.trajectories()].filter(
        (t) => store.trajectoryDetail(t)!.status !== "pending",
      );
      expect(finished.filter((t) => store.trajectoryDetail(t)!.grade)).toEqual([]);
    } finally {
      store.close();
    }
    await redis.start();
    const again = await QueueJudge.connect({ url: redis.url });
    try {
      await runRun({ folder }, { sandbox: sb, judge: again });
    } finally {
      await again.close();
    }
    expect(stored(folder)).toEqual(JSON.parse(readFileSync(GOLDEN, "utf8")));
  }, 90_000);
});
