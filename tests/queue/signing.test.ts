// Signed jobs and results on a real redis-server. Whoever can write to Redis is the adversary
// here: it forges an "accepted" result, moves a genuine accepted result onto another job,
// forges a judge error, writes its own jobs, or edits a signed job's program before a worker
// takes it. None of that may become a verdict or run code.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JudgeSpec, TestCase } from "../../src/core/verdict.js";
import { Judge, type JudgeResult } from "../../src/judge/index.js";
import {
  type JudgeWorker,
  QueueJobError,
  QueueJudge,
  QueueSecretError,
  QueueSignatureError,
  encodeQueueJson,
  loadQueueSecret,
  startJudgeWorker,
} from "../../src/queue/index.js";
import { signFailure, signResult } from "../../src/queue/signing.js";
import { DEFAULT_LIMITS, Sandbox } from "../../src/sandbox/index.js";
import { HAVE_REDIS, RedisServer } from "./redis.js";

const spec: JudgeSpec = { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } };
const tests: TestCase[] = [1, 2, 3].map((n) => ({ kind: "stdio", input: `${n}\n`, output: `${2 * n}\n` }));
const limits = { ...DEFAULT_LIMITS, timeMs: 1000, wallMs: 3000 };
const RIGHT = { language: "python", code: "print(2 * int(input()))\n" };
const WRONG = { language: "python", code: "print(0)\n" };
const SECRET = Buffer.from("a shared secret of enough bytes");
const OTHER = Buffer.from("another secret, also long enough");

/** An "accepted" JudgeResult as a forger would write it. */
const FORGED: JudgeResult = {
  verdict: "accepted",
  passed: tests.length,
  total: tests.length,
  tests: [],
} as unknown as JudgeResult;

