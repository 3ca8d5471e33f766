import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LlamaModelConfig,
  type ManagedModel,
  ModelError,
  checkModel,
  createModel,
  deriveSeed,
} from "../../src/models/index.js";
import { writeTinyLlamaGguf } from "./tiny-gguf.js";

let dir: string;
let path: string;
let model: ManagedModel;
let config: LlamaModelConfig;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "codeloop-llama-"));
  path = join(dir, "tiny.gguf");
  writeTinyLlamaGguf(path);
  // One thread: llama.cpp worker threads spin, which is slow when the suite shares 2 cores.
  config = { provider: "llama", path, gpu: false, contextSize: 256, threads: 1 };
  model = createModel(config, { cache: { dir: join(dir, "cache") } });
});

afterAll(async () => {
  await model?.close();
  await rm(dir, { recursive: true, force: true });
});

const messages = [
  { role: "system" as const, content: "You write code." },
  { role: "user" as const, content: "hello, print the code" },
];

describe("embedded llama.cpp backend", () => {
  it("loads a GGUF file written by the test and generates tokens", async () => {
    const r = await model.generate({ messages, n: 2, sampling: { temperature: 1, seed: 5, maxTokens: 6 } });
    expect(r.completions).toHaveLength(2);
    for (const [i, c] of r.completions.entries()) {
      expect(c.sampleIndex).toBe(i);
      expect(c.seed).toBe(deriveSeed(5, i));
      expect(["length", "stop"]).toContain(c.finishReason);
      expect(c.usage.promptTokens).toBeGreaterThan(5);
      expect(c.usage.completionTokens).toBeGreaterThan(0);
      expect(c.usage.completionTokens).toBeLessThanOrEqual(6);
      expect(c.latencyMs).toBeGreaterThan(0);
    }
    expect(r.completions[0]!.text).not.toBe(r.completions[1]!.text);
    expect(model.stats().completionTokens).toBeGreaterThan(0);
  });

  it("reproduces a sample from its seed and index, and serves repeats from the cache", async () => {
    const fresh = createModel(config, { cache: false });
    try {
      const request = { messages, sampleIndex: 1, sampling: { temperature: 1, seed: 5, maxTokens: 6 } };
      const direct = await fresh.generate(request);
      const viaBatch = await model.generate({ ...request, sampleIndex: 0, n: 2 });
      expect(direct.completions[0]!.text).toBe(viaBatch.completions[1]!.text);
      expect(viaBatch.completions.every((c) => c.cached)).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it("stops at max tokens, and at a stop string", async () => {
    const greedy = { temperature: 0, maxTokens: 16 };
    const r = await model.generate({ messages, sampling: greedy });
    const full = r.completions[0]!;
    expect(full.finishReason).toBe("length");
    expect(full.usage.completionTokens).toBe(16);
    // Greedy decoding is deterministic: cut the same answer at a letter it contains.
    const at = full.text.search(/[A-Za-z0-9]/);
    expect(at).toBeGreaterThanOrEqual(0);
    const stop = full.text[at]!;
    const cut = await model.generate({ messages, sampling: { ...greedy, stop: [stop] } });
    expect(cut.completions[0]!.finishReason).toBe("stop");
    expect(cut.completions[0]!.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
  });

  it("decodes several sequences in parallel, queueing samples beyond them", async () => {
    const parallel = createModel({ ...config, parallel: 2 }, { cache: false });
    try {
      const sampling = { temperature: 1, seed: 5, maxTokens: 6 };
      const r = await parallel.generate({ messages, n: 5, sampling });
      expect(r.completions.map((c) => c.sampleIndex)).toEqual([0, 1, 2, 3, 4]);
      // Same seeds as the one-sequence model: each sample starts from a clean context.
      const one = await model.generate({ messages, n: 2, sampling });
      expect(r.completions.slice(0, 2).map((c) => c.text)).toEqual(one.completions.map((c) => c.text));
    } finally {
      await parallel.close();
    }
  });

  it("passes models check", async () => {
    const report = await checkModel(config);
    expect(report.ok).toBe(true);
    expect(report.endpoints[0]).toMatchObject({ reachable: true, seed: "yes", n: "no", logprobs: "no" });
  });

  it("reports a missing file as a config error", async () => {
    const missing = createModel({ ...config, path: join(dir, "nope.gguf") }, { cache: false });
    const err = (await missing.generate({ messages }).catch((e: unknown) => e)) as ModelError;
    expect(err).toBeInstanceOf(ModelError);
    expect([err.kind, err.message]).toEqual(["config", expect.stringContaining("GGUF file not found")]);
    await missing.close();
  });
});

describe("node-llama-cpp missing", () => {
  it("names the package to install", async () => {
    const { loadNodeLlamaCpp } = await import("../../src/models/llama.js");
    const err = (await loadNodeLlamaCpp("node-llama-cpp-not-installed").catch(
      (e: unknown) => e,
    )) as ModelError;
    expect(err).toBeInstanceOf(ModelError);
    expect(err.kind).toBe("config");
    expect(err.message).toMatch(/npm install node-llama-cpp@3\.22\.1/);
  });
});
