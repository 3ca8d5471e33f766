import { type DownloadOptions, downloadHubFile, hubFilePath, parseHubFileRef } from "./hub.js";
import { LlamaCppModel } from "./llama.js";
import type { LlamaModelConfig } from "./model-config.js";
import type { ModelProvider } from "./providers.js";

/** A GGUF file run in-process through node-llama-cpp: `llama:<path>` or `llama:hf:<repo>/<file>`. */

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

export const llamaProvider: ModelProvider<LlamaModelConfig> = {
  provider: "llama",
  prefixes: ["llama"],
  parse(_prefix, rest) {
    if (rest.startsWith("hf:")) return { provider: "llama", hf: rest.slice(3) };
    return { provider: "llama", path: rest };
  },
  create(config, env, options) {
    return { core: llamaBackend(config, env, options.download), limiters: [] };
  },
};
