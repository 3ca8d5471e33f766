// Tokens/s of the embedded llama.cpp backend (node-llama-cpp) on this machine's CPU. Prints one
// JSON object per measurement. Run with `npm run bench:llama` (builds dist/ first).
//   node bench/llama.mjs                  the tests' tiny model and a random model with the
//                                         shape of a 1.5B coder at Q8_0 (written once, 1.6 GB)
//   node bench/llama.mjs --model m.gguf   a real GGUF file instead
//   --threads N (default: the core count)  --tokens N (per sample, default 128)
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createModel } from "../dist/models/index.js";
import { CODER_1_5B_SHAPE, writeTinyLlamaGguf } from "./lib/gguf.mjs";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    threads: { type: "string" },
    tokens: { type: "string", default: "128" },
  },
});
const threads = Number(values.threads ?? availableParallelism());
const maxTokens = Number(values.tokens);

function synthetic(name, options) {
  const dir = join(tmpdir(), "codeloop-bench-llama");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.gguf`);
  if (!existsSync(path)) {
    const t = performance.now();
    writeTinyLlamaGguf(`${path}.part`, options);
    renameSync(`${path}.part`, path);
    console.error(`wrote ${path} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return path;
}

const models = values.model
  ? [{ name: values.model, path: values.model }]
  : [
      { name: "tiny-test-model", path: synthetic("tiny", {}) },
      { name: "random-1.5b-shape-q8_0", path: synthetic("coder-1.5b-shape-q8_0", CODER_1_5B_SHAPE) },
    ];

const prompt = [
  { role: "system", content: "You are a careful Python programmer." },
  { role: "user", content: "Write a function that returns the sum of the squares of a list of integers." },
];

for (const m of models) {
  for (const parallel of [1, 2]) {
    const model = createModel(
      { provider: "llama", path: m.path, gpu: false, contextSize: 2048, threads, parallel },
      { cache: false },
    );
    try {
      // Warm-up: loading the model and a first token are not part of the rate.
      const loadStart = performance.now();
      await model.generate({ messages: prompt, sampling: { temperature: 0, maxTokens: 1 } });
      const loadSeconds = (performance.now() - loadStart) / 1000;
      const samples = parallel * 2;
      const start = performance.now();
      const r = await model.generate({
        messages: prompt,
        n: samples,
        sampling: { temperature: 0.8, seed: 1, maxTokens },
      });
      const seconds = (performance.now() - start) / 1000;
      const completionTokens = r.completions.reduce((a, c) => a + c.usage.completionTokens, 0);
      const promptTokens = r.completions[0]?.usage.promptTokens ?? 0;
      console.log(
        JSON.stringify({
          bench: "llama",
          model: m.name,
          file_mb: Math.round(statSync(m.path).size / 1e6),
          threads,
          parallel,
          samples,
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          seconds: Number(seconds.toFixed(2)),
          tokens_per_second: Number((completionTokens / seconds).toFixed(1)),
          load_and_first_token_seconds: Number(loadSeconds.toFixed(2)),
          rss_mb: Math.round(process.memoryUsage().rss / 1e6),
        }),
      );
    } finally {
      await model.close();
    }
  }
}
