import { Pool } from "undici";
import {
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type Completion,
  type FinishReason,
  type GenerateOptions,
  ModelError,
  type TokenLogprob,
  deriveSeed,
} from "./types.js";

export interface OpenAIEndpointOptions {
  /** Base URL including the API prefix, e.g. `http://host:8000/v1`. */
  baseUrl: string;
  /** Model name sent in the body (vLLM's served model name, an Ollama tag, ...). */
  model: string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** Fields merged into every request body (server-specific options). */
  extraBody?: Record<string, unknown>;
  /** Time limit for one attempt, headers and body together; 0 disables it. Default 30 min. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Upper bound on sockets to this endpoint; the concurrency limiter stays below it. */
  connections?: number;
  /** Identity for cache keys; default `openai:<baseUrl>#<model>`. */
  id?: string;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const CONNECTION_CODES = new Set([
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === "") return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function mapFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case "stop":
    case "eos":
      return "stop";
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "abort":
      return "abort";
    default:
      return "other";
  }
}

function parseLogprobs(raw: unknown): TokenLogprob[] | undefined {
  const content = (raw as { content?: unknown } | null | undefined)?.content;
  if (!Array.isArray(content)) return undefined;
  return content.map((entry: { token?: unknown; logprob?: unknown; top_logprobs?: unknown }) => {
    const item: TokenLogprob = { token: String(entry.token ?? ""), logprob: Number(entry.logprob ?? 0) };
    if (Array.isArray(entry.top_logprobs)) {
      item.top = entry.top_logprobs.map((t: { token?: unknown; logprob?: unknown }) => ({
        token: String(t.token ?? ""),
        logprob: Number(t.logprob ?? 0),
      }));
    }
    return item;
  });
}

