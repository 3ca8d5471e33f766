import { join } from "node:path";
import { type AccountedModel, type RequestOutcome, withAccounting } from "./accounting.js";
import { type CacheStats, ResponseCache, withCache } from "./cache.js";
import {
  AdaptiveLimiter,
  type ConcurrencyOptions,
  type LimiterState,
  withConcurrency,
} from "./concurrency.js";
import { type DownloadOptions, cacheRoot, downloadHubFile, hubFilePath, parseHubFileRef } from "./hub.js";
import { LlamaCppModel } from "./llama.js";
import { OpenAIEndpoint } from "./openai.js";
import {
  type LlamaModelConfig,
  type ModelConfig,
  type OpenAIModelConfig,
  apiKeyFor,
  parseModelConfig,
  parseModelRef,
} from "./ref.js";
import { withReplicas } from "./replicas.js";
import { type RetryOptions, withRetry } from "./retry.js";
import { type SampleSplitter, withSampleSplitting } from "./split.js";
import type { ChatModel } from "./types.js";

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

export function openAIEndpoints(config: OpenAIModelConfig, env: NodeJS.ProcessEnv): OpenAIEndpoint[] {
  const apiKey = apiKeyFor(config, env);
  const urls = config.baseUrls ?? [config.baseUrl!];
  return urls.map(
    (baseUrl) =>
      new OpenAIEndpoint({
        baseUrl,
        model: config.model,
        ...(apiKey !== undefined ? { apiKey } : {}),
        ...(config.headers !== undefined ? { headers: config.headers } : {}),
        ...(config.extraBody !== undefined ? { extraBody: config.extraBody } : {}),
        ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
      }),
  );
}

/** Cache identity of an OpenAI-compatible model: its (sorted) endpoints and model name. */
function openAIModelId(config: OpenAIModelConfig): string {
  if (config.id) return config.id;
  const urls = (config.baseUrls ?? [config.baseUrl!]).map((u) => u.replace(/\/+$/, "")).sort();
  return `openai:${urls.join(",")}#${config.model}`;
}

export function llamaBackend(
  config: LlamaModelConfig,
  env: NodeJS.ProcessEnv,
  download?: Omit<DownloadOptions, "env">,
): LlamaCppModel {
  const common = {
    ...(config.contextSize !== undefined ? { contextSize: config.contextSize } : {}),
    ...(config.threads !== undefined ? { threads: config.threads } : {}),
    ...(config.gpu !== undefined ? { gpu: config.gpu } : {}),
    ...(config.gpuLayers !== undefined ? { gpuLayers: config.gpuLayers } : {}),
    ...(config.parallel !== undefined ? { parallel: config.parallel } : {}),
  };
  if (config.hf !== undefined) {
    const ref = parseHubFileRef(config.hf);
    const dlOptions: DownloadOptions = { ...download, env };
    return new LlamaCppModel({
      ...common,
      path: hubFilePath(ref, dlOptions),
      fetch: () => downloadHubFile(ref, dlOptions),
      id: config.id ?? `llama:hf:${ref.repo}/${ref.file}@${ref.revision}`,
    });
  }
  return new LlamaCppModel({ ...common, path: config.path!, ...(config.id ? { id: config.id } : {}) });
}

/**
 * Builds a ready-to-use model from a reference string or a config object. Layers, outermost
 * first: accounting -> response cache -> sample splitting -> retry -> replica balancing ->
 * adaptive concurrency per endpoint -> HTTP endpoint (or embedded llama.cpp).
 */
export function createModel(
  refOrConfig: string | ModelConfig,
  options: CreateModelOptions = {},
): ManagedModel {
  const env = options.env ?? process.env;
  const config = resolveConfig(refOrConfig, env);
  let core: ChatModel;
  let limiters: AdaptiveLimiter[] = [];
  let splitter: SampleSplitter | undefined;

  if (config.provider === "openai") {
    const id = openAIModelId(config);
    const concurrency = { ...config.concurrency, ...options.concurrency };
    const endpoints = openAIEndpoints(config, env);
    limiters = endpoints.map(() => new AdaptiveLimiter(concurrency));
    let balanced: ChatModel;
    if (endpoints.length === 1) {
      const single = withConcurrency(endpoints[0]!, limiters[0]!);
      balanced = { id, generate: (r, o) => single.generate(r, o), close: () => single.close() };
    } else {
      balanced = withReplicas(
        endpoints.map((model, i) => ({ model, limiter: limiters[i]! })),
        { id },
      );
    }
    if (options.retry !== false) balanced = withRetry(balanced, options.retry ?? {});
    splitter = withSampleSplitting(balanced, config.nMode ?? "auto");
    core = splitter;
  } else {
    core = llamaBackend(config, env, options.download);
  }

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
