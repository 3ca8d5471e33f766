// Cost of judging through the queue (QueueJudge -> Redis -> `codeloop worker`) against the local
// sandbox, on the trivial program (print(2 * int(input()))) with isolation as the machine gives:
//  - per-test overhead: sequential judge calls of a one-test set, local Judge vs the queue with
//    one worker process of one slot (median and p90 latency, and their difference);
//  - throughput: many one-test jobs in flight, with one and with two worker processes of one
//    slot each (and the local sandbox with one slot for reference).
// Starts its own redis-server (no persistence) on a free port. Prints one JSON object.
// Throughputs vary by 10-20% from one measurement to the next on a small VM: each is measured
// --repeat times in a row (default 3) and its median reported.
// localSequentialIdle4ms: the local calls again with 4 ms idle between them, about the time a
// worker waits between sequential jobs. An idle sandbox answers its next call more slowly (its
// processes sleep and wake up cold), which is part of what the queue's per-test overhead shows.
// Usage: node bench/queue.mjs [--calls N] [--jobs N] [--repeat N] [--redis-server PATH]
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { Judge } from "../dist/judge/index.js";
import { QueueJudge } from "../dist/queue/index.js";
import { DEFAULT_LIMITS, Sandbox } from "../dist/sandbox/index.js";

const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const CALLS = Number(flag("--calls") ?? 200);
const JOBS = Number(flag("--jobs") ?? 400);
const REPEAT = Number(flag("--repeat") ?? 3);
const REDIS = flag("--redis-server") ?? "/usr/bin/redis-server";
const CLI = resolve(import.meta.dirname, "../dist/cli/index.js");

const spec = { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } };
const program = { language: "python", code: "print(2 * int(input()))\n" };
// A program that computes for ~50 ms, as real submissions do: the per-job cost of the queue and
// of the client then weighs less against the program's own, which is what two workers share.
const heavy = {
  language: "python",
  code: "n = int(input())\ns = 0\nfor i in range(400000):\n    s += i\nprint(2 * n)\n",
};
const limits = { ...DEFAULT_LIMITS, timeMs: 2000 };
const testSet = (n) => [{ kind: "stdio", input: `${n}\n`, output: `${2 * n}\n` }];

const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });

function waitFor(proc, stream, re, what) {
  return new Promise((ok, fail) => {
    let out = "";
    const t = setTimeout(() => fail(new Error(`${what} did not start: ${out}`)), 30_000);
    proc[stream].on("data", (d) => {
      out += d;
      if (re.test(out)) {
        clearTimeout(t);
        ok();
      }
    });
    proc.once("exit", (c) => fail(new Error(`${what} exited (${c}): ${out}`)));
  });
}

const SECRET = "bench-queue-shared-secret-0123456789";

async function startWorker(url) {
  const proc = spawn(process.execPath, [CLI, "worker", "--queue", url, "--workers", "1"], {
    stdio: ["ignore", "ignore", "pipe"],
    // Jobs and results signed, as a deployment should run (docs/queue.md).
    env: { ...process.env, CODELOOP_QUEUE_SECRET: SECRET },
  });
  await waitFor(proc, "stderr", /slot\(s\), judge/, "worker");
  proc.removeAllListeners("exit");
  return proc;
}
const stopProc = (p) =>
  new Promise((ok) => {
    if (p.exitCode !== null) return ok();
    p.once("exit", ok);
    p.kill("SIGTERM");
  });

const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function latency(judge, calls, idleMs = 0) {
  for (let i = 0; i < 10; i++) await judge.judge(spec, testSet(i), program, { limits }); // warm-up
  const ms = [];
  for (let i = 0; i < calls; i++) {
    if (idleMs) await new Promise((r) => setTimeout(r, idleMs));
    const t = performance.now();
    const r = await judge.judge(spec, testSet(1000 + i), program, { limits });
    ms.push(performance.now() - t);
    if (r.verdict !== "accepted") throw new Error(`unexpected verdict ${r.verdict}`);
  }
  return {
    medianMs: round(pct(ms, 0.5)),
    p90Ms: round(pct(ms, 0.9)),
    meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length),
  };
}

