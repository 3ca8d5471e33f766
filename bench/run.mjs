// End-to-end throughput of `codeloop run` against the local chat-completions test server (in
// its own process) with 50 ms latency per answer and 64 requests in flight. Prints one JSON
// object per measurement: wall time against the ideal for that latency and concurrency, and
// peak memory.
//   node bench/run.mjs [--strategy multi-turn|tree] [--mode no-code|code] [--problems N]
//                      [--trajectories N] [--budget CALLS] [--branching B] [--depth D]
//                      [--sandbox scripted|real]
// multi-turn (default): 165 problems x 20 trajectories x 3 turns.
//   no-code (default): answers hold no code, so the run is bound by the model alone and the
//     measurement is the scheduler's and the store's overhead.
//   code: every answer is a wrong program, judged on the public tests and graded on the hidden
//     ones; on a small machine the sandbox, not the model, is then the bound.
// tree: 165 problems x 20 trajectories of `strategy: {kind: tree, maxTurns: 3, budget: {calls:
//   8}, branching: 2}` with a scripted model (bench/lib/tree-model.mjs): programs that pass
//   none, one or both of two public tests, improved by refinement with some probability
//   (seeded), so trees branch, refine, backtrack and stop on a public pass. The programs run in
//   an in-process stand-in for the sandbox (`--sandbox scripted`, default) so that the run is
//   bound by the model and the measurement is the scheduler's and the tree search's overhead;
//   `--sandbox real` runs them in the sandbox (then it is the bound on a small machine).
// The ideal is the largest of three lower bounds (`idealBound` names it): the model
//   (ceil(requests / 64) x 50 ms), the trajectories in flight (the scheduler keeps
//   64 x 2 + sandbox workers of them; each makes its requests in sequential rounds of >= 50 ms,
//   a turn or a tree expansion: ceil(rounds / window) x 50 ms) and the longest trajectory's
//   rounds x 50 ms (the critical path).
// Run with `npm run bench:run` (builds dist/ first); `npm run bench:run -- --strategy tree`.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeNativeJsonl } from "../dist/problems/index.js";
import { RunStore, parseRunConfig, runRun, sandboxFor } from "../dist/runs/index.js";
import { chatServerStats, startChatServerProcess } from "./lib/chat-server-process.mjs";
import { PUBLIC_INPUTS, scriptSandbox } from "./lib/tree-model.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), "codeloop-bench-run-"));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const strategy = arg("strategy", "multi-turn");
if (strategy !== "multi-turn" && strategy !== "tree")
  throw new Error(`--strategy multi-turn|tree, not ${strategy}`);
const tree = strategy === "tree";
const mode = tree ? "scripted-code" : arg("mode", "no-code");
const sandboxKind = tree ? arg("sandbox", "scripted") : "real";
const P = Number(arg("problems", 165));
const N = Number(arg("trajectories", 20));
const T = Number(arg("depth", 3));
const BUDGET = Number(arg("budget", 8));
const BRANCHING = Number(arg("branching", 2));
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
    // The tree's programs pass the public tests by level (bench/lib/tree-model.mjs).
    tests: { public: tree ? PUBLIC_INPUTS.map(t) : [t(i + 1)], private: [t(i + 1000)], generated: [] },
    limits: { timeLimitSec: 2, memoryLimitMb: 256, timeLimitOrigin: "dataset" },
    metadata: { difficulty: "easy", tags: [] },
    solutions: [],
    warnings: [],
    origin: { file: "bench.jsonl", row: i + 1 },
  };
}

/** Sequential request rounds of a trajectory: its turns, or (tree) its expansions. */
function rounds(turns) {
  if (!tree) return turns.length;
  // The children of one expansion are consecutive turns with one parent and one start.
  let n = 0;
  let prev;
  for (const t of [...turns].sort((a, b) => a.index - b.index)) {
    const k = `${t.parentTurn}|${t.startedAt}`;
    if (k !== prev) n++;
    prev = k;
  }
  return n;
}

