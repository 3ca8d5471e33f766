import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ChatMessage,
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type Completion,
  type GenerateOptions,
  type SamplingParams,
  asModelError,
} from "./types.js";

export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
  /** Unreadable entries (treated as misses) and failed writes. */
  errors: number;
}

/** JSON with object keys sorted and undefined dropped, so equal settings give equal keys. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

/**
 * The cache key of one sample: model identity, messages, sampling settings and the sample's
 * index. The index is what keeps repeated sampling of one prompt from collapsing onto a single
 * cached answer.
 */
export function cacheKey(
  modelId: string,
  messages: ChatMessage[],
  sampling: SamplingParams | undefined,
  sampleIndex: number,
): string {
  const material = canonical({
    v: 1,
    model: modelId,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    sampling: sampling ?? {},
    sample: sampleIndex,
  });
  return createHash("sha256").update(material).digest("hex");
}

/** Completions on disk, one small JSON file per sample, written atomically (temp file + rename). */
export class ResponseCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, writes: 0, errors: 0 };
  private readonly madeDirs = new Set<string>();
  private tmpCounter = 0;

  constructor(readonly dir: string) {}

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<Completion | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(key), "utf8");
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as { completion?: Completion };
      if (entry.completion && typeof entry.completion.text === "string") return entry.completion;
    } catch {
      // A torn or foreign file: count it and fetch afresh.
    }
    this.stats.errors++;
    return undefined;
  }

  async put(key: string, completion: Completion): Promise<void> {
    const path = this.path(key);
    const sub = join(this.dir, key.slice(0, 2));
    try {
      if (!this.madeDirs.has(sub)) {
        await mkdir(sub, { recursive: true, mode: 0o700 });
        this.madeDirs.add(sub);
      }
      const { cached: _cached, ...stored } = completion;
      const tmp = `${path}.${process.pid}.${this.tmpCounter++}.tmp`;
      await writeFile(tmp, JSON.stringify({ completion: stored }), { mode: 0o600 });
      await rename(tmp, path);
      this.stats.writes++;
    } catch {
      // A cache that cannot write must not fail the request it would have stored.
      this.stats.errors++;
    }
  }
}

export interface CachedModel extends ChatModel {
  readonly cache: ResponseCache;
}

/**
 * Serves each sample from the cache when present and asks the inner model only for the
 * missing sample indexes (grouped into contiguous runs). Concurrent requests for the same
 * sample share one inner call.
 */
export function withCache(inner: ChatModel, cache: ResponseCache): CachedModel {
  const inflight = new Map<string, Promise<Completion | undefined>>();

  return {
    id: inner.id,
    cache,
    close: () => inner.close(),
    async generate(request: ChatRequest, options: GenerateOptions = {}): Promise<ChatResponse> {
      const n = request.n ?? 1;
      const base = request.sampleIndex ?? 0;
      const keys = Array.from({ length: n }, (_, i) =>
        cacheKey(inner.id, request.messages, request.sampling, base + i),
      );
      // Claim each key before any await, so a concurrent identical request waits for this one.
      const claims: ((c: Completion | undefined) => void)[] = [];
      const found: (Completion | undefined)[] = await Promise.all(
        keys.map(async (key, i) => {
          const pending = inflight.get(key);
          if (pending) {
            const shared = await pending;
            // Served by another request's call: count it as a hit, not as new tokens.
            return shared ? { ...shared, cached: true } : undefined;
          }
          let claim!: (c: Completion | undefined) => void;
          inflight.set(
            key,
            new Promise((resolve) => {
              claim = resolve;
            }),
          );
          claims[i] = (c) => {
            inflight.delete(key);
            claim(c);
          };
          const hit = await cache.get(key);
          if (hit) {
            const c = { ...hit, cached: true };
            claims[i]!(c);
            delete claims[i];
            return c;
          }
          return undefined;
        }),
      );
      for (const c of found) {
        if (c) cache.stats.hits++;
        else cache.stats.misses++;
      }

      // Contiguous runs of the sample indexes this call owns and must fetch.
      const runs: { first: number; count: number }[] = [];
      for (let i = 0; i < n; i++) {
        if (found[i] || !claims[i]) continue;
        const last = runs[runs.length - 1];
        if (last && last.first + last.count === i) last.count++;
        else runs.push({ first: i, count: 1 });
      }

      let failure: unknown;
      await Promise.all(
        runs.map(async (run) => {
          let completions: Completion[];
          try {
            const r = await inner.generate(
              { ...request, n: run.count, sampleIndex: base + run.first },
              options,
            );
            completions = r.completions;
          } catch (err) {
            failure ??= err;
            completions = asModelError(err).completions ?? [];
          }
          await Promise.all(
            completions.map(async (c) => {
              const pos = c.sampleIndex - base;
              if (pos < run.first || pos >= run.first + run.count) return;
              found[pos] = c;
              // An answer cut short by the caller's abort is not the model's answer: do not keep it.
              if (c.finishReason !== "abort") await cache.put(keys[pos]!, c);
            }),
          );
          for (let k = run.first; k < run.first + run.count; k++) claims[k]!(found[k]);
        }),
      );

      const completions = found.filter((c): c is Completion => c !== undefined);
      if (failure !== undefined || completions.length < n) {
        const error = asModelError(failure ?? new Error("a shared in-flight sample failed"));
        error.completions = completions;
        throw error;
      }
      return { completions };
    },
  };
}
