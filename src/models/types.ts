import type { ChatMessage, FinishReason, ModelErrorKind } from "../core/chat.js";

export type { ChatMessage, FinishReason, ModelErrorKind };

/** Sampling settings; unset fields are left to the server's defaults. */
export interface SamplingParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  /** Base seed; sample i of a request uses `deriveSeed(seed, sampleIndex)`. */
  seed?: number;
  maxTokens?: number;
  stop?: string[];
  /** Ask for per-token log-probabilities. */
  logprobs?: boolean;
  /** How many alternatives per token to return with `logprobs`. */
  topLogprobs?: number;
  /** Server-specific fields copied verbatim into the request body (e.g. vLLM's `repetition_penalty`). */
  extraBody?: Record<string, unknown>;
}

export interface ChatRequest {
  messages: ChatMessage[];
  sampling?: SamplingParams;
  /** Number of samples wanted; default 1. */
  n?: number;
  /**
   * Index of the first sample. Samples are numbered so that repeated sampling of one prompt
   * (e.g. 200 trajectories) never collapses onto one cached answer; default 0.
   */
  sampleIndex?: number;
  /** Caller's label for this request, echoed in accounting records. */
  id?: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /**
   * True when the server only reported totals for several samples and this completion's share
   * was apportioned by text length.
   */
  approximate?: boolean;
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  top?: { token: string; logprob: number }[];
}

export interface Completion {
  text: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  /** Wall time of the request that produced this completion, in milliseconds. */
  latencyMs: number;
  /** Absolute sample index (request.sampleIndex + position). */
  sampleIndex: number;
  /** Seed sent for this sample, when one was sent per sample. */
  seed?: number;
  logprobs?: TokenLogprob[];
  /** Set when the completion came from the response cache. */
  cached?: boolean;
}

export interface ChatResponse {
  /** Ordered by sampleIndex; exactly `n` entries. */
  completions: Completion[];
}

export interface GenerateOptions {
  signal?: AbortSignal;
}

/**
 * The model contract: messages and sampling settings in, completions out. Cross-cutting
 * behaviour (retry, cache, concurrency, accounting) wraps a ChatModel instead of living in it.
 */
export interface ChatModel {
  /** Stable identity of the model behind this client; part of every cache key. */
  readonly id: string;
  generate(request: ChatRequest, options?: GenerateOptions): Promise<ChatResponse>;
  /** Releases connections, native handles and timers. */
  close(): Promise<void>;
}

/** The one error type the models layer throws; carries what a retry or a report needs. */
export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  readonly status?: number;
  /** Server-requested wait before retrying (from Retry-After), in milliseconds. */
  readonly retryAfterMs?: number;
  /** Number of attempts made before giving up; set by the retry layer. */
  attempts?: number;
  /** Samples of the failed request that did succeed (so nothing already paid for is lost). */
  completions?: Completion[];
  /** Endpoint that produced the error, when known. */
  endpoint?: string;

  constructor(
    kind: ModelErrorKind,
    message: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown; endpoint?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ModelError";
    this.kind = kind;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.endpoint !== undefined) this.endpoint = options.endpoint;
  }

  /** Whether trying the same request again may succeed. */
  get retryable(): boolean {
    switch (this.kind) {
      case "timeout":
      case "connection":
      case "bad_response":
        return true;
      case "http":
        return this.status === 408 || this.status === 409 || this.status === 429 || (this.status ?? 0) >= 500;
      default:
        return false;
    }
  }

  /** Whether the server signalled overload (a cue to lower concurrency). */
  get overload(): boolean {
    return this.kind === "http" && (this.status === 429 || this.status === 503);
  }
}

export function asModelError(err: unknown): ModelError {
  if (err instanceof ModelError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ModelError("backend", message, { cause: err });
}

/**
 * Seed for sample `index` given a base seed: the base itself for sample 0, a hash-mixed value
 * for the others, so each sample index reproduces on its own regardless of batching.
 */
export function deriveSeed(seed: number, index: number): number {
  if (index === 0) return seed >>> 0;
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) & 0x7fffffff;
}