/** One OpenAI-compatible chat-completions server: one HTTP call per `generate`. */
export class OpenAIEndpoint implements ChatModel {
  readonly id: string;
  readonly baseUrl: string;
  readonly model: string;
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(private readonly options: OpenAIEndpointOptions) {
    const url = new URL(options.baseUrl);
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.model = options.model;
    this.id = options.id ?? `openai:${this.baseUrl}#${options.model}`;
    this.pathPrefix = url.pathname.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.headers = { "content-type": "application/json", accept: "application/json", ...options.headers };
    if (options.apiKey) this.headers.authorization = `Bearer ${options.apiKey}`;
    // Non-streaming generations send their headers only when done: undici's own header and body
    // timeouts would cut long generations, so they are off and one per-attempt limit applies.
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 1024,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    });
  }

  /** The request body for `request`, as sent to the server. */
  body(request: ChatRequest): Record<string, unknown> {
    const s = request.sampling ?? {};
    const n = request.n ?? 1;
    const body: Record<string, unknown> = {
      ...this.options.extraBody,
      ...s.extraBody,
      model: this.model,
      messages: request.messages,
    };
    if (n !== 1) body.n = n;
    if (s.temperature !== undefined) body.temperature = s.temperature;
    if (s.topP !== undefined) body.top_p = s.topP;
    if (s.topK !== undefined) body.top_k = s.topK;
    if (s.minP !== undefined) body.min_p = s.minP;
    if (s.seed !== undefined) body.seed = deriveSeed(s.seed, request.sampleIndex ?? 0);
    if (s.maxTokens !== undefined) body.max_tokens = s.maxTokens;
    if (s.stop !== undefined && s.stop.length > 0) body.stop = s.stop;
    if (s.logprobs) {
      body.logprobs = true;
      if (s.topLogprobs !== undefined) body.top_logprobs = s.topLogprobs;
    }
    return body;
  }

  async generate(request: ChatRequest, options: GenerateOptions = {}): Promise<ChatResponse> {
    const body = this.body(request);
    const start = performance.now();
    const json = await this.call("POST", "/chat/completions", JSON.stringify(body), options.signal);
    const latencyMs = performance.now() - start;
    return { completions: this.parseCompletions(json, request, body.seed as number | undefined, latencyMs) };
  }

  /** Model ids the server lists at GET /models. */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    const json = (await this.call("GET", "/models", undefined, signal)) as { data?: { id?: unknown }[] };
    if (!Array.isArray(json?.data)) throw new ModelError("bad_response", "GET /models: no data array");
    return json.data.map((m) => String(m.id));
  }

  private parseCompletions(json: unknown, request: ChatRequest, seed: number | undefined, latencyMs: number) {
    const choices = (json as { choices?: unknown })?.choices;
    if (!Array.isArray(choices) || choices.length === 0) {
      throw new ModelError("bad_response", "response has no choices", { endpoint: this.baseUrl });
    }
    const usage = (json as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }).usage;
    const promptTokens = Number(usage?.prompt_tokens ?? 0) || 0;
    const totalCompletion = Number(usage?.completion_tokens ?? 0) || 0;
    const base = request.sampleIndex ?? 0;
    const parsed = choices.map((c: Record<string, unknown>, position: number) => {
      const message = c.message as { content?: unknown; reasoning_content?: unknown } | undefined;
      if (message === undefined || typeof message !== "object") {
        throw new ModelError("bad_response", "choice without a message", { endpoint: this.baseUrl });
      }
      const index = typeof c.index === "number" ? c.index : position;
      return {
        index,
        text: typeof message.content === "string" ? message.content : "",
        finishReason: mapFinishReason(c.finish_reason),
        logprobs: parseLogprobs(c.logprobs),
      };
    });
    parsed.sort((a, b) => a.index - b.index);
    const totalChars = parsed.reduce((sum, c) => sum + c.text.length, 0);
    let assigned = 0;
    return parsed.map((c, i): Completion => {
      // Servers report token totals per request; with several choices, split by text length.
      let completionTokens = totalCompletion;
      if (parsed.length > 1) {
        completionTokens =
          i === parsed.length - 1
            ? totalCompletion - assigned
            : Math.round(
                totalChars > 0
                  ? (totalCompletion * c.text.length) / totalChars
                  : totalCompletion / parsed.length,
              );
        assigned += completionTokens;
      }
      const completion: Completion = {
        text: c.text,
        finishReason: c.finishReason,
        usage: { promptTokens, completionTokens, ...(parsed.length > 1 ? { approximate: true } : {}) },
        latencyMs,
        sampleIndex: base + i,
      };
      if (seed !== undefined) completion.seed = seed;
      if (c.logprobs !== undefined) completion.logprobs = c.logprobs;
      return completion;
    });
  }

  private async call(method: "GET" | "POST", path: string, body: string | undefined, signal?: AbortSignal) {
    if (signal?.aborted) throw new ModelError("aborted", "request aborted", { endpoint: this.baseUrl });
    const controller = new AbortController();
    let timedOut = false;
    const timer =
      this.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, this.timeoutMs)
        : undefined;
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const res = await this.pool.request({
        method,
        path: this.pathPrefix + path,
        headers: this.headers,
        body,
        signal: controller.signal,
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new ModelError(
          "http",
          `HTTP ${res.statusCode} from ${this.baseUrl}${path}: ${errorDetail(text)}`,
          {
            status: res.statusCode,
            retryAfterMs: parseRetryAfter(res.headers["retry-after"]),
            endpoint: this.baseUrl,
          },
        );
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new ModelError(
          "bad_response",
          `malformed JSON from ${this.baseUrl}${path}: ${text.slice(0, 120)}`,
          {
            cause: err,
            endpoint: this.baseUrl,
          },
        );
      }
    } catch (err) {
      if (err instanceof ModelError) throw err;
      if (timedOut) {
        throw new ModelError(
          "timeout",
          `no complete answer from ${this.baseUrl} within ${this.timeoutMs} ms`,
          {
            cause: err,
            endpoint: this.baseUrl,
          },
        );
      }
      if (signal?.aborted)
        throw new ModelError("aborted", "request aborted", { cause: err, endpoint: this.baseUrl });
      const code = (err as { code?: string }).code ?? "";
      const message = err instanceof Error ? err.message : String(err);
      if (CONNECTION_CODES.has(code) || code.startsWith("UND_ERR")) {
        throw new ModelError("connection", `${this.baseUrl}: ${code} ${message}`.trim(), {
          cause: err,
          endpoint: this.baseUrl,
        });
      }
      throw new ModelError("connection", `${this.baseUrl}: ${message}`, {
        cause: err,
        endpoint: this.baseUrl,
      });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** The server's error message if the body is an OpenAI-style error, else the start of the body. */
function errorDetail(text: string): string {
  try {
    const json = JSON.parse(text) as {
      error?: { message?: unknown } | string;
      message?: unknown;
      detail?: unknown;
    };
    const e = json.error;
    const message = typeof e === "string" ? e : (e?.message ?? json.message ?? json.detail);
    if (message !== undefined) return String(message).slice(0, 300);
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.slice(0, 300) || "(empty body)";
}
