import {
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type GenerateOptions,
  type ModelErrorKind,
  asModelError,
} from "./types.js";

/** What became of one `generate` call: exactly one record per call. */
export interface RequestOutcome {
  id?: string;
  model: string;
  ok: boolean;
  samples: number;
  /** Completions returned, including partial ones salvaged from a failed call. */
  completions: number;
  cachedCompletions: number;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  error?: { kind: ModelErrorKind; message: string; status?: number; attempts?: number };
}

export interface ModelStats {
  requests: number;
  succeeded: number;
  failed: number;
  completions: number;
  cachedCompletions: number;
  /** Tokens of completions produced by the model in this run (cache hits excluded). */
  promptTokens: number;
  completionTokens: number;
  /** Sum of wall times of all calls, for mean latency. */
  totalLatencyMs: number;
  errorsByKind: Partial<Record<ModelErrorKind, number>>;
}

export interface AccountedModel extends ChatModel {
  stats(): ModelStats;
}

/** Records one outcome per request and keeps running totals of calls, tokens and errors. */
export function withAccounting(
  inner: ChatModel,
  onOutcome?: (outcome: RequestOutcome) => void,
): AccountedModel {
  const totals: ModelStats = {
    requests: 0,
    succeeded: 0,
    failed: 0,
    completions: 0,
    cachedCompletions: 0,
    promptTokens: 0,
    completionTokens: 0,
    totalLatencyMs: 0,
    errorsByKind: {},
  };

  function record(outcome: RequestOutcome): void {
    totals.requests++;
    if (outcome.ok) totals.succeeded++;
    else {
      totals.failed++;
      const kind = outcome.error!.kind;
      totals.errorsByKind[kind] = (totals.errorsByKind[kind] ?? 0) + 1;
    }
    totals.completions += outcome.completions;
    totals.cachedCompletions += outcome.cachedCompletions;
    totals.promptTokens += outcome.promptTokens;
    totals.completionTokens += outcome.completionTokens;
    totals.totalLatencyMs += outcome.latencyMs;
    onOutcome?.(outcome);
  }

  function summarize(request: ChatRequest, latencyMs: number, response: ChatResponse): RequestOutcome {
    let cached = 0;
    let promptTokens = 0;
    let completionTokens = 0;
    for (const c of response.completions) {
      if (c.cached) cached++;
      else {
        promptTokens += c.usage.promptTokens;
        completionTokens += c.usage.completionTokens;
      }
    }
    const outcome: RequestOutcome = {
      model: inner.id,
      ok: true,
      samples: request.n ?? 1,
      completions: response.completions.length,
      cachedCompletions: cached,
      promptTokens,
      completionTokens,
      latencyMs,
    };
    if (request.id !== undefined) outcome.id = request.id;
    return outcome;
  }

  return {
    id: inner.id,
    close: () => inner.close(),
    stats: () => ({ ...totals, errorsByKind: { ...totals.errorsByKind } }),
    async generate(request: ChatRequest, options?: GenerateOptions): Promise<ChatResponse> {
      const start = performance.now();
      try {
        const response = await inner.generate(request, options);
        record(summarize(request, performance.now() - start, response));
        return response;
      } catch (err) {
        const error = asModelError(err);
        const outcome = summarize(request, performance.now() - start, {
          completions: error.completions ?? [],
        });
        outcome.ok = false;
        outcome.error = { kind: error.kind, message: error.message };
        if (error.status !== undefined) outcome.error.status = error.status;
        if (error.attempts !== undefined) outcome.error.attempts = error.attempts;
        record(outcome);
        throw error;
      }
    },
  };
}
