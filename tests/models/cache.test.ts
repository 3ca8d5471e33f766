import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type CreateModelOptions,
  type ManagedModel,
  type ModelConfig,
  ModelError,
  cacheKey,
  createModel,
} from "../../src/models/index.js";
import { type ChatServer, type ChatServerOptions, startChatServer } from "../helpers/chat-server.js";

let dir: string;
let server: ChatServer | undefined;
const models: ManagedModel[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "codeloop-cache-"));
});
afterEach(async () => {
  for (const m of models.splice(0)) await m.close();
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(options: ChatServerOptions = {}) {
  server = await startChatServer(options);
  return server;
}

function make(config: Partial<ModelConfig> = {}, options: CreateModelOptions = {}): ManagedModel {
  const m = createModel(
    { provider: "openai", baseUrl: server!.url, model: "test-model", ...config } as ModelConfig,
    { cache: { dir }, retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 }, ...options },
  );
  models.push(m);
  return m;
}

const prompt = {
  messages: [{ role: "user" as const, content: "write fizzbuzz" }],
  sampling: { temperature: 0.8 },
};
const texts = (r: { completions: { text: string }[] }) => r.completions.map((c) => c.text);

describe("response cache", () => {
  it("returns the identical answer for the same request and sample index", async () => {
    const server = await start();
    const model = make();
    const first = await model.generate({ ...prompt, sampleIndex: 4 });
    const again = await model.generate({ ...prompt, sampleIndex: 4 });
    expect(texts(again)).toEqual(texts(first));
    expect(again.completions[0]!.cached).toBe(true);
    expect(server.stats.received).toBe(1);
    expect(model.cacheStats()).toMatchObject({ hits: 1, misses: 1, writes: 1 });
  });

  it("keeps different sample indexes apart, and fetches only the missing ones", async () => {
    const server = await start();
    const model = make();
    const three = await model.generate({ ...prompt, n: 3 });
    const five = await model.generate({ ...prompt, n: 5 });
    expect(texts(five).slice(0, 3)).toEqual(texts(three));
    expect(new Set(texts(five)).size).toBe(5);
    expect(five.completions.map((c) => [c.sampleIndex, c.cached === true])).toEqual([
      [0, true],
      [1, true],
      [2, true],
      [3, false],
      [4, false],
    ]);
    // Second call asked the server only for indexes 3 and 4, as one request with n = 2.
    expect(server.stats.received).toBe(2);
    expect(server.requests[1]!.body.n).toBe(2);
    expect(model.cacheStats()).toMatchObject({ hits: 3, misses: 5 });
    // One request per sample index gives the same distinct answers as one batched request.
    const single = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => model.generate({ ...prompt, sampleIndex: i })),
    );
    expect(single.map((r) => r.completions[0]!.text)).toEqual(texts(five));
  });

  it("misses when the messages, sampling settings or model differ", async () => {
    const server = await start();
    await make().generate(prompt);
    await make().generate({ ...prompt, sampling: { temperature: 0.9 } });
    await make().generate({ ...prompt, messages: [{ role: "user", content: "write fizzbuzz!" }] });
    await make({ model: "other-model" }).generate(prompt);
    await make().generate(prompt);
    expect(server.stats.received).toBe(4);
    expect(cacheKey("a", prompt.messages, { temperature: 1, topP: 0.9 }, 0)).toBe(
      cacheKey("a", prompt.messages, { topP: 0.9, temperature: 1, seed: undefined }, 0),
    );
  });

  it("persists across model instances and can be switched off", async () => {
    const server = await start();
    const a = await make().generate(prompt);
    const b = await make().generate(prompt);
    expect(texts(b)).toEqual(texts(a));
    expect(server.stats.received).toBe(1);
    const off = make({}, { cache: false });
    const c = await off.generate(prompt);
    const d = await off.generate(prompt);
    expect(server.stats.received).toBe(3);
    expect(texts(c)).not.toEqual(texts(d));
    expect(off.cacheStats()).toBeUndefined();
    const envOff = make({}, { env: { CODELOOP_NO_CACHE: "1" } });
    await envOff.generate(prompt);
    expect(server.stats.received).toBe(4);
  });

  it("shares one server call between concurrent identical requests", async () => {
    const server = await start({ latencyMs: 50 });
    const model = make();
    const results = await Promise.all(Array.from({ length: 10 }, () => model.generate(prompt)));
    expect(new Set(results.map((r) => r.completions[0]!.text)).size).toBe(1);
    expect(server.stats.received).toBe(1);
  });

  it("does not keep answers that were aborted", async () => {
    const server = await start({ script: [{ text: "partial", finishReason: "abort" }, "whole"] });
    const model = make();
    expect(texts(await model.generate(prompt))).toEqual(["partial"]);
    expect(texts(await model.generate(prompt))).toEqual(["whole"]);
    expect(texts(await model.generate(prompt))).toEqual(["whole"]);
    expect(server.stats.received).toBe(2);
  });

  it("treats a corrupt entry as a miss", async () => {
    const server = await start();
    const model = make();
    await model.generate(prompt);
    const sub = (await readdir(dir))[0]!;
    const file = (await readdir(join(dir, sub)))[0]!;
    await writeFile(join(dir, sub, file), "{not json");
    await make().generate(prompt);
    expect(server.stats.received).toBe(2);
  });

  it("keeps the samples that succeeded when others fail, and asks again only for the failed ones", async () => {
    let broken = true;
    const server = await start({
      fault: (req) =>
        broken && req.body.seed === 2_000_000_000 ? { fault: "status", status: 500 } : undefined,
    });
    // Seeded: samples are requested one by one; sample 0 carries the base seed and fails.
    const model = make();
    const request = { ...prompt, n: 4, sampling: { temperature: 0.8, seed: 2_000_000_000 } };
    const err = (await model.generate(request).catch((e: unknown) => e)) as ModelError;
    expect(err).toBeInstanceOf(ModelError);
    expect(err.completions?.map((c) => c.sampleIndex).sort()).toEqual([1, 2, 3]);
    expect(server.stats.received).toBe(2 + 3);
    broken = false;
    const ok = await model.generate(request);
    expect(ok.completions.map((c) => c.cached === true)).toEqual([false, true, true, true]);
    expect(server.stats.received).toBe(6);
  });
});

