// QueueJudge against an in-process judge worker on a real redis-server: the same verdicts as
// the local Judge, test sets stored once by hash, a version mismatch refused loudly, and Redis
// stopped mid-job giving a clear error instead of a verdict.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JudgeSpec, TestCase } from "../../src/core/verdict.js";
import { Judge, type JudgeResult } from "../../src/judge/index.js";
import {
  type JudgeWorker,
  QueueJobError,
  QueueJudge,
  QueueUnavailableError,
  decodeQueueJson,
  encodeQueueJson,
  startJudgeWorker,
} from "../../src/queue/index.js";
import { DEFAULT_LIMITS, Sandbox } from "../../src/sandbox/index.js";
import { HAVE_REDIS, RedisServer } from "./redis.js";

const spec: JudgeSpec = { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } };
const tests: TestCase[] = [1, 2, 3, 40].map((n) => ({
  kind: "stdio",
  input: `${n}\n`,
  output: `${2 * n}\n`,
}));
const limits = { ...DEFAULT_LIMITS, timeMs: 1000, wallMs: 3000 };
const PROGRAMS = {
  accepted: { language: "python", code: "print(2 * int(input()))\n" },
  wrong: { language: "python", code: "n = int(input())\nprint(2 * n if n < 3 else 0)\n" },
  tle: { language: "python", code: "n = int(input())\nwhile n < 3: pass\nprint(2 * n)\n" },
  runtime: { language: "python", code: "raise SystemExit(3)\n" },
  compile: { language: "cpp", code: "int main( { return 0; }\n" },
} as const;

/** What a caller reads of a result, without the measured times. */
function shape(r: JudgeResult) {
  return {
    verdict: r.verdict,
    passed: r.passed,
    total: r.total,
    infra: r.infrastructureFailure,
    compile: r.compile ? { verdict: r.compile.verdict, hasStderr: r.compile.stderr.length > 0 } : undefined,
    tests: r.tests.map((t) => ({
      index: t.index,
      verdict: t.verdict,
      message: t.message,
      exit: t.record.exitCode,
      stdout: t.record.stdout,
      run: t.record.verdict,
    })),
  };
}