/** The median of `REPEAT` throughput measurements, with every measurement's jobs/s. */
async function throughputs(judge, jobs, inFlight, prog = program) {
  const runs = [];
  for (let i = 0; i < REPEAT; i++) runs.push(await throughput(judge, jobs, inFlight, prog));
  const rates = runs.map((r) => r.jobsPerSecond);
  return { jobs, repeats: REPEAT, jobsPerSecond: pct(rates, 0.5), each: rates };
}

async function throughput(judge, jobs, inFlight, prog = program) {
  let next = 0;
  let accepted = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < jobs) {
        const i = next++;
        const r = await judge.judge(spec, testSet(5000 + i), prog, { limits });
        if (r.verdict === "accepted") accepted++;
      }
    }),
  );
  const s = (performance.now() - t) / 1000;
  if (accepted !== jobs) throw new Error(`${jobs - accepted} jobs not accepted`);
  return { jobs, seconds: round(s), jobsPerSecond: round(jobs / s, 1) };
}

const port = await freePort();
const redis = spawn(
  REDIS,
  ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  {
    stdio: ["ignore", "pipe", "pipe"],
  },
);
await waitFor(redis, "stdout", /Ready to accept connections/, "redis-server");
redis.stdout.resume();
const url = `redis://127.0.0.1:${port}`;
const workers = [];
const out = { calls: CALLS, jobs: JOBS, program: "print(2 * int(input())), one test per job" };
try {
  const sb = await Sandbox.create({ workers: 1 });
  out.isolation = sb.isolation.kind;
  const local = new Judge(sb);
  out.localSequential = await latency(local, CALLS);
  out.localSequentialIdle4ms = await latency(local, CALLS, 4);
  out.localThroughput1Slot = await throughputs(local, JOBS, 2);
  out.heavyLocalThroughput1Slot = await throughputs(local, JOBS / 4, 2, heavy);
  await sb.close();
  // What a second sandbox slot gives on this machine at all: the bound for two workers here.
  const sb2 = await Sandbox.create({ workers: 2 });
  out.localThroughput2Slots = await throughputs(new Judge(sb2), JOBS, 8);
  out.heavyLocalThroughput2Slots = await throughputs(new Judge(sb2), JOBS / 4, 8, heavy);
  await sb2.close();
  out.localSpeedup2vs1 = round(
    out.localThroughput2Slots.jobsPerSecond / out.localThroughput1Slot.jobsPerSecond,
  );
  out.heavyLocalSpeedup2vs1 = round(
    out.heavyLocalThroughput2Slots.jobsPerSecond / out.heavyLocalThroughput1Slot.jobsPerSecond,
  );

  workers.push(await startWorker(url));
  const client = await QueueJudge.connect({ url, capacity: 8, secret: Buffer.from(SECRET) });
  out.signed = true;
  out.queueSequential = await latency(client, CALLS);
  out.perTestOverheadMs = {
    median: round(out.queueSequential.medianMs - out.localSequential.medianMs),
    mean: round(out.queueSequential.meanMs - out.localSequential.meanMs),
  };
  out.queueThroughput1Worker = await throughputs(client, JOBS, 8);
  out.heavyQueueThroughput1Worker = await throughputs(client, JOBS / 4, 8, heavy);
  workers.push(await startWorker(url));
  await new Promise((r) => setTimeout(r, 500));
  out.queueThroughput2Workers = await throughputs(client, JOBS, 8);
  out.heavyQueueThroughput2Workers = await throughputs(client, JOBS / 4, 8, heavy);
  out.speedup2vs1 = round(
    out.queueThroughput2Workers.jobsPerSecond / out.queueThroughput1Worker.jobsPerSecond,
  );
  out.heavySpeedup2vs1 = round(
    out.heavyQueueThroughput2Workers.jobsPerSecond / out.heavyQueueThroughput1Worker.jobsPerSecond,
  );
  await client.close();
} finally {
  for (const w of workers) await stopProc(w);
  redis.kill("SIGKILL");
}
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
