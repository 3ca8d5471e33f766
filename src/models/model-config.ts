/**
 * Model configs: what a run's `model` field may hold, one schema per provider kind, and the API
 * key lookup. Reference strings (`openai:...`, `llama:...`) are parsed by the providers
 * (providers.ts) into these.
 */
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
