import { Job, Queue, QueueEvents } from "bullmq";
import type { JudgeSpec, TestCase } from "../core/verdict.js";
import {
  JUDGE_VERSION,
  type JudgeOptions,
  type JudgeResult,
  type JudgeService,
  type Submission,
} from "../judge/index.js";
import type { SandboxLimits, SandboxTrace } from "../sandbox/index.js";
import type { TraceOptions } from "../sandbox/types.js";
import { contentHash, decode, encode } from "./codec.js";
import { WatchedRedis, displayUrl } from "./connection.js";
import {
  DEFAULT_QUEUE_NAME,
  DEFAULT_TESTS_TTL_MS,
  FAIL_TAG,
  type JudgeJobData,
  QueueJobError,
  QueueSignatureError,
  QueueUnavailableError,
  type TraceJobData,
  testsKey,
  workerKeyPrefix,
} from "./protocol.js";
import { type QueueSecret, newNonce, openFailure, openResult, signJob, unsignedWarning } from "./signing.js";

export interface QueueJudgeOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  queueName?: string;
  /**
   * Judge jobs in flight (what runs size their sandbox gate by). Default: twice the slots of
   * the workers registered when `QueueJudge.connect` looked, else 8.
   */
  capacity?: number;
  /**
   * How long Redis may stay unreachable while a job is pending before the call throws
   * QueueUnavailableError (resumable, never a verdict). Default 60 s.
   */
  unavailableMs?: number;
  /** Pending jobs are also polled this often (events can be missed across a reconnect). Default 2 s. */
  pollMs?: number;
  /** Test-set expiry in Redis, refreshed by each use. Default 6 h. */
  testsTtlMs?: number;
  /** Judge version the jobs claim (tests use another to see a refusal); default JUDGE_VERSION. */
  judgeVersion?: string;
  /**
   * Shared secret (see signing.ts): jobs are signed with it and only results signed with it
   * for their job are taken. Without one, results are trusted as they come (a warning is logged).
   */
  secret?: QueueSecret;
  /** Called with notable events (reconnects, re-uploads). */
  log?: (line: string) => void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  epoch: number;
  nonce: string;
}

/**
 * A JudgeService whose judging happens in `codeloop worker` processes reading a BullMQ queue.
 * Each test set is stored once in Redis under the sha256 of its canonical JSON (SET NX with an
 * expiry) and jobs carry the hash; results come back as JSON and are rebuilt here. A job that
 * fails for infrastructure reasons, a refusal, or Redis out of reach throw (QueueError): the
 * caller never receives a verdict that the program did not earn.
 */
