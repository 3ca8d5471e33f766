// Sandbox overhead benchmark: a trivial program (read a line, print it) run N times through
// the warm fork-server pool and through a fresh sandboxed process per test, in one run; the
// per-call overhead of function tests (one child per submission); and the time to judge a
// 60 MB one-line output end to end (run, transfer, compare). Prints one JSON object per
// measurement and a summary. The fork-server and function-call figures are measured for
// CPython and, when pypy3 is installed, for PyPy beside it.
// Usage: node bench/sandbox.mjs [N] [testsPerJob]
import { performance } from "node:perf_hooks";
import { Judge } from "../dist/judge/index.js";
import { DEFAULT_LIMITS, Sandbox, pythonAvailable, pythonLabel } from "../dist/sandbox/index.js";

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

async function measure(mode, python = "cpython") {
  const sb = await Sandbox.create({ mode, python });
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
      python: pythonLabel(sb.python),
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

/** Function tests: a trivial entry point called N times in one submission's child. */
async function functionCalls(python = "cpython") {
  const sb = await Sandbox.create({ python });
  try {
    const calls = Math.max(N, 2000);
    const tests = Array.from({ length: calls }, (_, i) => ({ args: [["i", String(i)]] }));
    const t0 = performance.now();
    const runs = await sb.run({
      program: { kind: "python", source: "def f(x):\n    return x + 1\n" },
      mode: "function",
      entryPoint: "f",
      tests,
      limits: DEFAULT_LIMITS,
    });
    const elapsed = performance.now() - t0;
    const wrong = runs.filter((r, i) => r.record.returnValue?.[1] !== String(i + 1)).length;
    return {
      bench: "sandbox-function-calls",
      python: pythonLabel(sb.python),
      workers: 1,
      calls,
      wrong,
      perCallMs: Number((elapsed / calls).toFixed(4)),
      callsPerSecond: Number(((calls / elapsed) * 1000).toFixed(0)),
      childCpuPerCallMs: Number((runs.reduce((a, r) => a + r.record.cpuMs, 0) / calls).toFixed(4)),
    };
  } finally {
    await sb.close();
  }
}

/** A 60 MB one-line output judged against a short answer and against an equal one. */
async function largeOutput() {
  const sb = await Sandbox.create({ workers: 1 });
  const judge = new Judge(sb);
  const spec = {
    kind: "stdio",
    compare: { caseSensitive: false, spaceChangeSensitive: false, floatAbsTol: 1e-6, floatRelTol: 1e-6 },
  };
  const limits = { ...DEFAULT_LIMITS, outputKb: 64 * 1024, timeMs: 10_000, wallMs: 30_000 };
  const out = [];
  try {
    for (const [name, expected] of [
      ["60MB-token-vs-short-answer", "1000000007\n"],
      ["60MB-token-equal", `${"7".repeat(60 << 20)}\n`],
    ]) {
      const t0 = performance.now();
      const r = await judge.judge(
        spec,
        [{ kind: "stdio", input: "", output: expected }],
        {
          language: "python",
          code: "import sys\nsys.stdout.write('7' * (60 << 20) + '\\n')\n",
        },
        { limits },
      );
      const wall = performance.now() - t0;
      const t = r.tests[0].record;
      out.push({
        bench: "sandbox-large-output",
        case: name,
        verdict: r.verdict,
        programCpuMs: t.cpuMs,
        programWallMs: t.wallMs,
        judgeWallMs: Number(wall.toFixed(1)),
        overheadMs: Number((wall - t.wallMs).toFixed(1)),
        targetMs: 2000,
        targetMet: wall <= 2000,
      });
    }
  } finally {
    await sb.close();
  }
  return out;
}

const fork = await measure("forkserver");
console.log(JSON.stringify(fork));
const fresh = await measure("fresh");
console.log(JSON.stringify(fresh));
console.log(JSON.stringify(await functionCalls()));
const pypy = pythonAvailable("pypy") ? await measure("forkserver", "pypy") : undefined;
if (pypy) {
  console.log(JSON.stringify(pypy));
  console.log(JSON.stringify(await functionCalls("pypy")));
} else
  console.log(JSON.stringify({ bench: "sandbox-overhead", python: "pypy", skipped: "pypy3 not installed" }));
for (const line of await largeOutput()) console.log(JSON.stringify(line));
console.log(
  JSON.stringify({
    bench: "sandbox-overhead-summary",
    forkServerMedianMs: fork.perTestMedianMs,
    ...(pypy ? { pypyForkServerMedianMs: pypy.perTestMedianMs, pypyRunsPerSecond: pypy.runsPerSecond } : {}),
    targetMedianMs: 3,
    medianTargetMet: fork.perTestMedianMs <= 3,
    speedupOverFresh: Number((fork.runsPerSecond / fresh.runsPerSecond).toFixed(2)),
    targetSpeedup: 3,
    speedupTargetMet: fork.runsPerSecond >= 3 * fresh.runsPerSecond,
  }),
);
