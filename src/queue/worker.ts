import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { UnrecoverableError, Worker } from "bullmq";
import type { JudgeSpec, TestCase } from "../core/verdict.js";
import { JUDGE_VERSION, Judge, type JudgeService } from "../judge/index.js";
import { Sandbox, type SandboxOptions } from "../sandbox/index.js";
import { settleWithin } from "./client.js";
import { contentHash, decode, encode } from "./codec.js";
import { WatchedRedis, displayUrl } from "./connection.js";
import {
  DEFAULT_QUEUE_NAME,
  FAIL_TAG,
  type JudgeJobData,
  type TraceJobData,
  testsKey,
  workerKeyPrefix,
} from "./protocol.js";
import { type QueueSecret, signFailure, signResult, unsignedWarning, verifyJob } from "./signing.js";

export interface JudgeWorkerOptions {
  url: string;
  queueName?: string;
  /** Sandbox slots, and jobs judged at once. Default 1. */
  slots?: number;
  /** Sandbox options for the local sandbox (workers is `slots`). */
  sandbox?: Omit<SandboxOptions, "workers">;
  /** Judge to use instead of one over a new sandbox (in-process workers of tests and benches). */
  judge?: JudgeService;
  /** A job's lock lasts this long unless renewed (every half of it) by a live worker. Default 30 s. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired (a worker died) and give them to others. Default 30 s. */
  stalledIntervalMs?: number;
  /** A job may be picked up again after a dead worker this many times before it fails. Default 2. */
  maxStalledCount?: number;
  /** Bytes of test-set JSON kept in memory by hash. Default 256 MiB. */
  testsCacheBytes?: number;
  /** Judge version this worker claims (tests); default JUDGE_VERSION. */
  judgeVersion?: string;
  /**
   * Shared secret (see signing.ts): only jobs signed with it are run, and results and failures
   * are signed for their job. Without one every job is run (a warning is logged).
   */
  secret?: QueueSecret;
  log?: (line: string) => void;
}

export interface JudgeWorker {
  readonly id: string;
  readonly slots: number;
  /** Jobs finished (completed or failed) by this worker. */
  readonly done: number;
  close(): Promise<void>;
}

/**
 * A judge worker: takes judge jobs off the queue, `slots` at a time, and judges each on its own
 * sandbox with the local Judge. A job of another judge version is refused (it fails at once with
 * a message the client surfaces, and a log line here): verdicts of different judges never mix.
 */
