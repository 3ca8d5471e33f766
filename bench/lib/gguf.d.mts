// Types of gguf.mjs (a plain module so the benchmarks can run it without a build).
export interface TinyGgufOptions {
  name?: string;
  embedding?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  feedForward?: number;
  contextLength?: number;
  /** Vocabulary size, padded with unused entries; default: the minimal few hundred. */
  vocabSize?: number;
  seed?: number;
  quant?: "f32" | "q8_0";
}
export function tinyLlamaGguf(options?: TinyGgufOptions): Buffer;
export function writeTinyLlamaGguf(path: string, options?: TinyGgufOptions): void;
export const CODER_1_5B_SHAPE: TinyGgufOptions;
