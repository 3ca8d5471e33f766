/**
 * The part of node-llama-cpp's API that the llama: backend uses, written out here so that
 * codeloop builds when the optional package failed to install (its types ship with it). A test
 * (tests/models/llama-api.test.ts) checks that the real package still fits this shape.
 */

export type ChatHistoryItem =
  | { type: "system"; text: string }
  | { type: "user"; text: string }
  | { type: "model"; response: string[] };

export interface LlamaGenerateOptions {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  maxTokens?: number;
  customStopTriggers?: string[];
  signal?: AbortSignal;
  stopOnAbortSignal?: boolean;
}

export interface LlamaContextSequence {
  readonly tokenMeter: { readonly usedInputTokens: number; readonly usedOutputTokens: number };
  clearHistory(): Promise<void>;
}

// S is the sequence type: codeloop's subset when it runs, node-llama-cpp's own in the test that
// checks the real package fits (its LlamaChat constructor wants its full sequence type).
export interface LlamaContext<S extends LlamaContextSequence = LlamaContextSequence> {
  getSequence(): S;
  dispose(): Promise<void>;
}

export interface LlamaModel<S extends LlamaContextSequence = LlamaContextSequence> {
  readonly trainContextSize: number;
  createContext(options: {
    contextSize?: number;
    sequences?: number;
    threads?: number;
  }): Promise<LlamaContext>;
  dispose(): Promise<void>;
}

export interface Llama<S extends LlamaContextSequence = LlamaContextSequence> {
  loadModel(options: { modelPath: string; gpuLayers?: number | "auto" | "max" }): Promise<LlamaModel<S>>;
  dispose(): Promise<void>;
}

export interface LlamaChat {
  generateResponse(
    history: ChatHistoryItem[],
    options: LlamaGenerateOptions,
  ): Promise<{ response: string; metadata: { stopReason: string } }>;
  dispose(options: { disposeSequence: boolean }): void;
}

/** The module: `import("node-llama-cpp")`. */
export interface NodeLlamaCpp<S extends LlamaContextSequence = LlamaContextSequence> {
  // The log level goes in as a value read off the module (LlamaLogLevel.error): its enum type
  // is node-llama-cpp's own, so it is not named here.
  getLlama(options: { gpu?: "auto" | false; build?: "never"; progressLogs?: boolean }): Promise<Llama<S>>;
  readonly LlamaLogLevel: { readonly error: unknown };
  readonly LlamaChat: new (options: { contextSequence: S }) => LlamaChat;
}
