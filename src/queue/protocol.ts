import type { JudgeSpec, TestCase } from "../core/verdict.js";
import type { JudgeOptions, Submission } from "../judge/index.js";
import type { SandboxLimits } from "../sandbox/index.js";
import type { TraceOptions } from "../sandbox/types.js";

/** Default BullMQ queue name; workers and clients of one deployment must agree on it. */
export const DEFAULT_QUEUE_NAME = "codeloop-judge";
/** How long a test set stays in Redis after its last use (refreshed by every job that uses it). */
export const DEFAULT_TESTS_TTL_MS = 6 * 3600_000;

/** Redis keys of one queue's test sets and worker registrations. */
export function testsKey(queue: string, hash: string): string {
  return `codeloop:${queue}:tests:${hash}`;
}
export function workerKeyPrefix(queue: string): string {
  return `codeloop:${queue}:worker:`;
}

/** A judge job: the test set travels by its content hash (see QueueJudge). */
export interface JudgeJobData {
  judgeVersion: string;
  /** Random per job; a signed result's MAC covers it (see signing.ts). */
  nonce?: string;
  /** HMAC of the job when the client has a queue secret. */
  sig?: string;
  spec: JudgeSpec;
  testsHash: string;
  submission: Submission;
  opts: JudgeOptions;
}

/** A trace job: one test, inline. */
export interface TraceJobData {
  judgeVersion: string;
  nonce?: string;
  sig?: string;
  spec: JudgeSpec;
  test: TestCase;
  submission: Submission;
  opts: { limits: SandboxLimits; trace?: TraceOptions };
}

/**
 * A job's failure reason starts with one of these tags, so the client tells a refusal or an
 * infrastructure failure (never a verdict) from an error of the request itself.
 */
export const FAIL_TAG = {
  version: "codeloop-queue/version-mismatch:",
  testsMissing: "codeloop-queue/tests-missing:",
  badJob: "codeloop-queue/bad-job:",
  judge: "codeloop-queue/judge-error:",
  unsigned: "codeloop-queue/unsigned-job:",
} as const;

/** Base of the queue's errors: none of them is a verdict. */
export class QueueError extends Error {
  override name = "QueueError";
  /** The run can continue later (`codeloop run --resume`): nothing about the program was decided. */
  readonly resumable: boolean = true;
}

/** Redis cannot be reached (or lost the job, e.g. restarted without persistence). */
export class QueueUnavailableError extends QueueError {
  override name = "QueueUnavailableError";
}

/** A worker refused the job (another judge version) or the job failed for infrastructure reasons. */
export class QueueJobError extends QueueError {
  override name = "QueueJobError";
}

/**
 * A result or failure that does not carry a valid signature for its job: forged by someone who
 * can write to Redis, or made by a worker without the queue secret. Never taken as a verdict.
 */
export class QueueSignatureError extends QueueJobError {
  override name = "QueueSignatureError";
}
