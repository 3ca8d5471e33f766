import {
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type GenerateOptions,
  ModelError,
  asModelError,
} from "./types.js";

export interface RetryOptions {
  /** Total attempts including the first; default 6. */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap on one computed backoff delay; default 30 s. */
  maxDelayMs?: number;
  /** Cap on a server's Retry-After; longer requests are shortened to this. Default 120 s. */
  maxRetryAfterMs?: number;
  /** Called before each wait, e.g. for logging. */
  onRetry?: (info: { attempt: number; delayMs: number; error: ModelError; request: ChatRequest }) => void;
  /** Source of randomness for jitter, injectable for tests. */
  random?: () => number;
}

/** Resolves after `ms`, or rejects early with an aborted ModelError when `signal` fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ModelError("aborted", "request aborted"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ModelError("aborted", "request aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Backoff before retry number `attempt` (1-based): exponential with "equal jitter". */
export function backoffDelay(
  attempt: number,
  error: ModelError,
  options: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs" | "random"> = {},
): number {
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  const exp = Math.min(cap, base * 2 ** (attempt - 1));
  // Half fixed, half random: spreads synchronized clients apart without collapsing to ~0.
  const jittered = exp / 2 + random() * (exp / 2);
  if (error.retryAfterMs !== undefined) {
    return Math.min(options.maxRetryAfterMs ?? 120_000, Math.max(error.retryAfterMs, 0));
  }
  return jittered;
}

/**
 * The single retry layer: retries 429, 5xx, connection errors, timeouts and malformed answers
 * with exponential backoff, honouring Retry-After, up to a capped number of attempts. The
 * final error says how many attempts were made.
 */
export function withRetry(inner: ChatModel, options: RetryOptions = {}): ChatModel {
  return {
    id: inner.id,
    close: () => inner.close(),
    generate: (request: ChatRequest, genOptions: GenerateOptions = {}): Promise<ChatResponse> =>
      retrying(
        () => inner.generate(request, genOptions),
        options,
        genOptions.signal,
        (info) => options.onRetry?.({ ...info, request }),
      ),
  };
}

/**
 * The retry loop itself, for any call that fails with ModelErrors (chat requests above,
 * verifier batches in src/verifiers): retryable errors wait `backoffDelay` and try again, up to
 * `maxAttempts`; the last error says how many attempts were made.
 */
export async function retrying<T>(
  call: () => Promise<T>,
  options: Omit<RetryOptions, "onRetry"> = {},
  signal?: AbortSignal,
  onRetry?: (info: { attempt: number; delayMs: number; error: ModelError }) => void,
): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (raw) {
      const error = asModelError(raw);
      if (!error.retryable || attempt >= maxAttempts || signal?.aborted) {
        error.attempts = attempt;
        if (attempt > 1) error.message = `${error.message} (gave up after ${attempt} attempts)`;
        throw error;
      }
      const delayMs = backoffDelay(attempt, error, options);
      onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, signal);
    }
  }
}
