import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { canonicalJson } from "./codec.js";

/**
 * Jobs and results signed with a secret that clients and workers share (HMAC-SHA256). Redis is
 * a message bus that anyone on its network may write to: without signatures, whoever can write
 * a key can make workers run code, or, worse for a judge, mark a job completed with an
 * "accepted" result that no program earned. With a secret, a worker runs only jobs a client
 * signed, and a client takes only results signed by a worker for that very job: the result's
 * MAC covers the job's random nonce, so a genuine result cannot be moved onto another job.
 * Signing does not hide anything: test sets and programs in Redis stay readable to whoever
 * can read Redis.
 */
export const MIN_SECRET_BYTES = 16;

/** The queue secret as bytes. */
export type QueueSecret = Buffer;

/** The environment variable holding the secret itself (when no --secret-file is given). */
export const SECRET_ENV = "CODELOOP_QUEUE_SECRET";

export class QueueSecretError extends Error {
  override name = "QueueSecretError";
}

function checked(secret: Buffer, where: string): Buffer {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new QueueSecretError(
      `${where}: the queue secret is ${secret.length} bytes; use at least ${MIN_SECRET_BYTES} (e.g. \`openssl rand -hex 32 > secret\`)`,
    );
  }
  return secret;
}

/**
 * The secret from `--secret-file` (its contents, surrounding whitespace trimmed) or else from
 * CODELOOP_QUEUE_SECRET; undefined when neither is given.
 */
export function loadQueueSecret(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): QueueSecret | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new QueueSecretError(
        `--secret-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    return checked(Buffer.from(text.trim(), "utf8"), `--secret-file ${file}`);
  }
  const value = env[SECRET_ENV];
  if (value === undefined || value === "") return undefined;
  return checked(Buffer.from(value.trim(), "utf8"), SECRET_ENV);
}

/** The warning printed once by a client or worker that runs without a secret. */
export function unsignedWarning(who: "client" | "worker"): string {
  const what =
    who === "worker"
      ? "this worker runs any job written to the queue"
      : "results from the queue are trusted unsigned";
  return `codeloop: WARNING: no queue secret (--secret-file or ${SECRET_ENV}): ${what}; anyone who can write to Redis can forge verdicts. Give every client and worker the same secret.`;
}

export function newNonce(): string {
  return randomBytes(16).toString("hex");
}

function mac(secret: QueueSecret, parts: string[]): string {
  const h = createHmac("sha256", secret);
  // Length-prefixed parts: no two different part lists give the same MAC input.
  for (const p of parts) h.update(`${Buffer.byteLength(p)}:${p};`);
  return h.digest("hex");
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Signature of a job: its kind and its data without the `sig` field, as canonical JSON of what
 * BullMQ delivers (its JSON round trip: undefined members dropped, Buffers as objects), so the
 * worker computes it over exactly the bytes the client meant.
 */
export function signJob(secret: QueueSecret, name: string, data: object): string {
  const { sig: _omit, ...rest } = data as Record<string, unknown>;
  return mac(secret, ["codeloop-job", name, canonicalJson(JSON.parse(JSON.stringify(rest)))]);
}

export function verifyJob(secret: QueueSecret, name: string, data: object): boolean {
  const sig = (data as { sig?: unknown }).sig;
  return typeof sig === "string" && same(sig, signJob(secret, name, data));
}

/** A result travels as `{ "sig": hex, "body": text }`, its MAC over the job's nonce and the text. */
export function signResult(secret: QueueSecret, nonce: string, body: string): string {
  return JSON.stringify({ sig: mac(secret, ["codeloop-result", nonce, body]), body });
}

/** The result's text when its signature holds for this job's nonce, else undefined. */
export function openResult(secret: QueueSecret, nonce: string, wire: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(wire);
  } catch {
    return undefined;
  }
  const { sig, body } = (parsed ?? {}) as { sig?: unknown; body?: unknown };
  if (typeof sig !== "string" || typeof body !== "string") return undefined;
  return same(sig, mac(secret, ["codeloop-result", nonce, body])) ? body : undefined;
}

/** A failure reason carries its MAC as a suffix, so a forged failure is not read as the Judge's. */
const FAIL_SIG = " #codeloop-sig=";

export function signFailure(secret: QueueSecret, nonce: string, reason: string): string {
  return `${reason}${FAIL_SIG}${mac(secret, ["codeloop-failure", nonce, reason])}`;
}

/** The failure reason without its MAC when the MAC holds, else undefined. */
export function openFailure(secret: QueueSecret, nonce: string, wire: string): string | undefined {
  const at = wire.lastIndexOf(FAIL_SIG);
  if (at < 0) return undefined;
  const reason = wire.slice(0, at);
  return same(wire.slice(at + FAIL_SIG.length), mac(secret, ["codeloop-failure", nonce, reason]))
    ? reason
    : undefined;
}
