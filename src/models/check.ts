import type { OpenAIEndpoint } from "./openai.js";
import { llamaBackend } from "./provider-llama.js";
import { openAIEndpoints } from "./provider-openai.js";
import { type ModelConfig, parseModelConfig, parseModelRef } from "./ref.js";
import { withRetry } from "./retry.js";
import { type ChatModel, type ChatRequest, type Completion, asModelError } from "./types.js";

/** "yes"/"no" when a probe was conclusive; "unknown" when it could not tell (see `notes`). */
export type Honoured = "yes" | "no" | "unknown";

export interface EndpointCheck {
  endpoint: string;
  reachable: boolean;
  /** Models the server lists (GET /models), or the loaded file for llama.cpp. */
  models?: string[];
  modelListed?: boolean;
  generation?: {
    ok: boolean;
    latencyMs?: number;
    text?: string;
    promptTokens?: number;
    completionTokens?: number;
  };
  n: Honoured;
  seed: Honoured;
  logprobs: Honoured;
  errors: string[];
  notes: string[];
}

export interface ModelCheck {
  ref: string;
  provider: ModelConfig["provider"];
  model: string;
  ok: boolean;
  endpoints: EndpointCheck[];
}

const PROBE_MESSAGES = [{ role: "user" as const, content: "Reply with one short word." }];

async function attempt<T>(errors: string[], what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    errors.push(`${what}: ${asModelError(err).message}`);
    return undefined;
  }
}

/** Probes one model: generation, `n`, seed and logprobs support, using tiny requests. */
async function probeGeneration(model: ChatModel, check: EndpointCheck, nativeN: boolean): Promise<void> {
  const tiny: ChatRequest = { messages: PROBE_MESSAGES, sampling: { temperature: 0, maxTokens: 8 } };
  const first = await attempt(check.errors, "generation", () => model.generate(tiny));
  const c = first?.completions[0];
  check.generation = c
    ? {
        ok: true,
        latencyMs: Math.round(c.latencyMs),
        text: c.text,
        promptTokens: c.usage.promptTokens,
        completionTokens: c.usage.completionTokens,
      }
    : { ok: false };
  if (!c) return;
  check.reachable = true;

  if (nativeN) {
    const many = await attempt(check.errors, "n probe", () =>
      model.generate({ messages: PROBE_MESSAGES, n: 2, sampling: { temperature: 1, maxTokens: 4 } }),
    );
    if (many) check.n = many.completions.length === 2 ? "yes" : "no";
  } else {
    check.notes.push("n: samples are generated one by one in-process");
  }

  // Same seed twice must agree; a different seed should (at temperature 1) usually differ.
  const seeded = (seed: number) =>
    model.generate({ messages: PROBE_MESSAGES, sampling: { temperature: 1, topP: 1, maxTokens: 16, seed } });
  const texts: (Completion | undefined)[] = [];
  for (const seed of [1234, 1234, 98765]) {
    const r = await attempt(check.errors, "seed probe", () => seeded(seed));
    texts.push(r?.completions[0]);
  }
  const [a, b, other] = texts;
  if (a && b && other) {
    if (a.text !== b.text) check.seed = "no";
    else if (a.text !== other.text) check.seed = "yes";
    else check.notes.push("seed: all answers were identical, so seeding could not be told apart");
  }

  if (nativeN) {
    const lp = await attempt(check.errors, "logprobs probe", () =>
      model.generate({
        messages: PROBE_MESSAGES,
        sampling: { maxTokens: 4, logprobs: true, topLogprobs: 2 },
      }),
    );
    if (lp) check.logprobs = lp.completions[0]?.logprobs?.length ? "yes" : "no";
  } else {
    check.logprobs = "no";
  }
}

/**
 * `codeloop models check`: is each endpoint reachable, does it list the model, and does it honour
 * `n`, seed and logprobs; with the latency of a tiny generation.
 */
export async function checkModel(
  refOrConfig: string | ModelConfig,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ModelCheck> {
  const env = options.env ?? process.env;
  const config =
    typeof refOrConfig === "string" ? parseModelRef(refOrConfig, env) : parseModelConfig(refOrConfig);
  const ref = typeof refOrConfig === "string" ? refOrConfig : JSON.stringify(refOrConfig);
  const endpoints: EndpointCheck[] = [];

  if (config.provider === "openai") {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const raw: OpenAIEndpoint[] = openAIEndpoints({ ...config, timeoutMs }, env);
    for (const endpoint of raw) {
      const check: EndpointCheck = {
        endpoint: endpoint.baseUrl,
        reachable: false,
        n: "unknown",
        seed: "unknown",
        logprobs: "unknown",
        errors: [],
        notes: [],
      };
      const models = await attempt(check.errors, "GET /models", () => endpoint.listModels());
      if (models) {
        check.reachable = true;
        check.models = models;
        check.modelListed = models.includes(config.model);
      }
      // A couple of quick retries so one transient failure does not mark a capability missing.
      await probeGeneration(withRetry(endpoint, { maxAttempts: 3, baseDelayMs: 200 }), check, true);
      endpoints.push(check);
      await endpoint.close();
    }
    return {
      ref,
      provider: "openai",
      model: config.model,
      ok: endpoints.every((e) => e.generation?.ok === true),
      endpoints,
    };
  }

  const model = llamaBackend(config, env);
  const check: EndpointCheck = {
    endpoint: config.path ?? `hf:${config.hf}`,
    reachable: false,
    n: "no",
    seed: "unknown",
    logprobs: "unknown",
    errors: [],
    notes: [],
  };
  try {
    const loaded = await attempt(check.errors, "load", async () => {
      await model.load();
      return true;
    });
    if (loaded) {
      check.reachable = true;
      check.models = [model.id];
      check.modelListed = true;
      await probeGeneration(model, check, false);
    }
  } finally {
    await model.close();
  }
  return { ref, provider: "llama", model: model.id, ok: check.generation?.ok === true, endpoints: [check] };
}
