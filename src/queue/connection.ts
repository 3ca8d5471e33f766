import { Redis, type RedisOptions } from "ioredis";

/** A URL fit for messages: the password, if any, is not shown. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

/**
 * A Redis connection for BullMQ (maxRetriesPerRequest null, as its blocking commands need) that
 * reconnects with capped exponential backoff and remembers since when it is down and why.
 */
export class WatchedRedis {
  readonly redis: Redis;
  /** Since when the connection is not ready (ms epoch); undefined while it is. */
  downSince: number | undefined = Date.now();
  lastError: string | undefined;
  /** Incremented on every (re)connection that becomes ready. */
  epoch = 0;
  private readyListeners = new Set<() => void>();

  constructor(
    readonly url: string,
    options: RedisOptions = {},
    maxBackoffMs = 2000,
  ) {
    this.redis = new Redis(url, {
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
      connectTimeout: 5000,
      retryStrategy: (times) => Math.min(maxBackoffMs, 50 * 2 ** Math.min(times, 10)),
      ...options,
    });
    this.redis.on("ready", () => {
      this.downSince = undefined;
      this.lastError = undefined;
      this.epoch++;
      for (const f of this.readyListeners) f();
    });
    const down = () => {
      this.downSince ??= Date.now();
    };
    this.redis.on("close", down);
    this.redis.on("end", down);
    this.redis.on("error", (err: Error & { code?: string }) => {
      down();
      this.lastError = err.code ?? err.message;
    });
  }

  onReady(f: () => void): void {
    this.readyListeners.add(f);
  }

  /** Why it is down, for messages. */
  reason(): string {
    return this.lastError ?? this.redis.status;
  }

  async close(): Promise<void> {
    if (this.downSince !== undefined) {
      this.redis.disconnect();
      return;
    }
    try {
      await Promise.race([this.redis.quit(), new Promise((r) => setTimeout(r, 1000).unref())]);
    } catch {
      // Closed already.
    }
    this.redis.disconnect();
  }
}
