import { join } from "node:path";
import { type AccountedModel, type RequestOutcome, withAccounting } from "./accounting.js";
import { type CacheStats, ResponseCache, withCache } from "./cache.js";
import type { ConcurrencyOptions, LimiterState } from "./concurrency.js";
import { type DownloadOptions, cacheRoot } from "./hub.js";
import type { ModelConfig } from "./model-config.js";
import { providerFor } from "./provider-list.js";
import { parseModelConfig, parseModelRef } from "./ref.js";
import type { RetryOptions } from "./retry.js";
import type { ChatModel } from "./types.js";

export { llamaBackend } from "./provider-llama.js";
export { openAIEndpoints } from "./provider-openai.js";

export interface CreateModelOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Response cache: on by default in `<cache root>/responses`; `false` (or CODELOOP_NO_CACHE=1)
   * turns it off, `{ dir }` moves it.
   */
  cache?: boolean | { dir?: string };
  /** Retry settings; `false` makes every request a single attempt. */
  retry?: RetryOptions | false;
  /** Per-endpoint adaptive concurrency; overrides the config's `concurrency`. */
  concurrency?: ConcurrencyOptions;
  /** Called once per request with its outcome (success or the error that ended it). */
  onOutcome?: (outcome: RequestOutcome) => void;
  /** Where Hub downloads go and how they report progress. */
  download?: Omit<DownloadOptions, "env">;
}

/** A model with all middleware in place, plus a view of its counters. */
export interface ManagedModel extends AccountedModel {
  readonly config: ModelConfig;
  cacheStats(): CacheStats | undefined;
  /** One entry per endpoint (OpenAI-compatible backends only). */
  limiters(): LimiterState[];
  /** Whether the server was seen to honour `n` (undefined before any multi-sample request). */
  honoursN(): boolean | undefined;
}

function resolveConfig(refOrConfig: string | ModelConfig, env: NodeJS.ProcessEnv): ModelConfig {
  return typeof refOrConfig === "string" ? parseModelRef(refOrConfig, env) : parseModelConfig(refOrConfig);
}

function cacheEnabled(options: CreateModelOptions, env: NodeJS.ProcessEnv): boolean {
  if (options.cache === false) return false;
  const off = env.CODELOOP_NO_CACHE;
  return !(off !== undefined && off !== "" && off !== "0" && off.toLowerCase() !== "false");
}

/**
 * Builds a ready-to-use model from a reference string or a config object. Layers, outermost
 * first: accounting -> response cache -> the provider's model (for OpenAI-compatible servers:
 * sample splitting -> retry -> replica balancing -> adaptive concurrency per endpoint -> HTTP
 * endpoint; for llama: embedded llama.cpp).
 */
export function createModel(
  refOrConfig: string | ModelConfig,
  options: CreateModelOptions = {},
): ManagedModel {
  const env = options.env ?? process.env;
  const config = resolveConfig(refOrConfig, env);
  const built = providerFor(config).create(config, env, {
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.download !== undefined ? { download: options.download } : {}),
  });
  let core: ChatModel = built.core;
  const { limiters, splitter } = built;

  let cache: ResponseCache | undefined;
  if (cacheEnabled(options, env)) {
    const dir = (typeof options.cache === "object" && options.cache.dir) || join(cacheRoot(env), "responses");
    cache = new ResponseCache(dir);
    core = withCache(core, cache);
  }
  const accounted = withAccounting(core, options.onOutcome);
  return {
    ...accounted,
    config,
    cacheStats: () => (cache ? { ...cache.stats } : undefined),
    limiters: () => limiters.map((l) => l.state()),
    honoursN: () => splitter?.honoursN,
  };
}