export class QueueJudge implements JudgeService {
  readonly capacity: number;
  readonly url: string;
  /** Slots of the workers registered when last looked (at connect, then every 15 s). */
  private registered: number;
  private slotsTimer: NodeJS.Timeout | undefined;
  readonly queueName: string;
  private readonly conn: WatchedRedis;
  private readonly eventsConn: WatchedRedis;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly pending = new Map<string, Pending>();
  /**
   * Ids of jobs whose end was announced while no call here waited for them: other clients'
   * jobs, or ours whose event came in before queue.add's answer did. Such a job of ours is read
   * back from Redis; the event itself is never trusted as its outcome.
   */
  private readonly unmatched = new Set<string>();
  /** Test sets known to be in Redis, with when this client last refreshed their expiry. */
  private readonly stored = new Map<string, number>();
  private readonly unavailableMs: number;
  private readonly pollMs: number;
  private readonly ttlMs: number;
  private readonly version: string;
  private readonly secret: QueueSecret | undefined;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: QueueJudgeOptions, discoveredSlots?: number) {
    this.url = options.url;
    this.queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.capacity = options.capacity ?? (discoveredSlots ? 2 * discoveredSlots : 8);
    this.registered = discoveredSlots ?? 0;
    this.unavailableMs = options.unavailableMs ?? 60_000;
    this.pollMs = options.pollMs ?? 2000;
    this.ttlMs = options.testsTtlMs ?? DEFAULT_TESTS_TTL_MS;
    this.version = options.judgeVersion ?? JUDGE_VERSION;
    this.log = options.log ?? (() => {});
    this.secret = options.secret;
    if (!this.secret) this.log(unsignedWarning("client"));
    this.conn = new WatchedRedis(options.url);
    this.eventsConn = new WatchedRedis(options.url);
    this.queue = new Queue(this.queueName, { connection: this.conn.redis });
    this.events = new QueueEvents(this.queueName, { connection: this.eventsConn.redis, autorun: true });
    // Errors are kept by WatchedRedis and reported per call; unhandled they would crash.
    this.queue.on("error", () => {});
    this.events.on("error", () => {});
    this.events.on("completed", ({ jobId, returnvalue }) => this.settle(jobId, { ok: returnvalue }));
    this.events.on("failed", ({ jobId, failedReason }) => this.settle(jobId, { failed: failedReason }));
    this.conn.onReady(() => {
      // Redis came back: it may be another server, or the same one without its data.
      if (this.conn.epoch > 1) {
        this.log(`codeloop: queue: reconnected to ${displayUrl(this.url)}`);
        this.stored.clear();
      }
    });
  }

  /**
   * Connects (failing with a clear message naming the URL when Redis cannot be reached within
   * `connectTimeoutMs`) and, without a configured capacity, sizes it by the registered workers.
   */
  static async connect(options: QueueJudgeOptions, connectTimeoutMs = 10_000): Promise<QueueJudge> {
    const probe = new WatchedRedis(options.url, { retryStrategy: () => null, lazyConnect: true });
    let slots = 0;
    try {
      await withTimeout(probe.redis.connect(), connectTimeoutMs, "timed out");
      slots = await registeredSlots(probe, options.queueName ?? DEFAULT_QUEUE_NAME);
    } catch (err) {
      throw new QueueUnavailableError(
        `cannot reach Redis at ${displayUrl(options.url)} (${probe.lastError ?? (err as Error).message}): start it, or check the --queue URL`,
      );
    } finally {
      probe.redis.disconnect();
    }
    const qj = new QueueJudge(options, slots);
    if (slots === 0 && options.capacity === undefined) {
      options.log?.(
        `codeloop: queue: no worker registered on ${displayUrl(options.url)} (${qj.queueName}) yet; capacity ${qj.capacity} (jobs wait for workers)`,
      );
    }
    return qj;
  }

  async judge(
    spec: JudgeSpec,
    tests: TestCase[],
    submission: Submission,
    opts: JudgeOptions,
  ): Promise<JudgeResult> {
    const { hash, json } = contentHash(tests);
    const data: JudgeJobData = {
      judgeVersion: this.version,
      spec,
      testsHash: hash,
      submission,
      opts,
    };
    for (let attempt = 0; ; attempt++) {
      await this.guard(this.storeTests(hash, json));
      try {
        const out = await this.run("judge", data);
        return decode<JudgeResult>(out);
      } catch (err) {
        // The test set expired or Redis lost it between our upload and the worker's read.
        if (err instanceof TestsMissing && attempt < 2) {
          this.stored.delete(hash);
          this.log(`codeloop: queue: test set ${hash.slice(0, 12)} was gone from Redis; sending it again`);
          continue;
        }
        throw err;
      }
    }
  }

  async traceTest(
    spec: JudgeSpec,
    test: TestCase,
    submission: Submission,
    opts: { limits: SandboxLimits; trace?: TraceOptions },
  ): Promise<SandboxTrace | undefined> {
    const data: TraceJobData = {
      judgeVersion: this.version,
      spec,
      test,
      submission,
      opts,
    };
    const out = await this.run("trace", data);
    const r = decode<{ trace?: SandboxTrace }>(out);
    return r.trace;
  }

  /**
   * Programs the workers run at once: their registered slots (workers come and go, so this is
   * looked up again every 15 s), or half the capacity before any worker registered.
   */
  get slots(): number {
    if (!this.slotsTimer && !this.closed) {
      this.slotsTimer = setInterval(() => {
        registeredSlots(this.conn, this.queueName).then(
          (n) => {
            this.registered = n;
          },
          () => {},
        );
      }, 15_000);
      this.slotsTimer.unref();
    }
    return Math.max(1, this.registered || Math.floor(this.capacity / 2));
  }

  /** Workers registered now, and their slots. */
  async workers(): Promise<number> {
    const n = await this.guard(registeredSlots(this.conn, this.queueName));
    this.registered = n;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.slotsTimer) clearInterval(this.slotsTimer);
    for (const p of this.pending.values()) p.reject(new QueueUnavailableError("the queue client was closed"));
    this.pending.clear();
    // With Redis out of reach a graceful close would wait for it forever: drop the connections.
    const down = this.conn.downSince !== undefined || this.eventsConn.downSince !== undefined;
    if (down) {
      this.conn.redis.disconnect();
      this.eventsConn.redis.disconnect();
    }
    await settleWithin(Promise.allSettled([this.events.close(), this.queue.close()]), 3000);
    await settleWithin(Promise.allSettled([this.conn.close(), this.eventsConn.close()]), 1000);
    this.conn.redis.disconnect();
    this.eventsConn.redis.disconnect();
  }

  /** Stores a test set once (SET NX), or refreshes its expiry; at most one refresh per ttl/8. */
  private async storeTests(hash: string, json: string): Promise<void> {
    const now = Date.now();
    const last = this.stored.get(hash);
    if (last !== undefined && now - last < this.ttlMs / 8) return;
    const key = testsKey(this.queueName, hash);
    // PEXPIRE first: a set already there is not sent again.
    const refreshed = await this.conn.redis.pexpire(key, this.ttlMs);
    if (refreshed !== 1) await this.conn.redis.set(key, json, "PX", this.ttlMs, "NX");
    this.stored.set(hash, now);
    if (this.stored.size > 10_000) this.stored.delete(this.stored.keys().next().value!);
  }

  /** Adds a job and waits for its result string (or throws a QueueError). */
  private async run(name: "judge" | "trace", data: JudgeJobData | TraceJobData): Promise<string> {
    if (this.closed) throw new QueueUnavailableError("the queue client is closed");
    // A fresh nonce for every job added (a retry too), so no result can be replayed onto it.
    const nonce = newNonce();
    const signed = this.secret
      ? { ...data, nonce, sig: signJob(this.secret, name, { ...data, nonce }) }
      : { ...data, nonce };
    const job = await this.guard(
      this.queue.add(name, signed, {
        attempts: 1,
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 24 * 3600, count: 10_000 },
      }),
    );
    const id = job.id!;
    const result = await new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, epoch: this.conn.epoch, nonce });
      this.ensureTimer();
      // The job may have ended before this call was waiting for it.
      if (this.unmatched.delete(id)) void this.poll(id);
    });
    if (typeof result !== "string") throw new QueueJobError(`job ${id}: the worker returned no result`);
    if (!this.secret) return result;
    const body = openResult(this.secret, nonce, result);
    if (body === undefined) {
      throw new QueueSignatureError(
        `the result of judge job ${id} on ${displayUrl(this.url)} (${this.queueName}) is not signed with the queue secret: forged by someone who can write to Redis, or made by a worker started without the same --secret-file; it was not used, nothing was judged`,
      );
    }
    return body;
  }

  private settle(id: string, outcome: { ok?: unknown; failed?: string }): void {
    const p = this.pending.get(id);
    if (!p) {
      this.unmatched.add(id);
      // Bounded: the oldest ids (long past any add still in flight) go first.
      if (this.unmatched.size > 20_000) {
        for (const old of this.unmatched) {
          this.unmatched.delete(old);
          if (this.unmatched.size <= 10_000) break;
        }
      }
      return;
    }
    this.pending.delete(id);
    if (outcome.failed === undefined) {
      p.resolve(outcome.ok);
      return;
    }
    p.reject(this.failure(id, outcome.failed, p.nonce));
  }

  private failure(id: string, wire: string, nonce: string): Error {
    const where = `${displayUrl(this.url)} (${this.queueName})`;
    if (wire.startsWith(FAIL_TAG.unsigned)) {
      return new QueueJobError(
        `a judge worker on ${where} refused job ${id}: ${wire
          .slice(FAIL_TAG.unsigned.length)
          .trim()
          .replace(/ #codeloop-sig=.*$/, "")}`,
      );
    }
    let reason = wire;
    if (this.secret) {
      const opened = openFailure(this.secret, nonce, wire);
      // Unsigned failures come from BullMQ itself (a job stalled too often) or from a forger:
      // either way an infrastructure failure, never the Judge's word about the request.
      if (opened === undefined) {
        return new QueueJobError(`judge job ${id} on ${where} failed for infrastructure reasons: ${wire}`);
      }
      reason = opened;
    }
    if (reason.startsWith(FAIL_TAG.testsMissing)) return new TestsMissing(reason);
    if (reason.startsWith(FAIL_TAG.version)) {
      return new QueueJobError(
        `a judge worker on ${where} refused job ${id}: ${reason.slice(FAIL_TAG.version.length).trim()}`,
      );
    }
    if (reason.startsWith(FAIL_TAG.judge)) {
      // What the local Judge would have thrown (a test of the wrong kind, a broken validator).
      return new Error(reason.slice(FAIL_TAG.judge.length).trim());
    }
    // A stalled job given up on, a worker that crashed in the job, a bad payload: infrastructure.
    return new QueueJobError(`judge job ${id} on ${where} failed for infrastructure reasons: ${reason}`);
  }

  private ensureTimer(): void {
    if (this.timer) return;
    const tick = Math.min(250, this.pollMs);
    let sincePoll = 0;
    this.timer = setInterval(() => {
      if (this.pending.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      const down = this.conn.downSince ?? this.eventsConn.downSince;
      if (down !== undefined && Date.now() - down > this.unavailableMs) {
        const err = this.unavailable();
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        return;
      }
      sincePoll += tick;
      if (sincePoll >= this.pollMs && down === undefined) {
        sincePoll = 0;
        for (const id of this.pending.keys()) void this.poll(id);
      }
    }, tick);
    this.timer.unref();
  }

  /** Reads a pending job's state: catches events missed across a reconnect, and lost jobs. */
  private async poll(id: string): Promise<void> {
    let job: Job | undefined;
    try {
      job = await Job.fromId(this.queue, id);
    } catch {
      return; // Redis is down: the timer decides when that is too long.
    }
    const p = this.pending.get(id);
    if (!p) return;
    if (!job) {
      this.pending.delete(id);
      p.reject(
        new QueueUnavailableError(
          `Redis at ${displayUrl(this.url)} lost judge job ${id} (restarted without its data?); nothing was judged`,
        ),
      );
      return;
    }
    if (job.finishedOn) {
      if (job.failedReason) this.settle(id, { failed: job.failedReason });
      else this.settle(id, { ok: job.returnvalue });
    }
  }

  private unavailable(): QueueUnavailableError {
    const conn = this.conn.downSince !== undefined ? this.conn : this.eventsConn;
    return new QueueUnavailableError(
      `Redis at ${displayUrl(this.url)} has been unreachable for more than ${Math.round(this.unavailableMs / 1000)} s (${conn.reason()}); nothing was judged`,
    );
  }

  /** Runs a Redis operation, throwing QueueUnavailableError once Redis has been down too long. */
  private guard<T>(op: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = setInterval(() => {
        const down = this.conn.downSince;
        if (!done && down !== undefined && Date.now() - down > this.unavailableMs) {
          done = true;
          clearInterval(timer);
          reject(this.unavailable());
        }
      }, 250);
      op.then(
        (v) => {
          if (done) return;
          done = true;
          clearInterval(timer);
          resolve(v);
        },
        (e: Error) => {
          if (done) return;
          done = true;
          clearInterval(timer);
          reject(
            e instanceof Error && /Connection is closed|ECONNREFUSED|ETIMEDOUT|ENOTFOUND/.test(e.message)
              ? new QueueUnavailableError(
                  `Redis at ${displayUrl(this.url)}: ${e.message}; nothing was judged`,
                )
              : e,
          );
        },
      );
    });
  }
}

class TestsMissing extends Error {}

async function registeredSlots(conn: WatchedRedis, queueName: string): Promise<number> {
  const prefix = workerKeyPrefix(queueName);
  let cursor = "0";
  let slots = 0;
  do {
    const [next, keys] = await conn.redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 200);
    cursor = next;
    if (keys.length > 0) {
      for (const v of await conn.redis.mget(...keys)) slots += Number(v) || 0;
    }
  } while (cursor !== "0");
  return slots;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(what)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Waits for p, at most ms. */
export function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      () => {
        clearTimeout(t);
        resolve();
      },
    );
  });
}
