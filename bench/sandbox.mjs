// Sandbox overhead benchmark: a trivial program (read a line, print it) run N times through
// the warm fork-server pool and through a fresh sandboxed process per test, in one run.
// Prints one JSON object per mode and a summary. Usage: node bench/sandbox.mjs [N] [testsPerJob]
import { performance } from "node:perf_hooks";
import { DEFAULT_LIMITS, Sandbox } from "../dist/sandbox/index.js";

const N = Number(process.argv[2] ?? 1000);
const PER_JOB = Number(process.argv[3] ?? 10);
const SOURCE = "print(input())\n";

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function measure(mode) {
  const sb = await Sandbox.create({ mode });
  try {
    const jobs = [];
    for (let i = 0; i < N; i += PER_JOB) {
      const tests = [];
      for (let j = i; j < Math.min(N, i + PER_JOB); j++) tests.push({ stdin: `line ${j}\n` });
      jobs.push(tests);
    }
    const t0 = performance.now();
    const results = await Promise.all(
      jobs.map(async (tests) => {
        const start = performance.now();
        const runs = await sb.run({
          program: { kind: "python", source: SOURCE },
          tests,
          limits: DEFAULT_LIMITS,
        });
        return { runs, tests, latency: performance.now() - start };
      }),
    );
    const elapsed = performance.now() - t0;
    let wrong = 0;
    const perTest = [];
    const cpu = [];
    for (const { runs, tests } of results) {
      runs.forEach((r, k) => {
        if (r.record.verdict !== "ok" || r.stdout.toString() !== tests[k].stdin) wrong++;
        perTest.push(r.record.wallMs);
        cpu.push(r.record.cpuMs);
      });
    }
    return {
      bench: "sandbox-overhead",
      mode,
      isolation: sb.isolation.kind,
      seccomp: sb.lastReady?.seccomp ?? false,
      workers: sb.size,
      runs: perTest.length,
      testsPerRequest: PER_JOB,
      wrong,
      perTestMedianMs: Number(median(perTest).toFixed(3)),
      perTestP90Ms: Number(pct(perTest, 90).toFixed(3)),
      perTestCpuMedianMs: Number(median(cpu).toFixed(3)),
      endToEndPerTestMs: Number(((elapsed * sb.size) / perTest.length).toFixed(3)),
      runsPerSecond: Number(((perTest.length / elapsed) * 1000).toFixed(1)),
      wallSeconds: Number((elapsed / 1000).toFixed(3)),
    };
  } finally {
    await sb.close();
  }
}

const fork = await measure("forkserver");
console.log(JSON.stringify(fork));
const fresh = await measure("fresh");
console.log(JSON.stringify(fresh));
console.log(
  JSON.stringify({
    bench: "sandbox-overhead-summary",
    forkServerMedianMs: fork.perTestMedianMs,
    targetMedianMs: 3,
    medianTargetMet: fork.perTestMedianMs <= 3,
    speedupOverFresh: Number((fork.runsPerSecond / fresh.runsPerSecond).toFixed(2)),
    targetSpeedup: 3,
    speedupTargetMet: fork.runsPerSecond >= 3 * fresh.runsPerSecond,
  }),
);
