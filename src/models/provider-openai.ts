import { AdaptiveLimiter, withConcurrency } from "./concurrency.js";
import { type OpenAIModelConfig, apiKeyFor } from "./model-config.js";
import { OpenAIEndpoint } from "./openai.js";
import type { ModelProvider } from "./providers.js";
import { withReplicas } from "./replicas.js";
import { withRetry } from "./retry.js";
import { withSampleSplitting } from "./split.js";
import { type ChatModel, ModelError } from "./types.js";

/**
 * OpenAI-compatible chat-completions servers: `openai:` (with a URL, or the OpenAI API), and
 * `vllm:`, `sglang:`, `llamacpp:`, `compat:` (always a URL), each `<url>[,<url>...]#<model>`
 * (several URLs are replicas of one model); `ollama:<model>` against OLLAMA_HOST.
 */

function ollamaBaseUrl(env: NodeJS.ProcessEnv): string {
  let host = env.OLLAMA_HOST?.trim() || "127.0.0.1:11434";
  if (!/^https?:\/\//.test(host)) host = `http://${host}`;
  // Ollama listens on all interfaces with 0.0.0.0, but that is not an address to connect to.
  host = host.replace("//0.0.0.0", "//127.0.0.1");
  return `${host.replace(/\/+$/, "")}/v1`;
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

export const openAIProvider: ModelProvider<OpenAIModelConfig> = {
  provider: "openai",
  prefixes: ["openai", "vllm", "sglang", "llamacpp", "compat", "ollama"],
  parse(prefix, rest, ref, env) {
    if (prefix === "ollama") return { provider: "openai", baseUrl: ollamaBaseUrl(env), model: rest };
    if (/^https?:\/\//.test(rest)) {
      const hash = rest.indexOf("#");
      const urls = (hash >= 0 ? rest.slice(0, hash) : rest).split(",").map((u) => u.trim());
      const model = hash >= 0 ? rest.slice(hash + 1) : "";
      if (model === "") {
        throw new ModelError(
          "config",
          `model reference "${ref}" needs a model name after "#", e.g. ${urls[0]}#my-model`,
        );
      }
      for (const u of urls) {
        try {
          new URL(u);
        } catch {
          throw new ModelError("config", `model reference "${ref}": "${u}" is not a URL`);
        }
      }
      return urls.length === 1
        ? { provider: "openai", baseUrl: urls[0]!, model }
        : { provider: "openai", baseUrls: urls, model };
    }
    if (prefix !== "openai") {
      throw new ModelError(
        "config",
        `model reference "${ref}" needs a server URL, e.g. ${prefix}:http://host:8000/v1#model`,
      );
    }
    return { provider: "openai", baseUrl: env.OPENAI_BASE_URL || "https://api.openai.com/v1", model: rest };
  },
  /** Endpoints, each behind its adaptive limiter, balanced when replicas, retried, split. */
  create(config, env, options) {
    const id = openAIModelId(config);
    const concurrency = { ...config.concurrency, ...options.concurrency };
    const endpoints = openAIEndpoints(config, env);
    const limiters = endpoints.map(() => new AdaptiveLimiter(concurrency));
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
    const splitter = withSampleSplitting(balanced, config.nMode ?? "auto");
    return { core: splitter, limiters, splitter };
  },
};