const { child, url } = await startChatServerProcess(
  work,
  tree
    ? { latencyMs: LATENCY, respondModule: join(here, "lib/tree-model.mjs") }
    : { latencyMs: LATENCY, answer: ANSWER },
);
try {
  const source = join(work, "problems.jsonl");
  await writeNativeJsonl(
    Array.from({ length: P }, (_, i) => problem(i)),
    source,
  );
  const config = parseRunConfig({
    benchmark: { source },
    model: `openai:${url}#bench`,
    strategy: tree
      ? { kind: "tree", maxTurns: T, budget: { calls: BUDGET }, branching: BRANCHING }
      : { kind: "multi-turn", maxTurns: T },
    trajectoriesPerProblem: N,
    concurrency: { model: CONCURRENCY },
    cache: { enabled: false },
  });
  const load = loadavg()[0];
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);
  const t0 = performance.now();
  // Sandbox start-up is timed in both modes (runRun starts it itself when not given one).
  const sandbox = await sandboxFor(config);
  if (sandboxKind === "scripted") scriptSandbox(sandbox);
  let result;
  try {
    // BENCH_LOG=1 prints the run's log lines (with their time) on stderr.
    const log = process.env.BENCH_LOG
      ? { log: (m) => process.stderr.write(`${Math.round(performance.now() - t0)} ms: ${m}\n`) }
      : {};
    result = await runRun({ folder: join(work, "run"), config }, { sandbox, ...log });
  } finally {
    await sandbox.close();
  }
  const wallMs = performance.now() - t0;
  clearInterval(sampler);
  const stats = await chatServerStats(child);
  const store = RunStore.open(join(work, "run"));
  const counts = store.counts();
  let nodes = 0;
  let roots = 0;
  let roundsSum = 0;
  let roundsMax = 0;
  let budgetSpent = 0;
  let publicPass = 0;
  for (let i = 0; i < P; i++) {
    for (let j = 0; j < N; j++) {
      const turns = store.trajectoryDetail({ problemId: `bench-${i}`, trajectory: j })?.turns ?? [];
      const r = rounds(turns);
      roundsSum += r;
      roundsMax = Math.max(roundsMax, r);
      nodes += turns.length;
      roots += turns.filter((t) => t.parentTurn === null).length;
      if (turns.length >= BUDGET) budgetSpent++;
      const c = (t) => t.candidates[0]?.publicTests;
      if (turns.some((t) => c(t) && c(t).total > 0 && c(t).passed === c(t).total)) publicPass++;
    }
  }
  store.close();
  const requests = stats.answered;
  const window = CONCURRENCY * 2 + (config.concurrency.sandbox ?? sandbox.size);
  const bounds = {
    model: Math.ceil(requests / CONCURRENCY) * LATENCY,
    window: Math.ceil(roundsSum / window) * LATENCY,
    path: roundsMax * LATENCY,
  };
  const [idealBound, idealMs] = Object.entries(bounds).reduce((a, b) => (b[1] > a[1] ? b : a));
  const trajectories = P * N;
  const out = {
    bench: "run",
    strategy,
    mode,
    ...(tree ? { sandbox: sandboxKind, budgetCalls: BUDGET, branching: BRANCHING } : {}),
    problems: P,
    trajectoriesPerProblem: N,
    maxTurns: T,
    latencyMs: LATENCY,
    concurrency: CONCURRENCY,
    requests,
    trajectoriesDone: counts.done,
    wallMs: Math.round(wallMs),
    idealMs,
    idealBound,
    ratio: Number((wallMs / idealMs).toFixed(3)),
    target: 1.2,
    bounds,
    window,
    rounds: roundsSum,
    ...(tree
      ? {
          nodesPerTrajectory: Number((nodes / trajectories).toFixed(2)),
          rootsPerTrajectory: Number((roots / trajectories).toFixed(2)),
          expansionsPerTrajectory: Number((roundsSum / trajectories).toFixed(2)),
          maxExpansions: roundsMax,
          budgetSpent: Number((budgetSpent / trajectories).toFixed(3)),
          publicPass: Number((publicPass / trajectories).toFixed(3)),
          accepted: result.progress.accepted,
        }
      : {}),
    peakInFlight: stats.peakInFlight,
    peakRssMb: Math.round(peakRss / 2 ** 20),
    peakHeapMb: Math.round(peakHeap / 2 ** 20),
    tokens: result.progress.promptTokens + result.progress.completionTokens,
    modelErrors: result.progress.modelErrors,
    loadAvg1m: Number(load.toFixed(2)),
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