export async function startJudgeWorker(options: JudgeWorkerOptions): Promise<JudgeWorker> {
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const slots = options.slots ?? 1;
  const version = options.judgeVersion ?? JUDGE_VERSION;
  const log = options.log ?? (() => {});
  const secret = options.secret;
  if (!secret) log(unsignedWarning("worker"));
  const where = `${displayUrl(options.url)} (${queueName})`;
  const id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  let sandbox: Sandbox | undefined;
  let judge = options.judge;
  if (!judge) {
    sandbox = await Sandbox.create({ ...options.sandbox, workers: slots });
    judge = new Judge(sandbox);
  }
  const local = judge;
  const conn = new WatchedRedis(options.url);
  let warnedDown = false;
  conn.redis.on("error", () => {
    if (!warnedDown) {
      warnedDown = true;
      log(`codeloop worker: Redis at ${displayUrl(options.url)} unreachable (${conn.reason()}); retrying`);
    }
  });
  conn.onReady(() => {
    if (warnedDown) log(`codeloop worker: reconnected to ${displayUrl(options.url)}`);
    warnedDown = false;
  });

  // Test sets by hash, least recently used dropped first; specs interned by hash, so the
  // Judge's per-validator caches (compiled checkers) survive from job to job.
  const cacheBytes = options.testsCacheBytes ?? 256 * 1024 * 1024;
  const testsCache = new Map<string, { tests: TestCase[]; bytes: number }>();
  let cachedBytes = 0;
  const specs = new Map<string, JudgeSpec>();
  const testsFor = async (hash: string): Promise<TestCase[]> => {
    const hit = testsCache.get(hash);
    if (hit) {
      testsCache.delete(hash);
      testsCache.set(hash, hit);
      return hit.tests;
    }
    const json = await conn.redis.get(testsKey(queueName, hash));
    if (json === null) throw new JobFailure(`${FAIL_TAG.testsMissing} ${hash}`);
    const tests = decode<TestCase[]>(json);
    if (contentHash(tests).hash !== hash)
      throw new JobFailure(`${FAIL_TAG.badJob} test set ${hash} does not match its hash`);
    testsCache.set(hash, { tests, bytes: json.length });
    cachedBytes += json.length;
    for (const [k, v] of testsCache) {
      if (cachedBytes <= cacheBytes || testsCache.size <= 1) break;
      testsCache.delete(k);
      cachedBytes -= v.bytes;
    }
    return tests;
  };
  const internSpec = (spec: JudgeSpec): JudgeSpec => {
    const { hash } = contentHash(spec);
    let s = specs.get(hash);
    if (!s) {
      s = spec;
      specs.set(hash, s);
      if (specs.size > 1000) specs.delete(specs.keys().next().value!);
    }
    return s;
  };

  let done = 0;
  const worker = new Worker(
    queueName,
    async (job) => {
      const data = job.data as JudgeJobData | TraceJobData;
      const nonce = typeof data?.nonce === "string" ? data.nonce : "";
      // Results and failures are signed for this job's nonce, so none can be moved to another.
      const seal = (text: string) => (secret ? signResult(secret, nonce, text) : text);
      const fail = (reason: string) =>
        new UnrecoverableError(secret ? signFailure(secret, nonce, reason) : reason);
      if (secret && (nonce === "" || !verifyJob(secret, job.name, data ?? {}))) {
        log(
          `codeloop worker: REFUSED job ${job.id}: it is not signed with this worker's queue secret (a forged job, or a client without the same --secret-file)`,
        );
        throw fail(
          `${FAIL_TAG.unsigned} worker ${id} runs only jobs signed with its queue secret; give the client the same --secret-file (or CODELOOP_QUEUE_SECRET)`,
        );
      }
      if (data.judgeVersion !== version) {
        log(
          `codeloop worker: REFUSED job ${job.id}: it was made for judge ${data.judgeVersion}, this worker judges with ${version}`,
        );
        throw fail(
          `${FAIL_TAG.version} the job was made for judge ${String(data.judgeVersion)}, worker ${id} judges with ${version}; run workers and clients of the same codeloop version`,
        );
      }
      try {
        if (job.name === "trace") {
          const d = data as TraceJobData;
          const trace = await local.traceTest(internSpec(d.spec), d.test, d.submission, d.opts);
          return seal(encode({ trace }));
        }
        if (job.name !== "judge") throw new JobFailure(`${FAIL_TAG.badJob} unknown job kind '${job.name}'`);
        const d = data as JudgeJobData;
        const tests = await testsFor(d.testsHash);
        const result = await local.judge(internSpec(d.spec), tests, d.submission, d.opts);
        return seal(encode(result));
      } catch (err) {
        if (err instanceof JobFailure) throw fail(err.message);
        // The Judge threw: what it throws is about the request (a test of the wrong kind, a
        // validator that does not compile), and the client rethrows it as the local Judge would.
        throw fail(`${FAIL_TAG.judge} ${(err as Error).message}`);
      }
    },
    {
      connection: conn.redis,
      concurrency: slots,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 2,
      autorun: true,
    },
  );
  worker.on("error", () => {});
  worker.on("completed", () => done++);
  worker.on("failed", () => done++);

  // Registration: clients size their capacity by the slots of the workers registered.
  const regKey = `${workerKeyPrefix(queueName)}${id}`;
  const register = () => conn.redis.set(regKey, String(slots), "PX", 15_000).catch(() => {});
  // Registered before it says it is up (unless Redis is not there yet: the heartbeat retries).
  await settleWithin(register(), 2000);
  const heartbeat = setInterval(register, 5000);
  heartbeat.unref();
  log(`codeloop worker ${id}: ${slots} slot(s), judge ${version}, on ${where}`);

  return {
    id,
    slots,
    get done() {
      return done;
    },
    async close() {
      clearInterval(heartbeat);
      if (conn.downSince !== undefined) {
        // Redis out of reach: running jobs cannot report anyway (others take them over).
        conn.redis.disconnect();
        await settleWithin(worker.close(true), 3000);
      } else {
        await worker.close();
        await settleWithin(conn.redis.del(regKey), 1000);
      }
      await conn.close();
      await sandbox?.close();
    },
  };
}

/** A job's own failure (not the Judge's): its message is the tagged reason the client reads. */
class JobFailure extends Error {}
