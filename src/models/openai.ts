import { JsonHttp } from "./http.js";
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
  private readonly http: JsonHttp;

  constructor(private readonly options: OpenAIEndpointOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.model = options.model;
    this.id = options.id ?? `openai:${this.baseUrl}#${options.model}`;
    const headers: Record<string, string> = { ...options.headers };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    this.http = new JsonHttp({
      baseUrl: options.baseUrl,
      headers,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.connections !== undefined ? { connections: options.connections } : {}),
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
    const json = await this.http.post("/chat/completions", body, options.signal);
    const latencyMs = performance.now() - start;
    return { completions: this.parseCompletions(json, request, body.seed as number | undefined, latencyMs) };
  }

  /** Model ids the server lists at GET /models. */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    const json = (await this.http.get("/models", signal)) as { data?: { id?: unknown }[] };
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

  async close(): Promise<void> {
    await this.http.close();
  }
}