describe("sample splitting", () => {
  it("tops up with single requests when the server ignores n, and remembers it", async () => {
    const server = await start({ honourN: false });
    const model = make({}, { cache: false });
    const r = await model.generate({ ...prompt, n: 4 });
    expect(r.completions.map((c) => c.sampleIndex)).toEqual([0, 1, 2, 3]);
    expect(new Set(texts(r)).size).toBe(4);
    expect(server.stats.received).toBe(4);
    expect(model.honoursN()).toBe(false);
    await model.generate({ ...prompt, n: 3 });
    expect(server.stats.received).toBe(7);
    expect(server.requests.slice(4).every((q) => q.body.n === undefined)).toBe(true);
  });

  it("uses native n when honoured", async () => {
    const server = await start();
    const model = make({}, { cache: false });
    await model.generate({ ...prompt, n: 8 });
    expect(server.stats.received).toBe(1);
    expect(model.honoursN()).toBe(true);
  });

  it("gives each sample index of a seeded request its own reproducible seed, however batched", async () => {
    const server = await start();
    const model = make({}, { cache: false });
    const sampling = { temperature: 0.8, seed: 7 };
    const all = await model.generate({ ...prompt, sampling, n: 4 });
    const tail = await model.generate({ ...prompt, sampling, n: 2, sampleIndex: 2 });
    expect(texts(tail)).toEqual(texts(all).slice(2));
    expect(new Set(texts(all)).size).toBe(4);
    expect(server.requests.every((q) => q.body.n === undefined)).toBe(true);
    const sent = server.requests.slice(0, 4).map((q) => q.body.seed as number);
    expect(all.completions.map((c) => c.seed).sort()).toEqual(sent.sort());
  });
});
