export * from "./types.js";
export { type AccountedModel, type ModelStats, type RequestOutcome, withAccounting } from "./accounting.js";
export { type CacheStats, type CachedModel, ResponseCache, cacheKey, withCache } from "./cache.js";
export { type EndpointCheck, type Honoured, type ModelCheck, checkModel } from "./check.js";
export {
  AdaptiveLimiter,
  type ConcurrencyOptions,
  type LimiterState,
  withConcurrency,
} from "./concurrency.js";
export { type CreateModelOptions, type ManagedModel, createModel } from "./factory.js";
export {
  type DownloadOptions,
  type HubFileRef,
  cacheRoot,
  downloadHubFile,
  hubFilePath,
  parseHubFileRef,
} from "./hub.js";
export { LlamaCppModel, type LlamaCppOptions, NODE_LLAMA_CPP_VERSION, loadNodeLlamaCpp } from "./llama.js";
export { JsonHttp, type JsonHttpOptions, parseRetryAfter } from "./http.js";
export { OpenAIEndpoint, type OpenAIEndpointOptions } from "./openai.js";
export {
  type LlamaModelConfig,
  type ModelConfig,
  type OpenAIModelConfig,
  apiKeyFor,
  modelConfigSchema,
  parseModelConfig,
  parseModelRef,
} from "./ref.js";
export { type Replica, type ReplicaOptions, withReplicas } from "./replicas.js";
export { type RetryOptions, backoffDelay, retrying, withRetry } from "./retry.js";
export { type NMode, type SampleSplitter, withSampleSplitting } from "./split.js";
