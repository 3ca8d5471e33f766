import type { AdaptiveLimiter } from "./concurrency.js";
import {
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type GenerateOptions,
  ModelError,
  asModelError,
} from "./types.js";

export interface Replica {
  /** The bare endpoint; the balancer takes the limiter's slots itself. */
  model: ChatModel;
  limiter: AdaptiveLimiter;
}

export interface ReplicaOptions {
  /** How long a replica that failed to connect or timed out is avoided; default 2 s. */
  quarantineMs?: number;
  /** Identity for cache keys; replicas serve one model, so one id. */
  id: string;
}

interface Waiter {
  resolve: (replica: number) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
}

/**
 * Spreads requests over replicas serving the same model. A request waits in one shared queue
 * until some replica has a free slot under its own adaptive limit, then goes to the replica
 * with the most headroom, so faster replicas take more of the work. A replica that refused a
 * connection or timed out is passed over for a moment while others are healthy.
 */
export function withReplicas(replicas: Replica[], options: ReplicaOptions): ChatModel {
  if (replicas.length === 0) throw new Error("withReplicas needs at least one replica");
  const quarantineMs = options.quarantineMs ?? 2000;
  const downUntil = new Array<number>(replicas.length).fill(0);
  const queue: Waiter[] = [];

  /** Takes a slot on the best eligible replica; -1 when all eligible replicas are full. */
  function tryTake(): number {
    const now = performance.now();
    const healthy = downUntil.some((t) => t <= now);
    let best = -1;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let i = 0; i < replicas.length; i++) {
      if (healthy && downUntil[i]! > now) continue;
      const { limiter } = replicas[i]!;
      const load = limiter.inFlight / limiter.limit;
      if (load < 1 && load < bestLoad) {
        bestLoad = load;
        best = i;
      }
    }
    if (best >= 0 && !replicas[best]!.limiter.tryAcquire()) return -1;
    return best;
  }

  function drain(): void {
    while (queue.length > 0) {
      const i = tryTake();
      if (i < 0) return;
      queue.shift()!.resolve(i);
    }
  }
  for (const r of replicas) r.limiter.onAvailable = drain;

  function acquire(signal: AbortSignal | undefined): Promise<number> {
    if (signal?.aborted) return Promise.reject(new ModelError("aborted", "request aborted"));
    if (queue.length === 0) {
      const i = tryTake();
      if (i >= 0) return Promise.resolve(i);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      queue.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          const at = queue.indexOf(waiter);
          if (at >= 0) {
            queue.splice(at, 1);
            reject(new ModelError("aborted", "request aborted"));
          }
        },
        { once: true },
      );
    });
  }

  return {
    id: options.id,
    async close() {
      await Promise.all(replicas.map((r) => r.model.close()));
    },
    async generate(request: ChatRequest, genOptions: GenerateOptions = {}): Promise<ChatResponse> {
      const i = await acquire(genOptions.signal);
      const replica = replicas[i]!;
      try {
        const response = await replica.model.generate(request, genOptions);
        downUntil[i] = 0;
        replica.limiter.release("ok");
        return response;
      } catch (err) {
        const error = asModelError(err);
        if (error.kind === "connection" || error.kind === "timeout")
          downUntil[i] = performance.now() + quarantineMs;
        replica.limiter.release(error.overload ? "overload" : "error");
        throw error;
      }
    },
  };
}
