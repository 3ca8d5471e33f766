import { z } from "zod";
import { ModelError } from "./types.js";

const concurrencySchema = z
  .object({
    initial: z.number().int().positive().optional(),
    min: z.number().int().positive().optional(),
    max: z.number().int().positive().optional(),
  })
  .strict();

export const openAIConfigSchema = z
  .object({
    provider: z.literal("openai"),
    /** One base URL, or several replicas serving the same model. */
    baseUrl: z.string().url().optional(),
    baseUrls: z.array(z.string().url()).min(1).optional(),
    model: z.string().min(1),
    /** Name of the environment variable holding the API key. */
    apiKeyEnv: z.string().min(1).optional(),
    headers: z.record(z.string()).optional(),
    extraBody: z.record(z.unknown()).optional(),
    timeoutMs: z.number().int().nonnegative().optional(),
    concurrency: concurrencySchema.optional(),
    nMode: z.enum(["auto", "native", "split"]).optional(),
    id: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => (c.baseUrl === undefined) !== (c.baseUrls === undefined), {
    message: "give exactly one of baseUrl or baseUrls",
  });

export const llamaConfigSchema = z
  .object({
    provider: z.literal("llama"),
    /** Local GGUF path. */
    path: z.string().min(1).optional(),
    /** Hub file: owner/repo/file.gguf[@revision]. */
    hf: z.string().min(1).optional(),
    contextSize: z.number().int().positive().optional(),
    threads: z.number().int().positive().optional(),
    gpu: z.union([z.literal("auto"), z.literal(false)]).optional(),
    gpuLayers: z.union([z.number().int().nonnegative(), z.literal("auto"), z.literal("max")]).optional(),
    parallel: z.number().int().positive().optional(),
    id: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => (c.path === undefined) !== (c.hf === undefined), {
    message: "give exactly one of path or hf",
  });

export const modelConfigSchema = z.union([openAIConfigSchema, llamaConfigSchema]);

export type OpenAIModelConfig = z.infer<typeof openAIConfigSchema>;
export type LlamaModelConfig = z.infer<typeof llamaConfigSchema>;
export type ModelConfig = OpenAIModelConfig | LlamaModelConfig;

/** Prefixes that name an OpenAI-compatible server; all take `<url>[,<url>...]#<model>`. */
const OPENAI_PREFIXES = ["openai", "vllm", "sglang", "llamacpp", "compat"];

function ollamaBaseUrl(env: NodeJS.ProcessEnv): string {
  let host = env.OLLAMA_HOST?.trim() || "127.0.0.1:11434";
  if (!/^https?:\/\//.test(host)) host = `http://${host}`;
  // Ollama listens on all interfaces with 0.0.0.0, but that is not an address to connect to.
  host = host.replace("//0.0.0.0", "//127.0.0.1");
  return `${host.replace(/\/+$/, "")}/v1`;
}

/**
 * Parses a short model reference into a config:
 * - `openai:http://host:8000/v1#model` (also `vllm:`, `sglang:`, `llamacpp:`); several URLs
 *   separated by commas are replicas of one model;
 * - `openai:gpt-4o-mini` against OPENAI_BASE_URL or the OpenAI API;
 * - `ollama:qwen2.5-coder:7b` against OLLAMA_HOST or the local Ollama;
 * - `llama:./model.gguf` or `llama:hf:owner/repo/file.gguf[@revision]`.
 */
export function parseModelRef(ref: string, env: NodeJS.ProcessEnv = process.env): ModelConfig {
  const colon = ref.indexOf(":");
  if (colon <= 0) {
    throw new ModelError(
      "config",
      `model reference "${ref}" has no provider prefix (openai:, vllm:, sglang:, llamacpp:, ollama:, llama:)`,
    );
  }
  const prefix = ref.slice(0, colon);
  const rest = ref.slice(colon + 1);
  if (rest === "") throw new ModelError("config", `model reference "${ref}" is empty after "${prefix}:"`);

  if (OPENAI_PREFIXES.includes(prefix)) {
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
  }
  if (prefix === "ollama") return { provider: "openai", baseUrl: ollamaBaseUrl(env), model: rest };
  if (prefix === "llama") {
    if (rest.startsWith("hf:")) return { provider: "llama", hf: rest.slice(3) };
    return { provider: "llama", path: rest };
  }
  throw new ModelError("config", `unknown model provider "${prefix}" in "${ref}"`);
}

/** Validates a config object (e.g. from a run file); throws a config ModelError listing the problems. */
export function parseModelConfig(value: unknown): ModelConfig {
  const result = modelConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`)
      .join("; ");
    throw new ModelError("config", `invalid model config: ${problems}`);
  }
  return result.data;
}

/** The API key for an OpenAI-compatible server, from the environment. */
export function apiKeyFor(
  config: OpenAIModelConfig,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (config.apiKeyEnv !== undefined) {
    const key = env[config.apiKeyEnv];
    if (!key)
      throw new ModelError("config", `environment variable ${config.apiKeyEnv} (apiKeyEnv) is not set`);
    return key;
  }
  return env.CODELOOP_API_KEY || env.OPENAI_API_KEY || undefined;
}
