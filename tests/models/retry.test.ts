import { afterEach, describe, expect, it } from "vitest";
import {
  type ManagedModel,
  ModelError,
  type RequestOutcome,
  backoffDelay,
  createModel,
} from "../../src/models/index.js";
import { type ChatServer, type ChatServerOptions, startChatServer } from "../helpers/chat-server.js";

let server: ChatServer | undefined;
let model: ManagedModel | undefined;
afterEach(async () => {
  await model?.close();
  await server?.close();
  model = undefined;
  server = undefined;
});

const fastRetry = { baseDelayMs: 5, maxDelayMs: 40 };

async function setup(serverOptions: ChatServerOptions, maxAttempts = 6, timeoutMs?: number) {
  server = await startChatServer(serverOptions);
  const outcomes: RequestOutcome[] = [];
  model = createModel(
    {
      provider: "openai",
      baseUrl: server.url,
      model: "test-model",
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    },
    { cache: false, retry: { ...fastRetry, maxAttempts }, onOutcome: (o) => outcomes.push(o) },
  );
  return { server, model, outcomes };
}

const ask = (content: string, id?: string) => ({
  messages: [{ role: "user" as const, content }],
  ...(id !== undefined ? { id } : {}),
});

describe("retry", () => {
  it("retries 500, 503, malformed JSON, dropped and reset connections, then succeeds", async () => {
    const { server, model, outcomes } = await setup({
      script: [
        { fault: "status", status: 500 },
        { fault: "status", status: 503 },
        { fault: "malformed" },
        { fault: "drop" },
        { fault: "reset" },
        "finally",
      ],
    });
    const r = await model.generate(ask("hi"));
    expect(r.completions[0]!.text).toBe("finally");
    expect(server.stats.received).toBe(6);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.ok).toBe(true);
  });

  it("honours Retry-After on 429", async () => {
    const { server, model } = await setup({
      script: [{ fault: "status", status: 429, retryAfter: 1 }, "ok"],
    });
    const start = performance.now();
    const r = await model.generate(ask("hi"));
    expect(r.completions[0]!.text).toBe("ok");
    expect(performance.now() - start).toBeGreaterThanOrEqual(950);
    expect(server.stats.received).toBe(2);
  });

  it("stops at the cap and records one clear error", async () => {
    const { server, model, outcomes } = await setup({ fault: () => ({ fault: "status", status: 502 }) }, 4);
    const err = await model.generate(ask("hi", "req-1")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    const e = err as ModelError;
    expect(e.attempts).toBe(4);
    expect(e.status).toBe(502);
    expect(e.message).toMatch(/HTTP 502.*gave up after 4 attempts/);
    expect(server.stats.received).toBe(4);
    expect(outcomes).toEqual([
      expect.objectContaining({
        id: "req-1",
        ok: false,
        error: expect.objectContaining({ attempts: 4, status: 502 }),
      }),
    ]);
  });

  it("does not retry a 400", async () => {
    const { server, model } = await setup({ script: [{ fault: "status", status: 400 }] });
    const err = (await model.generate(ask("hi")).catch((e: unknown) => e)) as ModelError;
    expect(err.attempts).toBe(1);
    expect(server.stats.received).toBe(1);
  });

  it("retries timeouts up to the cap", async () => {
    const { server, model } = await setup({ fault: () => ({ fault: "hang" }) }, 3, 150);
    const err = (await model.generate(ask("hi")).catch((e: unknown) => e)) as ModelError;
    expect([err.kind, err.attempts]).toEqual(["timeout", 3]);
    expect(server.stats.received).toBe(3);
  });

  it("gives every request exactly one recorded outcome under mixed faults", async () => {
    const attemptsByPrompt = new Map<string, number>();
    const { server, model, outcomes } = await setup(
      {
        fault: (req) => {
          const prompt = String(req.body.messages[0].content);
          const seen = (attemptsByPrompt.get(prompt) ?? 0) + 1;
          attemptsByPrompt.set(prompt, seen);
          if (prompt.startsWith("doomed")) return { fault: "status", status: 503 };
          // Each healthy prompt fails a varying number of times (0-3) before succeeding.
          const failures = Number(prompt.split("-")[1]) % 4;
          if (seen > failures) return undefined;
          const kinds = [
            { fault: "status", status: 500 },
            { fault: "drop" },
            { fault: "malformed" },
            { fault: "reset" },
            { fault: "status", status: 429, retryAfter: 0 },
          ] as const;
          return kinds[(req.index + seen) % kinds.length]!;
        },
      },
      5,
    );
    const total = 120;
    const prompts = Array.from({ length: total }, (_, i) => (i % 10 === 3 ? `doomed-${i}` : `p-${i}`));
    const settled = await Promise.allSettled(prompts.map((p) => model.generate(ask(p, p))));

    expect(outcomes).toHaveLength(total);
    expect(new Set(outcomes.map((o) => o.id)).size).toBe(total);
    const doomed = prompts.filter((p) => p.startsWith("doomed"));
    for (const [i, s] of settled.entries()) {
      expect(s.status).toBe(prompts[i]!.startsWith("doomed") ? "rejected" : "fulfilled");
    }
    const failed = outcomes.filter((o) => !o.ok);
    expect(failed.map((o) => o.id).sort()).toEqual([...doomed].sort());
    expect(failed.every((o) => o.error?.attempts === 5)).toBe(true);
    // Server-side count: healthy prompts needed (failures + 1) attempts, doomed ones the cap.
    const expected = prompts.reduce(
      (sum, p) => sum + (p.startsWith("doomed") ? 5 : (Number(p.split("-")[1]) % 4) + 1),
      0,
    );
    expect(server.stats.received).toBe(expected);
    const stats = model.stats();
    expect([stats.requests, stats.succeeded, stats.failed]).toEqual([
      total,
      total - doomed.length,
      doomed.length,
    ]);
  });
});

describe("backoffDelay", () => {
  const err = new ModelError("http", "x", { status: 500 });
  it("grows exponentially with jitter between half and all of the step, capped", () => {
    const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, err, { ...opts, random: () => 0 })).toBe(50);
    expect(backoffDelay(1, err, { ...opts, random: () => 1 })).toBe(100);
    expect(backoffDelay(3, err, { ...opts, random: () => 1 })).toBe(400);
    expect(backoffDelay(10, err, { ...opts, random: () => 1 })).toBe(1000);
    expect(backoffDelay(10, err, { ...opts, random: () => 0 })).toBe(500);
  });
  it("uses Retry-After when given, up to its cap", () => {
    const limited = new ModelError("http", "x", { status: 429, retryAfterMs: 7000 });
    expect(backoffDelay(1, limited)).toBe(7000);
    expect(backoffDelay(1, limited, { maxRetryAfterMs: 2000 })).toBe(2000);
  });
});
