import { llamaProvider } from "./provider-llama.js";
import { openAIProvider } from "./provider-openai.js";
import type { ModelProvider } from "./providers.js";
import { ModelError } from "./types.js";

/** The model backends, in the order their prefixes are tried. A new backend: one file, one entry. */
export const MODEL_PROVIDERS: readonly ModelProvider[] = [
  openAIProvider as unknown as ModelProvider,
  llamaProvider as unknown as ModelProvider,
];

export function providerForPrefix(prefix: string): ModelProvider | undefined {
  return MODEL_PROVIDERS.find((p) => p.prefixes.includes(prefix));
}

export function providerFor(config: { provider: string }): ModelProvider {
  const p = MODEL_PROVIDERS.find((q) => q.provider === config.provider);
  if (!p) throw new ModelError("config", `no model provider "${config.provider}"`);
  return p;
}

/** Every prefix, for error messages: `openai:, vllm:, ...`. */
export function providerPrefixes(): string {
  return MODEL_PROVIDERS.flatMap((p) => p.prefixes.map((x) => `${x}:`)).join(", ");
}
