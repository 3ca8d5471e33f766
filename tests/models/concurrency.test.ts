import { afterEach, describe, expect, it } from "vitest";
import { AdaptiveLimiter, type ManagedModel, ModelError, createModel } from "../../src/models/index.js";
import { type ChatServer, type ChatServerOptions, startChatServer } from "../helpers/chat-server.js";

const servers: ChatServer[] = [];
const models: ManagedModel[] = [];
afterEach(async () => {
  for (const m of models.splice(0)) await m.close();
  for (const s of servers.splice(0)) await s.close();
});

async function serve(options: ChatServerOptions = {}) {
  const s = await startChatServer(options);
  servers.push(s);
  return s;
}

const ask = (i: number) => ({ messages: [{ role: "user" as const, content: `task ${i}` }] });

describe("AdaptiveLimiter", () => {
  it("queues beyond its limit and grows by one per success while saturated", async () => {
    const limiter = new AdaptiveLimiter({ initial: 2, max: 10 });
    await limiter.acquire();
    await limiter.acquire();
    let third = false;
    const waiting = limiter.acquire().then(() => {
      third = true;
    });
    await Promise.resolve();
    expect([third, limiter.queued]).toEqual([false, 1]);
    limiter.release("ok");
    await waiting;
    expect(third).toBe(true);
    expect(limiter.limit).toBe(3);
    // Not saturated (1 of 3 in flight after this): no evidence, no growth.
    limiter.release("ok");
    expect(limiter.limit).toBe(3);
  });

  it("halves on overload at most once per cooldown, never below the minimum", async () => {
    const limiter = new AdaptiveLimiter({ initial: 16, min: 3, decreaseCooldownMs: 50 });
    for (let i = 0; i < 3; i++) await limiter.acquire();
    limiter.release("overload");
    limiter.release("overload");
    expect(limiter.limit).toBe(8);
    await new Promise((r) => setTimeout(r, 60));
    limiter.release("overload");
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 5; i++) {
      await limiter.acquire();
      await new Promise((r) => setTimeout(r, 55));
      limiter.release("overload");
    }
    expect(limiter.limit).toBe(3);
    // After an overload, growth is additive: about one per limit's worth of successes.
    for (let i = 0; i < 3; i++) await limiter.acquire();
    limiter.release("ok");
    expect(limiter.state().limit).toBe(3);
  });

  it("drops a queued request when its signal aborts", async () => {
    const limiter = new AdaptiveLimiter({ initial: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const queued = limiter.acquire(controller.signal);
    controller.abort();
    await expect(queued).rejects.toBeInstanceOf(ModelError);
    expect(limiter.queued).toBe(0);
  });
});

describe("adaptive concurrency against a server", () => {
  it("grows while the server is healthy", async () => {
    const server = await serve({ latencyMs: 5, logLimit: 0 });
    const model = createModel(
      { provider: "openai", baseUrl: server.url, model: "m" },
      { cache: false, concurrency: { initial: 2, max: 64 } },
    );
    models.push(model);
    await Promise.all(Array.from({ length: 400 }, (_, i) => model.generate(ask(i))));
    const [state] = model.limiters();
    expect(state!.limit).toBe(64);
    expect(state!.peakInFlight).toBe(64);
    // The server sees far more than the initial 2 at once (exact overlap depends on timing).
    expect(server.stats.peakInFlight).toBeGreaterThan(8);
  });

  it("backs off on 429 to about the server's capacity, and every request still succeeds", async () => {
    const capacity = 12;
    const server = await serve({ latencyMs: 10, capacity, capacityRetryAfter: 0, logLimit: 0 });
    const model = createModel(
      { provider: "openai", baseUrl: server.url, model: "m" },
      {
        cache: false,
        concurrency: { initial: 64, max: 256, decreaseCooldownMs: 30 },
        retry: { maxAttempts: 20, baseDelayMs: 5, maxDelayMs: 50 },
      },
    );
    models.push(model);
    const total = 600;
    const results = await Promise.all(Array.from({ length: total }, (_, i) => model.generate(ask(i))));
    expect(results).toHaveLength(total);
    expect(server.stats.answered).toBe(total);
    const [state] = model.limiters();
    expect(state!.decreases).toBeGreaterThan(0);
    expect(state!.limit).toBeLessThanOrEqual(4 * capacity);
    // Without adaptation nearly every request beyond capacity would bounce again and again.
    const rejected = server.stats.byStatus[429] ?? 0;
    expect(rejected).toBeLessThan(total);
  });
});

describe("replicas", () => {
  it("spreads requests over replicas, favouring the faster one", async () => {
    const fast = await serve({ logLimit: 0 });
    const slow = await serve({ latencyMs: 40, logLimit: 0 });
    const model = createModel(
      { provider: "openai", baseUrls: [fast.url, slow.url], model: "m" },
      { cache: false, concurrency: { initial: 8, max: 8 } },
    );
    models.push(model);
    await Promise.all(Array.from({ length: 300 }, (_, i) => model.generate(ask(i))));
    expect(fast.stats.received + slow.stats.received).toBe(300);
    expect(slow.stats.received).toBeGreaterThan(0);
    expect(fast.stats.received).toBeGreaterThan(slow.stats.received);
    expect(model.limiters()).toHaveLength(2);
  });

  it("keeps serving when one replica is down", async () => {
    const up = await serve({ logLimit: 0 });
    const down = await serve();
    const downUrl = down.url;
    await down.close();
    servers.splice(servers.indexOf(down), 1);
    const model = createModel(
      { provider: "openai", baseUrls: [downUrl, up.url], model: "m" },
      { cache: false, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
    );
    models.push(model);
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => model.generate(ask(i))));
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    expect(up.stats.received).toBe(100);
    expect(model.stats().succeeded).toBe(100);
  });

  it("uses one cache identity for a set of replicas, whatever their order", () => {
    const a = createModel({
      provider: "openai",
      baseUrls: ["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"],
      model: "m",
    });
    const b = createModel({
      provider: "openai",
      baseUrls: ["http://127.0.0.1:2/v1", "http://127.0.0.1:1/v1"],
      model: "m",
    });
    models.push(a, b);
    expect(a.id).toBe(b.id);
  });
});
