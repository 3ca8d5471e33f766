// Throughput of the model client against the local chat-completions test server (zero latency,
// in its own process so client and server each get a core). Prints one JSON object per
// measurement. Run with `npm run bench:models` (builds dist/ first).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createModel } from "../dist/models/index.js";
import { chatServerStats, startChatServerProcess } from "./lib/chat-server-process.mjs";

const work = mkdtempSync(join(tmpdir(), "codeloop-bench-models-"));

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Keeps `inFlight` requests outstanding until `total` are done; measures wall time and memory. */
async function measure(name, model, { total, inFlight, n = 1, prompt = (i) => `task ${i}` }) {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    if (rss > peakRss) peakRss = rss;
  }, 20);
  const latencies = [];
  let next = 0;
  let failed = 0;
  let completions = 0;
  const start = performance.now();
  async function worker() {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      try {
        const r = await model.generate({
          messages: [
            { role: "system", content: "You are a careful Python programmer." },
            { role: "user", content: prompt(i) },
          ],
          sampling: { temperature: 0.8, maxTokens: 512 },
          n,
        });
        completions += r.completions.length;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - t);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  latencies.sort((a, b) => a - b);
  const result = {
    bench: "models",
    measurement: name,
    requests: total,
    samples_per_request: n,
    in_flight: inFlight,
    completions,
    failed,
    seconds: Number(seconds.toFixed(3)),
    completions_per_s: Math.round(completions / seconds),
    requests_per_s: Math.round(total / seconds),
    latency_ms_p50: Number(percentile(latencies, 50).toFixed(2)),
    latency_ms_p99: Number(percentile(latencies, 99).toFixed(2)),
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
    max_rss_mb_process: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.log(JSON.stringify(result));
  return result;
}

const { child, url } = await startChatServerProcess(work, { latencyMs: 0 });
const config = { provider: "openai", baseUrl: url, model: "bench-model" };
const fixed = { initial: 256, max: 256 };
try {
  const plain = createModel(config, { cache: false, concurrency: fixed });
  await measure("warmup", plain, { total: 2000, inFlight: 256 });
  await measure("n1_256_in_flight", plain, { total: 30000, inFlight: 256 });
  await measure("n8_256_in_flight", plain, { total: 5000, inFlight: 256, n: 8 });
  await plain.close();

  // The adaptive limiter from its default start (32), growing while the server keeps up.
  const adaptive = createModel(config, { cache: false });
  await measure("n1_256_in_flight_adaptive_limit", adaptive, { total: 30000, inFlight: 256 });
  console.log(
    JSON.stringify({ bench: "models", measurement: "adaptive_limit_state", ...adaptive.limiters()[0] }),
  );
  await adaptive.close();

  const cached = createModel(config, { cache: { dir: join(work, "cache") }, concurrency: fixed });
  await measure("n1_256_in_flight_cache_miss_write", cached, { total: 10000, inFlight: 256 });
  await measure("n1_256_in_flight_cache_hit", cached, { total: 10000, inFlight: 256 });
  console.log(JSON.stringify({ bench: "models", measurement: "cache_counters", ...cached.cacheStats() }));
  await cached.close();
  console.log(
    JSON.stringify({ bench: "models", measurement: "server_counters", ...(await chatServerStats(child)) }),
  );
} finally {
  child.send("close");
  rmSync(work, { recursive: true, force: true });
}
