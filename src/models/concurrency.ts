import {
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type GenerateOptions,
  ModelError,
  asModelError,
} from "./types.js";

export interface ConcurrencyOptions {
  /** Starting limit of requests in flight; default 32. */
  initial?: number;
  min?: number;
  /** Hard ceiling; default 512. */
  max?: number;
  /** Minimum time between two decreases, so one burst of 429s halves the limit once. Default 1 s. */
  decreaseCooldownMs?: number;
}

export interface LimiterState {
  limit: number;
  inFlight: number;
  queued: number;
  decreases: number;
  peakInFlight: number;
}

/**
 * Adaptive cap on requests in flight to one endpoint, in the manner of TCP congestion control:
 * grows by one per success while saturated (doubling per round trip) until the first overload,
 * then by one per round trip; halves on 429/503.
 */
export class AdaptiveLimiter {
  private limitValue: number;
  private threshold: number;
  private readonly min: number;
  private readonly max: number;
  private readonly cooldownMs: number;
  private lastDecrease = Number.NEGATIVE_INFINITY;
  private active = 0;
  private peak = 0;
  private decreaseCount = 0;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal }[] =
    [];
  private head = 0;
  /** Called when a slot frees up and this limiter's own queue is empty (used by the replica balancer). */
  onAvailable: (() => void) | undefined;

  constructor(options: ConcurrencyOptions = {}) {
    this.min = Math.max(1, options.min ?? 1);
    this.max = Math.max(this.min, options.max ?? 512);
    this.limitValue = Math.min(this.max, Math.max(this.min, options.initial ?? 32));
    this.threshold = this.max;
    this.cooldownMs = options.decreaseCooldownMs ?? 1000;
  }

  get limit(): number {
    return Math.floor(this.limitValue);
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length - this.head;
  }

  /** Pressure on this endpoint: 0 idle, 1 full, above 1 when requests wait. */
  get load(): number {
    return (this.active + this.queued) / this.limit;
  }

  state(): LimiterState {
    return {
      limit: this.limit,
      inFlight: this.active,
      queued: this.queued,
      decreases: this.decreaseCount,
      peakInFlight: this.peak,
    };
  }

  /** Takes a slot if one is free right now, without queueing. */
  tryAcquire(): boolean {
    if (this.active < this.limit && this.queued === 0) {
      this.take();
      return true;
    }
    return false;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new ModelError("aborted", "request aborted"));
    if (this.active < this.limit && this.queued === 0) {
      this.take();
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, signal };
      this.waiters.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.waiters.indexOf(waiter, this.head);
          if (i >= 0) {
            this.waiters.splice(i, 1);
            reject(new ModelError("aborted", "request aborted"));
          }
        },
        { once: true },
      );
    });
  }

  /** Ends one request; `overload` when the server answered 429 or 503. */
  release(outcome: "ok" | "overload" | "error"): void {
    const wasSaturated = this.active >= this.limit || this.queued > 0;
    this.active--;
    if (outcome === "ok" && wasSaturated) {
      // Grow only when the limit was actually the constraint; otherwise there is no evidence.
      this.limitValue += this.limitValue < this.threshold ? 1 : 1 / this.limitValue;
      if (this.limitValue > this.max) this.limitValue = this.max;
    } else if (outcome === "overload") {
      const now = performance.now();
      if (now - this.lastDecrease >= this.cooldownMs) {
        this.lastDecrease = now;
        this.decreaseCount++;
        this.limitValue = Math.max(this.min, this.limitValue / 2);
        this.threshold = this.limitValue;
      }
    }
    this.drain();
  }

  private take(): void {
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
  }

  private drain(): void {
    while (this.active < this.limit && this.head < this.waiters.length) {
      const waiter = this.waiters[this.head++]!;
      this.take();
      waiter.resolve();
    }
    // Compact the queue now and then rather than shifting on every dequeue.
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
    if (this.active < this.limit && this.onAvailable) this.onAvailable();
  }
}

/** A ChatModel whose requests pass through `limiter`. */
export function withConcurrency(
  inner: ChatModel,
  limiter: AdaptiveLimiter,
): ChatModel & { limiter: AdaptiveLimiter } {
  return {
    id: inner.id,
    limiter,
    close: () => inner.close(),
    async generate(request: ChatRequest, options: GenerateOptions = {}): Promise<ChatResponse> {
      await limiter.acquire(options.signal);
      try {
        const response = await inner.generate(request, options);
        limiter.release("ok");
        return response;
      } catch (err) {
        limiter.release(asModelError(err).overload ? "overload" : "error");
        throw err;
      }
    },
  };
}
