import { afterEach, describe, expect, it } from "vitest";
import { ModelError, OpenAIEndpoint, deriveSeed, parseRetryAfter } from "../../src/models/index.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";

const messages = [
  { role: "system" as const, content: "You write Python." },
  { role: "user" as const, content: "add two numbers" },
];

let server: ChatServer | undefined;
let endpoint: OpenAIEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  await server?.close();
  endpoint = undefined;
  server = undefined;
});

async function setup(options: Parameters<typeof startChatServer>[0] = {}, timeoutMs?: number) {
  server = await startChatServer(options);
  endpoint = new OpenAIEndpoint({
    baseUrl: server.url,
    model: "test-model",
    apiKey: "sk-test",
    extraBody: { repetition_penalty: 1.1 },
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  return { server, endpoint };
}

async function failure(p: Promise<unknown>): Promise<ModelError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    return err as ModelError;
  }
  throw new Error("expected a failure");
}

describe("OpenAIEndpoint", () => {
  it("sends messages, sampling settings, extra body and the API key", async () => {
    const { server, endpoint } = await setup({ script: ["def add(a, b):\n    return a + b"] });
    const response = await endpoint.generate({
      messages,
      sampleIndex: 3,
      sampling: {
        temperature: 0.7,
        topP: 0.95,
        topK: 20,
        minP: 0.05,
        seed: 11,
        maxTokens: 256,
        stop: ["```\n"],
        extraBody: { chat_template_kwargs: { enable_thinking: false } },
      },
    });
    const req = server.requests[0]!;
    expect(req.headers.authorization).toBe("Bearer sk-test");
    expect(req.body).toEqual({
      model: "test-model",
      messages,
      temperature: 0.7,
      top_p: 0.95,
      top_k: 20,
      min_p: 0.05,
      seed: deriveSeed(11, 3),
      max_tokens: 256,
      stop: ["```\n"],
      repetition_penalty: 1.1,
      chat_template_kwargs: { enable_thinking: false },
    });
    const [c] = response.completions;
    expect(c!.text).toBe("def add(a, b):\n    return a + b");
    expect(c!.finishReason).toBe("stop");
    expect(c!.sampleIndex).toBe(3);
    expect(c!.seed).toBe(deriveSeed(11, 3));
    expect(c!.usage).toEqual({ promptTokens: 6, completionTokens: 7 });
    expect(c!.latencyMs).toBeGreaterThan(0);
  });

  it("omits unset settings, so servers that reject unknown fields are not upset", async () => {
    const { server, endpoint } = await setup();
    await endpoint.generate({ messages });
    expect(Object.keys(server.requests[0]!.body).sort()).toEqual(["messages", "model", "repetition_penalty"]);
  });

  it("returns n choices ordered by index, splitting token totals by text length", async () => {
    const { server, endpoint } = await setup({
      script: [
        { texts: ["one two", "three four five six"], usage: { prompt_tokens: 9, completion_tokens: 30 } },
      ],
    });
    const r = await endpoint.generate({ messages, n: 2, sampleIndex: 10 });
    expect(server.requests[0]!.body.n).toBe(2);
    expect(r.completions.map((c) => [c.text, c.sampleIndex])).toEqual([
      ["one two", 10],
      ["three four five six", 11],
    ]);
    expect(r.completions.map((c) => c.usage.completionTokens)).toEqual([8, 22]);
    expect(r.completions.every((c) => c.usage.promptTokens === 9 && c.usage.approximate)).toBe(true);
  });

  it("maps finish reasons and parses logprobs", async () => {
    const { endpoint } = await setup({ script: [{ text: "a b", finishReason: "length" }] });
    const r = await endpoint.generate({ messages, sampling: { logprobs: true, topLogprobs: 2 } });
    const c = r.completions[0]!;
    expect(c.finishReason).toBe("length");
    expect(c.logprobs).toEqual([
      {
        token: "a",
        logprob: -0.01,
        top: [
          { token: "a", logprob: -0.001 },
          { token: "alt1", logprob: -1 },
        ],
      },
      {
        token: " b",
        logprob: -0.02,
        top: [
          { token: " b", logprob: -0.001 },
          { token: "alt1", logprob: -1 },
        ],
      },
    ]);
  });

  it("lists models", async () => {
    const { endpoint } = await setup({ models: ["m1", "m2"] });
    expect(await endpoint.listModels()).toEqual(["m1", "m2"]);
  });

  it("classifies a 429 with Retry-After, a 500 and a 400", async () => {
    const { endpoint } = await setup({
      script: [
        { fault: "status", status: 429, retryAfter: 3 },
        { fault: "status", status: 500 },
        { fault: "status", status: 400, body: JSON.stringify({ error: { message: "context too long" } }) },
      ],
    });
    const e429 = await failure(endpoint.generate({ messages }));
    expect([e429.kind, e429.status, e429.retryAfterMs, e429.retryable, e429.overload]).toEqual([
      "http",
      429,
      3000,
      true,
      true,
    ]);
    const e500 = await failure(endpoint.generate({ messages }));
    expect([e500.status, e500.retryable, e500.overload]).toEqual([500, true, false]);
    const e400 = await failure(endpoint.generate({ messages }));
    expect(e400.retryable).toBe(false);
    expect(e400.message).toContain("context too long");
  });

  it("classifies malformed JSON, dropped and reset connections", async () => {
    const { endpoint } = await setup({
      script: [{ fault: "malformed" }, { fault: "drop" }, { fault: "reset" }],
    });
    const malformed = await failure(endpoint.generate({ messages }));
    expect([malformed.kind, malformed.retryable]).toEqual(["bad_response", true]);
    const dropped = await failure(endpoint.generate({ messages }));
    expect([dropped.kind, dropped.retryable]).toEqual(["connection", true]);
    const reset = await failure(endpoint.generate({ messages }));
    expect([reset.kind, reset.retryable]).toEqual(["connection", true]);
  });

  it("waits out slow headers and slow bodies (no client-side header timeout)", async () => {
    const { endpoint } = await setup({
      script: [
        { text: "late", delayMs: 1200 },
        { text: "later", bodyDelayMs: 600 },
      ],
    });
    expect((await endpoint.generate({ messages })).completions[0]!.text).toBe("late");
    expect((await endpoint.generate({ messages })).completions[0]!.text).toBe("later");
  });

  it("times out by its own per-attempt limit, and honours the caller's abort", async () => {
    const { endpoint } = await setup({ script: [{ fault: "hang" }, { fault: "hang" }] }, 300);
    const timeout = await failure(endpoint.generate({ messages }));
    expect([timeout.kind, timeout.retryable]).toEqual(["timeout", true]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await failure(endpoint.generate({ messages }, { signal: controller.signal }));
    expect([aborted.kind, aborted.retryable]).toEqual(["aborted", false]);
  });

  it("reports a refused connection as a connection error", async () => {
    const { server } = await setup();
    const url = server.url;
    await server.close();
    const lonely = new OpenAIEndpoint({ baseUrl: url, model: "m", timeoutMs: 2000 });
    const err = await failure(lonely.generate({ messages }));
    expect(err.kind).toBe("connection");
    await lonely.close();
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("0.5")).toBe(500);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:04 GMT", now)).toBe(4000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe("deriveSeed", () => {
  it("keeps the base seed for sample 0 and gives distinct seeds to other samples", () => {
    expect(deriveSeed(42, 0)).toBe(42);
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(42, i)));
    expect(seeds.size).toBe(1000);
    expect(deriveSeed(42, 5)).toBe(deriveSeed(42, 5));
    expect(deriveSeed(42, 5)).not.toBe(deriveSeed(43, 5));
  });
});
