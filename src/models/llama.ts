import { access } from "node:fs/promises";
import { resolve } from "node:path";
import type {
  ChatHistoryItem,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGenerateOptions,
  LlamaModel,
  NodeLlamaCpp,
} from "./llama-api.js";
import {
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type Completion,
  type FinishReason,
  type GenerateOptions,
  ModelError,
  asModelError,
  deriveSeed,
} from "./types.js";

export const NODE_LLAMA_CPP_VERSION = "3.22.1";

/**
 * Loads the optional node-llama-cpp package. It is not a dependency of codeloop (its native
 * binaries are large), so a missing install gets a message that says what to run.
 */
export async function loadNodeLlamaCpp(specifier = "node-llama-cpp"): Promise<NodeLlamaCpp> {
  try {
    return (await import(specifier)) as unknown as NodeLlamaCpp;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = err instanceof Error ? err.message : String(err);
    if (
      code === "ERR_MODULE_NOT_FOUND" ||
      code === "MODULE_NOT_FOUND" ||
      /Cannot find (package|module)|Failed to load url/.test(message)
    ) {
      throw new ModelError(
        "config",
        `the llama: backend needs the optional package node-llama-cpp; install it with \`npm install node-llama-cpp@${NODE_LLAMA_CPP_VERSION}\``,
        { cause: err },
      );
    }
    throw new ModelError("backend", `node-llama-cpp failed to load: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export interface LlamaCppOptions {
  /** Path of a GGUF file. */
  path: string;
  /** Fetches the file first (a Hub download); called once, before loading. */
  fetch?: () => Promise<unknown>;
  /** Context window in tokens; default: the model's training context, at most 4096. */
  contextSize?: number;
  /** CPU threads; default: node-llama-cpp's choice. */
  threads?: number;
  /** GPU use: "auto" lets llama.cpp pick (CUDA, Vulkan, Metal), false forces the CPU. */
  gpu?: "auto" | false;
  gpuLayers?: number | "auto" | "max";
  /** Sequences decoded in parallel within one context; default 1. */
  parallel?: number;
  /** Identity for cache keys; default `llama:<absolute path>`. */
  id?: string;
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  mod: NodeLlamaCpp;
}

function toHistory(request: ChatRequest): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = request.messages.map((m): ChatHistoryItem => {
    if (m.role === "system") return { type: "system", text: m.content };
    if (m.role === "user") return { type: "user", text: m.content };
    return { type: "model", response: [m.content] };
  });
  // The model's turn to answer: an empty response item for generateResponse to fill.
  history.push({ type: "model", response: [] });
  return history;
}

function finishReason(stop: string): FinishReason {
  switch (stop) {
    case "eogToken":
    case "stopGenerationTrigger":
    case "customStopTrigger":
      return "stop";
    case "maxTokens":
      return "length";
    case "abort":
      return "abort";
    default:
      return "other";
  }
}

/** Embedded llama.cpp through node-llama-cpp: loads a GGUF file and generates in-process. */
export class LlamaCppModel implements ChatModel {
  readonly id: string;
  private loading: Promise<Loaded> | undefined;
  private readonly free: LlamaContextSequence[] = [];
  private readonly waiting: ((s: LlamaContextSequence) => void)[] = [];
  private closed = false;

  constructor(private readonly options: LlamaCppOptions) {
    this.id = options.id ?? `llama:${resolve(options.path)}`;
  }

  /** Loads the model (once); later calls share the same load. */
  async load(): Promise<void> {
    await this.loaded();
  }

  private loaded(): Promise<Loaded> {
    this.loading ??= this.doLoad();
    return this.loading;
  }

  private async doLoad(): Promise<Loaded> {
    const path = resolve(this.options.path);
    await this.options.fetch?.();
    try {
      await access(path);
    } catch {
      throw new ModelError("config", `GGUF file not found: ${path}`);
    }
    const mod = await loadNodeLlamaCpp();
    try {
      // build "never": a missing prebuilt binary must fail here, not start a source download.
      const llamaOptions = {
        gpu: this.options.gpu ?? "auto",
        build: "never" as const,
        progressLogs: false,
        logLevel: mod.LlamaLogLevel.error,
      };
      const llama = await mod.getLlama(llamaOptions);
      const model = await llama.loadModel({
        modelPath: path,
        ...(this.options.gpuLayers !== undefined ? { gpuLayers: this.options.gpuLayers } : {}),
      });
      const parallel = Math.max(1, this.options.parallel ?? 1);
      const context = await model.createContext({
        contextSize: this.options.contextSize ?? Math.min(4096, model.trainContextSize),
        sequences: parallel,
        ...(this.options.threads !== undefined ? { threads: this.options.threads } : {}),
      });
      for (let i = 0; i < parallel; i++) this.free.push(context.getSequence());
      return { llama, model, context, mod };
    } catch (err) {
      if (err instanceof ModelError) throw err;
      throw new ModelError("backend", `llama.cpp could not load ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private acquire(): Promise<LlamaContextSequence> {
    const s = this.free.pop();
    if (s) return Promise.resolve(s);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(s: LlamaContextSequence): void {
    const next = this.waiting.shift();
    if (next) next(s);
    else this.free.push(s);
  }

  async generate(request: ChatRequest, options: GenerateOptions = {}): Promise<ChatResponse> {
    if (this.closed) throw new ModelError("config", "model is closed");
    const loaded = await this.loaded();
    const n = request.n ?? 1;
    const base = request.sampleIndex ?? 0;
    const settled = await Promise.allSettled(
      Array.from({ length: n }, (_, k) => this.sample(loaded, request, base + k, options)),
    );
    const completions: Completion[] = [];
    let failure: unknown;
    for (const s of settled) {
      if (s.status === "fulfilled") completions.push(s.value);
      else failure ??= s.reason;
    }
    if (failure !== undefined) {
      const error = asModelError(failure);
      error.completions = completions;
      throw error;
    }
    return { completions };
  }

  private async sample(
    loaded: Loaded,
    request: ChatRequest,
    sampleIndex: number,
    options: GenerateOptions,
  ): Promise<Completion> {
    const s = request.sampling ?? {};
    const sequence = await this.acquire();
    const start = performance.now();
    const chat = new loaded.mod.LlamaChat({ contextSequence: sequence });
    try {
      const meterIn = sequence.tokenMeter.usedInputTokens;
      const meterOut = sequence.tokenMeter.usedOutputTokens;
      const seed = s.seed !== undefined ? deriveSeed(s.seed, sampleIndex) : undefined;
      const genOptions: LlamaGenerateOptions = {};
      if (s.temperature !== undefined) genOptions.temperature = s.temperature;
      if (s.topP !== undefined) genOptions.topP = s.topP;
      if (s.topK !== undefined) genOptions.topK = s.topK;
      if (s.minP !== undefined) genOptions.minP = s.minP;
      if (seed !== undefined) genOptions.seed = seed;
      genOptions.maxTokens = s.maxTokens ?? 512;
      if (s.stop?.length) genOptions.customStopTriggers = s.stop;
      if (options.signal) {
        genOptions.signal = options.signal;
        genOptions.stopOnAbortSignal = true;
      }
      const result = await chat.generateResponse(toHistory(request), genOptions);
      const completion: Completion = {
        text: result.response,
        finishReason: finishReason(result.metadata.stopReason),
        usage: {
          promptTokens: sequence.tokenMeter.usedInputTokens - meterIn,
          completionTokens: sequence.tokenMeter.usedOutputTokens - meterOut,
        },
        latencyMs: performance.now() - start,
        sampleIndex,
      };
      if (seed !== undefined) completion.seed = seed;
      return completion;
    } catch (err) {
      if (options.signal?.aborted) throw new ModelError("aborted", "request aborted", { cause: err });
      throw new ModelError("backend", `llama.cpp generation failed: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      chat.dispose({ disposeSequence: false });
      // Each sample starts from an empty context so samples do not depend on each other's order.
      await sequence.clearHistory().catch(() => {});
      this.release(sequence);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.loading) return;
    const loaded = await this.loading.catch(() => undefined);
    if (!loaded) return;
    await loaded.context.dispose();
    await loaded.model.dispose();
    await loaded.llama.dispose();
  }
}
