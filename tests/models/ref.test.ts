import { describe, expect, it } from "vitest";
import { ModelError, apiKeyFor, parseModelConfig, parseModelRef } from "../../src/models/index.js";

describe("parseModelRef", () => {
  it("parses OpenAI-compatible server references", () => {
    expect(parseModelRef("openai:http://host:8000/v1#Qwen/Qwen2.5-Coder-7B-Instruct", {})).toEqual({
      provider: "openai",
      baseUrl: "http://host:8000/v1",
      model: "Qwen/Qwen2.5-Coder-7B-Instruct",
    });
    expect(parseModelRef("vllm:http://a:8000/v1,http://b:8000/v1#m", {})).toEqual({
      provider: "openai",
      baseUrls: ["http://a:8000/v1", "http://b:8000/v1"],
      model: "m",
    });
    expect(parseModelRef("sglang:https://x.example/v1#m", {})).toMatchObject({
      baseUrl: "https://x.example/v1",
    });
  });

  it("parses hosted OpenAI names with an optional base URL override", () => {
    expect(parseModelRef("openai:gpt-4o-mini", {})).toEqual({
      provider: "openai",
      baseUrl: "https://api.openai.com/v1",
      model: "gpt-4o-mini",
    });
    expect(parseModelRef("openai:m", { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" })).toMatchObject({
      baseUrl: "http://127.0.0.1:9/v1",
    });
  });

  it("parses Ollama tags, keeping the colon in the tag", () => {
    expect(parseModelRef("ollama:qwen2.5-coder:7b", {})).toEqual({
      provider: "openai",
      baseUrl: "http://127.0.0.1:11434/v1",
      model: "qwen2.5-coder:7b",
    });
    expect(parseModelRef("ollama:llama3", { OLLAMA_HOST: "0.0.0.0:9999" })).toMatchObject({
      baseUrl: "http://127.0.0.1:9999/v1",
    });
  });

  it("parses llama.cpp file and Hub references", () => {
    expect(parseModelRef("llama:./model.gguf", {})).toEqual({ provider: "llama", path: "./model.gguf" });
    expect(parseModelRef("llama:hf:org/repo/sub/m.Q4_K_M.gguf@abc123", {})).toEqual({
      provider: "llama",
      hf: "org/repo/sub/m.Q4_K_M.gguf@abc123",
    });
  });

  it("rejects malformed references with a config error", () => {
    for (const bad of [
      "gpt-4o",
      "openai:",
      "vllm:http://h:8000/v1",
      "vllm:model-only",
      "foo:bar",
      "openai:http://#m",
    ]) {
      expect(() => parseModelRef(bad, {}), bad).toThrow(ModelError);
    }
    // The registry's prefixes are the ones the errors name.
    expect(() => parseModelRef("foo:bar", {})).toThrow(
      'unknown model provider "foo" in "foo:bar" (expected one of openai:, vllm:, sglang:, llamacpp:, compat:, ollama:, llama:)',
    );
  });
});

describe("parseModelConfig", () => {
  it("accepts config objects and reports every problem", () => {
    expect(parseModelConfig({ provider: "llama", path: "m.gguf", contextSize: 2048 })).toMatchObject({
      contextSize: 2048,
    });
    expect(() => parseModelConfig({ provider: "openai", model: "m" })).toThrow(/baseUrl/);
    expect(() =>
      parseModelConfig({ provider: "openai", baseUrl: "http://h/v1", model: "m", tmperature: 1 }),
    ).toThrow(/tmperature/);
    expect(() => parseModelConfig({ provider: "llama" })).toThrow(/path or hf/);
  });
});

describe("apiKeyFor", () => {
  const config = { provider: "openai" as const, baseUrl: "http://h/v1", model: "m" };
  it("prefers CODELOOP_API_KEY, then OPENAI_API_KEY, or a named variable", () => {
    expect(apiKeyFor(config, { OPENAI_API_KEY: "o", CODELOOP_API_KEY: "c" })).toBe("c");
    expect(apiKeyFor(config, { OPENAI_API_KEY: "o" })).toBe("o");
    expect(apiKeyFor(config, {})).toBeUndefined();
    expect(apiKeyFor({ ...config, apiKeyEnv: "MY_KEY" }, { MY_KEY: "k", CODELOOP_API_KEY: "c" })).toBe("k");
    expect(() => apiKeyFor({ ...config, apiKeyEnv: "MY_KEY" }, {})).toThrow(/MY_KEY/);
  });
});