describe.skipIf(!HAVE_REDIS)("signed queue jobs and results", () => {
  let redis: RedisServer;
  let sb: Sandbox;
  let queueNo = 0;
  const cleanup: (() => Promise<unknown>)[] = [];
  const connection = () => ({ host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null });

  beforeAll(async () => {
    redis = await RedisServer.start();
    sb = await Sandbox.create({ workers: 1, uidBase: 58300 });
  }, 30_000);
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    await sb?.close();
    await redis?.stop();
  });

  async function genuineWorker(
    queueName: string,
    secret?: Buffer,
    logs: string[] = [],
  ): Promise<JudgeWorker> {
    const w = await startJudgeWorker({
      url: redis.url,
      queueName,
      judge: new Judge(sb),
      ...(secret ? { secret } : {}),
      log: (m) => logs.push(m),
    });
    cleanup.push(() => w.close());
    return w;
  }
  async function client(queueName: string, secret?: Buffer, logs: string[] = []): Promise<QueueJudge> {
    const c = await QueueJudge.connect({
      url: redis.url,
      queueName,
      capacity: 4,
      unavailableMs: 5000,
      pollMs: 300,
      ...(secret ? { secret } : {}),
      log: (m) => logs.push(m),
    });
    cleanup.push(() => c.close());
    return c;
  }
  /** A process on the queue that is not a codeloop worker: answers every job with `answer`. */
  function forger(queueName: string, answer: (job: Job) => string | Promise<string>): Worker {
    const w = new Worker(queueName, async (job) => answer(job), { connection: connection() });
    w.on("error", () => {});
    cleanup.push(() => w.close());
    return w;
  }
  const fresh = () => `sig-test-${++queueNo}`;

  it("judges through signed jobs and results as the local Judge does", async () => {
    const q = fresh();
    const logs: string[] = [];
    await genuineWorker(q, SECRET, logs);
    const c = await client(q, SECRET, logs);
    expect((await c.judge(spec, tests, RIGHT, { limits })).verdict).toBe("accepted");
    expect((await c.judge(spec, tests, WRONG, { limits })).verdict).toBe("wrong_answer");
    const trace = await c.traceTest(spec, tests[0]!, RIGHT, { limits });
    expect(trace?.events.length).toBeGreaterThan(0);
    expect(logs.join("\n")).not.toMatch(/WARNING/);
  }, 30_000);

  it("refuses an unsigned forged 'accepted' result, and one signed with another secret", async () => {
    const q = fresh();
    const c = await client(q, SECRET);
    const forgers = [
      forger(q, () => encodeQueueJson(FORGED)),
      forger(q, (job) => signResult(OTHER, String(job.data.nonce), encodeQueueJson(FORGED))),
    ];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => c.judge(spec, tests, WRONG, { limits })),
    );
    for (const o of outcomes) {
      expect(o.status).toBe("rejected");
      const err = (o as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(QueueSignatureError);
      expect(err.resumable).toBe(true);
      expect(String(err.message)).toMatch(/not signed with the queue secret/);
    }
    for (const f of forgers) await f.close();
  }, 30_000);

  it("refuses a genuine accepted result replayed onto another job", async () => {
    const q = fresh();
    const w = await genuineWorker(q, SECRET);
    const c = await client(q, SECRET);
    expect((await c.judge(spec, tests, RIGHT, { limits })).verdict).toBe("accepted");
    // The forger reads the genuine signed result of that job from Redis...
    const queue = new Queue(q, { connection: connection() });
    cleanup.push(() => queue.close());
    const [done] = await queue.getJobs(["completed"]);
    const genuine = done!.returnvalue as string;
    expect(genuine).toMatch(/"sig"/);
    await w.close();
    // ...and answers the next job, the wrong program, with it.
    forger(q, () => genuine);
    await expect(c.judge(spec, tests, WRONG, { limits })).rejects.toBeInstanceOf(QueueSignatureError);
  }, 30_000);

  it("does not take a forged judge error as the Judge's word: it is an infrastructure failure", async () => {
    const q = fresh();
    const c = await client(q, SECRET);
    const f = forger(q, () => {
      throw new Error("codeloop-queue/judge-error: the checker does not compile");
    });
    const err = await c.judge(spec, tests, WRONG, { limits }).catch((e) => e);
    expect(err).toBeInstanceOf(QueueJobError);
    expect(err.message).toMatch(/infrastructure/);
    await f.close();
    // A genuine signed judge error is still the Judge's (an unknown test kind here).
    await genuineWorker(q, SECRET);
    const bad = [{ kind: "nonsense" } as unknown as TestCase];
    const real = await c.judge(spec, bad, RIGHT, { limits }).catch((e) => e);
    expect(real).toBeInstanceOf(Error);
    expect(real).not.toBeInstanceOf(QueueJobError);
    // And a signature cannot be lifted from one failure onto another job's.
    expect(signFailure(SECRET, "nonce-a", "x")).not.toBe(signFailure(SECRET, "nonce-b", "x"));
  }, 30_000);

  it("a worker with a secret runs no unsigned, wrongly signed or edited job, and says so", async () => {
    const q = fresh();
    const logs: string[] = [];
    await genuineWorker(q, SECRET, logs);
    // A client without the secret, and one with another secret.
    for (const secret of [undefined, OTHER]) {
      const c = await client(q, secret);
      const err = await c.judge(spec, tests, RIGHT, { limits }).catch((e) => e);
      expect(err).toBeInstanceOf(QueueJobError);
      expect(err.message).toMatch(/refused job .*signed with its queue secret/);
    }
    expect(logs.filter((l) => l.includes("REFUSED"))).toHaveLength(2);

    // A signed job whose wrong program is swapped for a right one in Redis before a worker
    // takes it: were it run, it would be "accepted".
    const q2 = fresh();
    const c = await client(q2, SECRET);
    const probe = new Redis(redis.url);
    cleanup.push(async () => probe.disconnect());
    const pending = c.judge(spec, tests, WRONG, { limits }).catch((e) => e);
    let key: string | undefined;
    for (let i = 0; i < 100 && !key; i++) {
      key = (await probe.keys(`bull:${q2}:[0-9]*`))[0];
      if (!key) await new Promise((r) => setTimeout(r, 50));
    }
    const data = JSON.parse((await probe.hget(key!, "data"))!);
    data.submission.code = RIGHT.code;
    await probe.hset(key!, "data", JSON.stringify(data));
    const logs2: string[] = [];
    await genuineWorker(q2, SECRET, logs2);
    const err = await pending;
    expect(err).toBeInstanceOf(QueueJobError);
    expect(logs2.some((l) => l.includes("REFUSED"))).toBe(true);
  }, 60_000);

  it("warns once on each side when there is no secret", async () => {
    const q = fresh();
    const logs: string[] = [];
    await genuineWorker(q, undefined, logs);
    const c = await client(q, undefined, logs);
    expect((await c.judge(spec, tests, RIGHT, { limits })).verdict).toBe("accepted");
    const warnings = logs.filter((l) => l.includes("WARNING: no queue secret"));
    expect(warnings).toHaveLength(2);
    expect(warnings.join("\n")).toMatch(/--secret-file or CODELOOP_QUEUE_SECRET/);
  }, 30_000);
});

describe("the queue secret", () => {
  const dir = mkdtempSync(join(tmpdir(), "codeloop-secret-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("comes from --secret-file (trimmed) or CODELOOP_QUEUE_SECRET, and must be long enough", () => {
    const file = join(dir, "secret");
    writeFileSync(file, `${SECRET.toString()}\n`);
    expect(loadQueueSecret(file, {})?.equals(SECRET)).toBe(true);
    expect(loadQueueSecret(undefined, { CODELOOP_QUEUE_SECRET: OTHER.toString() })?.equals(OTHER)).toBe(true);
    expect(loadQueueSecret(undefined, {})).toBeUndefined();
    writeFileSync(file, "short\n");
    expect(() => loadQueueSecret(file, {})).toThrow(QueueSecretError);
    expect(() => loadQueueSecret(file, {})).toThrow(/--secret-file .*secret: the queue secret is 5 bytes/);
    expect(() => loadQueueSecret(join(dir, "absent"), {})).toThrow(/--secret-file .*absent: ENOENT/);
  });

  it("codeloop worker and run name an unusable secret file in one line", () => {
    const file = join(dir, "short");
    writeFileSync(file, "short");
    const cli = resolve("dist/cli/index.js");
    for (const args of [
      ["worker", "--queue", "redis://127.0.0.1:1", "--secret-file", file],
      ["problems", "validate", dir, "--queue", "redis://127.0.0.1:1", "--secret-file", file],
    ]) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 30_000 });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`--secret-file ${file}: the queue secret is 5 bytes`));
    }
  });
});
