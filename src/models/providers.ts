import type { AdaptiveLimiter, ConcurrencyOptions } from "./concurrency.js";
import type { DownloadOptions } from "./hub.js";
import type { ModelConfig } from "./model-config.js";
import type { RetryOptions } from "./retry.js";
import type { SampleSplitter } from "./split.js";
import type { ChatModel } from "./types.js";

/**
 * A model backend: the reference prefixes it parses into its config kind, and how it builds
 * the innermost model (the factory adds the response cache and accounting around it). A new
 * backend is one file exporting a ModelProvider, listed in provider-list.ts.
 */
export interface ModelProvider<C extends ModelConfig = ModelConfig> {
  /** The `provider` field of the configs it builds. */
  provider: C["provider"];
  /** Reference prefixes it parses (`<prefix>:<rest>`). */
  prefixes: readonly string[];
  parse(prefix: string, rest: string, ref: string, env: NodeJS.ProcessEnv): C;
  create(config: C, env: NodeJS.ProcessEnv, options: ProviderOptions): ProviderModel;
}

export interface ProviderOptions {
  /** Retry settings; `false` makes every request a single attempt. */
  retry?: RetryOptions | false;
  /** Per-endpoint adaptive concurrency; overrides the config's `concurrency`. */
  concurrency?: ConcurrencyOptions;
  /** Where Hub downloads go and how they report progress. */
  download?: Omit<DownloadOptions, "env">;
}

export interface ProviderModel {
  core: ChatModel;
  /** One per endpoint of an HTTP backend (none in-process). */
  limiters: AdaptiveLimiter[];
  /** The sample splitter, when the backend may not honour `n`. */
  splitter?: SampleSplitter;
}
