import type { AdaptiveLimiter } from "./concurrency.js";
import {
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type GenerateOptions,
  asModelError,
} from "./types.js";

export interface Replica {
  model: ChatModel;
  limiter: AdaptiveLimiter;
}

export interface ReplicaOptions {
  /** How long a replica that failed to connect is avoided; default 2 s. */
  quarantineMs?: number;
  /** Identity for cache keys; replicas serve one model, so one id. */
  id: string;
}

/**
 * Spreads requests over replicas serving the same model: each request goes to the least
 * loaded replica relative to its own adaptive limit; one that refuses connections is set
 * aside for a moment, so retries land on the healthy ones.
 */
export function withReplicas(replicas: Replica[], options: ReplicaOptions): ChatModel {
  if (replicas.length === 0) throw new Error("withReplicas needs at least one replica");
  const quarantineMs = options.quarantineMs ?? 2000;
  const downUntil = new Array<number>(replicas.length).fill(0);
  let cursor = 0;

  function pick(): number {
    const now = performance.now();
    let best = -1;
    let bestLoad = Number.POSITIVE_INFINITY;
    // Start from a rotating cursor so equal loads are served round-robin.
    for (let k = 0; k < replicas.length; k++) {
      const i = (cursor + k) % replicas.length;
      if (downUntil[i]! > now) continue;
      const load = replicas[i]!.limiter.load;
      if (load < bestLoad) {
        bestLoad = load;
        best = i;
      }
    }
    cursor = (cursor + 1) % replicas.length;
    if (best >= 0) return best;
    // Every replica is quarantined: try the one that comes back first.
    let soonest = 0;
    for (let i = 1; i < replicas.length; i++) if (downUntil[i]! < downUntil[soonest]!) soonest = i;
    return soonest;
  }

  return {
    id: options.id,
    async close() {
      await Promise.all(replicas.map((r) => r.model.close()));
    },
    async generate(request: ChatRequest, genOptions: GenerateOptions = {}): Promise<ChatResponse> {
      const i = pick();
      try {
        const response = await replicas[i]!.model.generate(request, genOptions);
        downUntil[i] = 0;
        return response;
      } catch (err) {
        const error = asModelError(err);
        if (error.kind === "connection" || error.kind === "timeout")
          downUntil[i] = performance.now() + quarantineMs;
        throw error;
      }
    },
  };
}