describe.skipIf(!HAVE_REDIS)("QueueJudge with an in-process worker", () => {
  let redis: RedisServer;
  let sb: Sandbox;
  let worker: JudgeWorker;
  let client: QueueJudge;
  const logs: string[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    sb = await Sandbox.create({ workers: 2, uidBase: 58100 });
    worker = await startJudgeWorker({
      url: redis.url,
      slots: 2,
      judge: new Judge(sb),
      log: (m) => logs.push(m),
    });
    client = await QueueJudge.connect({ url: redis.url, unavailableMs: 2000, pollMs: 500 });
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await worker?.close();
    await sb?.close();
    await redis?.stop();
  });

  it("sizes its capacity by the registered workers' slots", () => {
    expect(client.capacity).toBe(4);
  });

  it("knows the workers' slots, which validate cuts large test sets by", () => {
    expect(client.slots).toBe(2);
  });

  it("a job whose end is announced before queue.add answers is read back, not left to the slow poll", async () => {
    // About 3% of jobs in bench:queue end (their 'completed' event read) before the client has
    // read queue.add's reply. Here every reply is held back 400 ms, so every event comes first;
    // with the periodic poll a minute away, only reading the job back can answer in time.
    const slow = await QueueJudge.connect({ url: redis.url, unavailableMs: 2000, pollMs: 60_000 });
    try {
      const queue = (slow as unknown as { queue: { add: (...a: unknown[]) => Promise<unknown> } }).queue;
      const add = queue.add.bind(queue);
      queue.add = async (...a: unknown[]) => {
        const job = await add(...a);
        await new Promise((r) => setTimeout(r, 400));
        return job;
      };
      const t0 = Date.now();
      const results = await Promise.all(
        [0, 1, 2, 3].map(() => slow.judge(spec, tests, PROGRAMS.accepted, { limits })),
      );
      expect(results.map((r) => r.verdict)).toEqual(["accepted", "accepted", "accepted", "accepted"]);
      expect(Date.now() - t0).toBeLessThan(20_000);
    } finally {
      await slow.close();
    }
  }, 40_000);

  it("gives the same verdicts as the local Judge (accepted, wrong, TLE, runtime error, compile error)", async () => {
    const local = new Judge(sb);
    for (const [name, sub] of Object.entries(PROGRAMS)) {
      for (const stop of [true, false]) {
        const opts = { limits, stopOnFirstFailure: stop };
        const [a, b] = await Promise.all([
          local.judge(spec, tests, sub, opts),
          client.judge(spec, tests, sub, opts),
        ]);
        expect(shape(b), `${name} stop=${stop}`).toEqual(shape(a));
      }
    }
    const r = await client.judge(spec, tests, PROGRAMS.tle, { limits });
    expect(r.verdict).toBe("time_limit");
    expect((await client.judge(spec, tests, PROGRAMS.compile, { limits })).verdict).toBe("compile_error");
  }, 60_000);

  it("stores a test set once under its content hash, and traces through the queue", async () => {
    const probe = new Redis(redis.url);
    try {
      const keys = await probe.keys("codeloop:codeloop-judge:tests:*");
      expect(keys.length).toBe(1);
      expect(await probe.pttl(keys[0]!)).toBeGreaterThan(0);
      // A key order change is the same set.
      const reordered = tests.map((t) =>
        t.kind === "stdio" ? { output: t.output, input: t.input, kind: t.kind } : t,
      );
      await client.judge(spec, reordered as TestCase[], PROGRAMS.accepted, { limits });
      expect((await probe.keys("codeloop:codeloop-judge:tests:*")).length).toBe(1);
      // Gone from Redis (expired): the client sends it again and the job goes through.
      await probe.del(keys[0]!);
      const fresh = new QueueJudge({ url: redis.url, unavailableMs: 2000 });
      try {
        await probe.del(keys[0]!);
        expect((await fresh.judge(spec, tests, PROGRAMS.accepted, { limits })).verdict).toBe("accepted");
      } finally {
        await fresh.close();
      }
    } finally {
      probe.disconnect();
    }
    const trace = await client.traceTest(spec, tests[0]!, PROGRAMS.accepted, { limits });
    const local = await new Judge(sb).traceTest(spec, tests[0]!, PROGRAMS.accepted, { limits });
    expect(trace?.events.map((e) => e.line)).toEqual(local?.events.map((e) => e.line));
  }, 30_000);

  it("carries Buffers and non-finite numbers across as they were", () => {
    const v = { b: Buffer.from([0, 255, 10]), n: Number.NaN, i: Number.POSITIVE_INFINITY, z: -0, s: "x" };
    const back = decodeQueueJson<typeof v>(encodeQueueJson(v));
    expect(Buffer.isBuffer(back.b) && back.b.equals(v.b)).toBe(true);
    expect(back.n).toBeNaN();
    expect(back.i).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(back.z, -0)).toBe(true);
  });

  it("a worker of another judge version refuses the job loudly, and the client throws", async () => {
    const other = new QueueJudge({ url: redis.url, judgeVersion: "codeloop-judge/0", unavailableMs: 2000 });
    try {
      const err = await other.judge(spec, tests, PROGRAMS.accepted, { limits }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueueJobError);
      expect((err as Error).message).toMatch(/refused .*codeloop-judge\/0.*codeloop-judge\/1/);
      expect(logs.some((l) => /REFUSED job .*codeloop-judge\/0/.test(l))).toBe(true);
    } finally {
      await other.close();
    }
  }, 20_000);

  it("an error of the request itself comes back as the local Judge's error", async () => {
    const bad = [{ kind: "function", args: [], expected: ["N"] }] as TestCase[];
    const local = await new Judge(sb)
      .judge(spec, bad, PROGRAMS.accepted, { limits })
      .catch((e: Error) => e.message);
    const remote = await client
      .judge(spec, bad, PROGRAMS.accepted, { limits })
      .catch((e: Error) => e.message);
    expect(remote).toBe(local);
  }, 20_000);
});

describe.skipIf(!HAVE_REDIS)("Redis out of reach", () => {
  it("connect names the URL when nothing listens", async () => {
    const r = await RedisServer.start();
    const url = r.url;
    await r.stop();
    const err = await QueueJudge.connect({ url }, 2000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueUnavailableError);
    expect((err as Error).message).toContain(url);
  }, 20_000);

  it("Redis stopped mid-job: a clear resumable error naming the URL, no verdict", async () => {
    const redis = await RedisServer.start();
    const sb = await Sandbox.create({ workers: 1, uidBase: 58200 });
    const worker = await startJudgeWorker({ url: redis.url, slots: 1, judge: new Judge(sb) });
    const client = await QueueJudge.connect({ url: redis.url, unavailableMs: 1500, pollMs: 300 });
    try {
      const slow = { language: "python", code: "import time\ntime.sleep(3)\nprint(2 * int(input()))\n" };
      const p = client.judge(spec, tests.slice(0, 1), slow, { limits: { ...limits, wallMs: 10_000 } });
      const settled = p.then(
        (v) => ({ v }),
        (e: unknown) => ({ e }),
      );
      await new Promise((r) => setTimeout(r, 800));
      await redis.stop();
      const out = (await settled) as { v?: JudgeResult; e?: Error };
      expect(out.v).toBeUndefined();
      expect(out.e).toBeInstanceOf(QueueUnavailableError);
      expect((out.e as QueueUnavailableError).resumable).toBe(true);
      expect(out.e!.message).toContain(redis.url);
      expect(out.e!.message).toMatch(/unreachable|lost/);
      // Back again (empty: no persistence): new calls work.
      await redis.start();
      await new Promise((r) => setTimeout(r, 1500));
      expect((await client.judge(spec, tests, PROGRAMS.accepted, { limits })).verdict).toBe("accepted");
    } finally {
      await client.close();
      await worker.close();
      await sb.close();
      await redis.stop();
    }
  }, 40_000);
});
