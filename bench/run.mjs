// End-to-end throughput of `codeloop run`: 165 problems x 20 trajectories x 3 turns against
// the local chat-completions test server (in its own process) with 50 ms latency per answer
// and 64 requests in flight. Prints one JSON object per measurement: wall time against the
// ideal for that latency and concurrency (requests / 64 x 50 ms), and peak memory.
//   node bench/run.mjs [--mode no-code|code] [--problems N] [--trajectories N]
// no-code (default): answers hold no code, so the run is bound by the model alone and the
//   measurement is the scheduler's and the store's overhead.
// code: every answer is a wrong program, judged on the public tests and graded on the hidden
//   ones; on a small machine the sandbox, not the model, is then the bound (its floor is printed).
// Run with `npm run bench:run` (builds dist/ first).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNativeJsonl } from "../dist/problems/index.js";
import { RunStore, parseRunConfig, runRun } from "../dist/runs/index.js";
import { chatServerStats, startChatServerProcess } from "./lib/chat-server-process.mjs";

const work = mkdtempSync(join(tmpdir(), "codeloop-bench-run-"));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const mode = arg("mode", "no-code");
const P = Number(arg("problems", 165));
const N = Number(arg("trajectories", 20));
const T = 3;
const LATENCY = 50;
const CONCURRENCY = 64;

const ANSWER =
  mode === "code"
    ? "Here it is.\n\n```python\nn = int(input())\nprint(2 * n + 1)\n```\n"
    : "I would read the number and double it, but I will not write the program yet.";

function problem(i) {
  const t = (n) => ({ kind: "stdio", input: `${n}\n`, output: `${2 * n}\n` });
  return {
    id: `bench-${i}`,
    benchmark: "native",
    split: "test",
    title: `Double ${i}`,
    statement: `Read one integer n and print 2 * n. (Problem ${i}.)`,
    judge: { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
    extraJudges: [],
    tests: { public: [t(i + 1)], private: [t(i + 1000)], generated: [] },
    limits: { timeLimitSec: 2, memoryLimitMb: 256, timeLimitOrigin: "dataset" },
    metadata: { difficulty: "easy", tags: [] },
    solutions: [],
    warnings: [],
    origin: { file: "bench.jsonl", row: i + 1 },
  };
}

const { child, url } = await startChatServerProcess(work, { latencyMs: LATENCY, answer: ANSWER });
try {
  const source = join(work, "problems.jsonl");
  await writeNativeJsonl(
    Array.from({ length: P }, (_, i) => problem(i)),
    source,
  );
  const config = parseRunConfig({
    benchmark: { source },
    model: `openai:${url}#bench`,
    strategy: { kind: "multi-turn", maxTurns: T },
    trajectoriesPerProblem: N,
    concurrency: { model: CONCURRENCY },
    cache: { enabled: false },
  });
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);
  const t0 = performance.now();
  const result = await runRun({ folder: join(work, "run"), config });
  const wallMs = performance.now() - t0;
  clearInterval(sampler);
  const stats = await chatServerStats(child);
  const store = RunStore.open(join(work, "run"));
  const counts = store.counts();
  store.close();
  const requests = stats.answered;
  const idealMs = Math.ceil(requests / CONCURRENCY) * LATENCY;
  const out = {
    bench: "run",
    mode,
    problems: P,
    trajectoriesPerProblem: N,
    maxTurns: T,
    latencyMs: LATENCY,
    concurrency: CONCURRENCY,
    requests,
    trajectoriesDone: counts.done,
    wallMs: Math.round(wallMs),
    idealMs,
    ratio: Number((wallMs / idealMs).toFixed(3)),
    target: 1.2,
    peakInFlight: stats.peakInFlight,
    peakRssMb: Math.round(peakRss / 2 ** 20),
    peakHeapMb: Math.round(peakHeap / 2 ** 20),
    tokens: result.progress.promptTokens + result.progress.completionTokens,
    node: process.version,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  // The server process exits on "close" without answering: wait for its exit.
  await new Promise((resolve) => {
    child.once("exit", resolve);
    child.send("close");
  });
  rmSync(work, { recursive: true, force: true });
}
