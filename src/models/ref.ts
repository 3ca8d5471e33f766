import { type ModelConfig, modelConfigSchema } from "./model-config.js";
import { providerForPrefix, providerPrefixes } from "./provider-list.js";
import { ModelError } from "./types.js";

// The configs' schemas and types live in model-config.ts; importers of ref.ts still find them here.
export {
  type LlamaModelConfig,
  type ModelConfig,
  type OpenAIModelConfig,
  apiKeyFor,
  llamaConfigSchema,
  modelConfigSchema,
  openAIConfigSchema,
} from "./model-config.js";

/**
 * Parses a short model reference `<prefix>:<rest>` into a config, by the provider that owns the
 * prefix (provider-list.ts):
 * - `openai:http://host:8000/v1#model` (also `vllm:`, `sglang:`, `llamacpp:`, `compat:`); several
 *   URLs separated by commas are replicas of one model;
 * - `openai:gpt-4o-mini` against OPENAI_BASE_URL or the OpenAI API;
 * - `ollama:qwen2.5-coder:7b` against OLLAMA_HOST or the local Ollama;
 * - `llama:./model.gguf` or `llama:hf:owner/repo/file.gguf[@revision]`.
 */
export function parseModelRef(ref: string, env: NodeJS.ProcessEnv = process.env): ModelConfig {
  const colon = ref.indexOf(":");
  if (colon <= 0) {
    throw new ModelError("config", `model reference "${ref}" has no provider prefix (${providerPrefixes()})`);
  }
  const prefix = ref.slice(0, colon);
  const rest = ref.slice(colon + 1);
  if (rest === "") throw new ModelError("config", `model reference "${ref}" is empty after "${prefix}:"`);
  const provider = providerForPrefix(prefix);
  if (!provider) {
    throw new ModelError(
      "config",
      `unknown model provider "${prefix}" in "${ref}" (expected one of ${providerPrefixes()})`,
    );
  }
  return provider.parse(prefix, rest, ref, env);
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
