import { HttpError } from "./http.js";

/**
 * Bounded concurrency for judge jobs: at most `capacity` run at once, at most `queueLimit`
 * wait; a request that would wait beyond that is refused with 429 and a Retry-After computed
 * from the recent job duration and the queue ahead of it.
 */
export class Limiter {
  private running = 0;
  private waiting: (() => void)[] = [];
  /** Exponential moving average of job durations, ms. */
  private avgMs = 1000;

  constructor(
    readonly capacity: number,
    readonly queueLimit: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`capacity must be >= 1, got ${capacity}`);
    if (!Number.isInteger(queueLimit) || queueLimit < 0)
      throw new Error(`queue limit must be >= 0, got ${queueLimit}`);
  }

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Whether a new job would start or wait (false: it would be refused). */
  admits(): boolean {
    return this.running < this.capacity || this.waiting.length < this.queueLimit;
  }

  /** Seconds after which a refused client should try again (at least 1). */
  retryAfterSeconds(): number {
    const ahead = this.waiting.length + this.running;
    return Math.max(1, Math.min(120, Math.ceil(((ahead / this.capacity) * this.avgMs) / 1000)));
  }

  overloaded(): HttpError {
    const s = this.retryAfterSeconds();
    return new HttpError(
      429,
      `overloaded: ${this.running} jobs running and ${this.waiting.length} queued (--queue-limit ${this.queueLimit}); retry after ${s} s`,
      { "retry-after": String(s) },
    );
  }

  /**
   * Runs `fn` in a slot. Without `admitted`, refuses (429) when the queue is full; a batch's
   * items after its first pass `admitted` (the batch was admitted as one request).
   */
  async run<T>(fn: () => Promise<T>, admitted = false): Promise<T> {
    if (this.running >= this.capacity) {
      if (!admitted && this.waiting.length >= this.queueLimit) throw this.overloaded();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.avgMs = 0.8 * this.avgMs + 0.2 * (performance.now() - t0);
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter (running stays the same).
      if (next) next();
      else this.running--;
    }
  }
}
