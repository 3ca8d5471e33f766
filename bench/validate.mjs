// Speed of `problems validate`, isolation on, 2 workers.
// 1. ../shared/data/codecontests-sample, every test run: wall time against the floor (the
//    programs' own CPU seconds / workers), for the fork-server pool and for a fresh sandboxed
//    process per test.
// 2. HumanEval+ (164 canonical solutions, ~125k function and assert tests): computing the
//    expected outputs on first use, then validation, both against the one-process floor
//    (every solution called on every input in one unsandboxed process, CPU seconds / workers).
// Prints one JSON object per measurement.
// 3. With --queue: the CodeContests sample again, judged by two `codeloop worker` processes of
//    one sandbox slot each through a redis-server this bench starts, against the local run of
//    two slots (target: within 1.2x of it).
// Usage: node bench/validate.mjs [--only codecontests|humaneval|queue] [--mode forkserver|fresh] [--data DIR] [--queue]
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadProblems } from "../dist/problems/index.js";
import { QueueJudge } from "../dist/queue/index.js";
import { Sandbox, resolvePython } from "../dist/sandbox/index.js";
import { sandboxComputeExpected, validateProblems } from "../dist/validate/index.js";

const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const data = resolve(flag("--data") ?? "../shared/data");
const only = flag("--only");
const modes = flag("--mode") ? [flag("--mode")] : ["forkserver", "fresh"];
const WORKERS = 2;

async function codecontests() {
  const dir = join(data, "codecontests-sample");
  if (!existsSync(dir)) {
    console.log(JSON.stringify({ bench: "validate-codecontests-sample", skipped: `${dir} is absent` }));
    return;
  }
  const problems = await loadProblems(dir);
  const results = {};
  for (const mode of modes) {
    const sb = await Sandbox.create({ mode, workers: WORKERS });
    try {
      const r = await validateProblems(sb, problems);
      const floor = r.cpuSecondsTotal / r.workers;
      results[mode] = r;
      console.log(
        JSON.stringify({
          bench: "validate-codecontests-sample",
          mode,
          isolation: r.isolation,
          workers: r.workers,
          problems: r.problems,
          correctAccepted: r.correctAccepted,
          correctTotal: r.correctTotal,
          testsRun: r.testsRun,
          wallSeconds: r.wallSeconds,
          cpuSecondsTotal: r.cpuSecondsTotal,
          floorSeconds: Number(floor.toFixed(2)),
          wallOverFloor: Number((r.wallSeconds / floor).toFixed(3)),
          target: 1.15,
          targetMet: mode === "forkserver" ? r.wallSeconds <= 1.15 * floor : undefined,
          testsPerSecond: r.testsPerSecond,
        }),
      );
    } finally {
      await sb.close();
    }
  }
  if (results.forkserver && results.fresh) {
    console.log(
      JSON.stringify({
        bench: "validate-codecontests-sample-summary",
        freshOverForkserverWall: Number(
          (results.fresh.wallSeconds / results.forkserver.wallSeconds).toFixed(3),
        ),
      }),
    );
  }
}

/** CPU seconds of calling every canonical solution on every input in one process. */
function functionFloor(problems, pendingArgs) {
  const file = join(tmpdir(), `codeloop-floor-${process.pid}.json`);
  const payload = problems
    .filter((p) => p.judge.kind === "function")
    .map((p) => ({
      id: p.id,
      code: p.solutions[0].code,
      entry: p.judge.entryPoint,
      args: pendingArgs.get(p.id) ?? [],
    }));
  writeFileSync(file, JSON.stringify(payload));
  try {
    const out = execFileSync(
      resolvePython().executable,
      [fileURLToPath(new URL("./lib/function-floor.py", import.meta.url)), file],
      { encoding: "utf8", maxBuffer: 1 << 20 },
    );
    return JSON.parse(out.trim().split("\n").pop());
  } finally {
    rmSync(file, { force: true });
  }
}

async function humanevalPlus() {
  const file = join(data, "humaneval-plus", "HumanEvalPlus-v0.1.10.jsonl.gz");
  if (!existsSync(file)) {
    console.log(JSON.stringify({ bench: "validate-humaneval-plus", skipped: `${file} is absent` }));
    return;
  }
  const cacheDir = mkdtempSync(join(tmpdir(), "codeloop-bench-expected-"));
  const sb = await Sandbox.create({ workers: WORKERS });
  try {
    const raw = await loadProblems(file);
    const pendingArgs = new Map(
      raw.map((p) => [
        p.id,
        [...(p.pendingExpected?.privateArgs ?? []), ...(p.pendingExpected?.generatedArgs ?? [])],
      ]),
    );
    const floor = functionFloor(raw, pendingArgs);
    const t0 = performance.now();
    const problems = await loadProblems(file, {}, { computeExpected: sandboxComputeExpected(sb), cacheDir });
    const expectedSeconds = (performance.now() - t0) / 1000;
    const calls = [...pendingArgs.values()].reduce((a, b) => a + b.length, 0);
    const floorWall = floor.cpuSeconds / WORKERS;
    console.log(
      JSON.stringify({
        bench: "humaneval-plus-expected-outputs",
        workers: WORKERS,
        calls,
        wallSeconds: Number(expectedSeconds.toFixed(2)),
        floorCpuSeconds: floor.cpuSeconds,
        wallOverFloor: Number((expectedSeconds / floorWall).toFixed(2)),
        target: 3,
        targetMet: expectedSeconds <= 3 * floorWall,
      }),
    );
    const r = await validateProblems(sb, problems);
    console.log(
      JSON.stringify({
        bench: "validate-humaneval-plus",
        workers: r.workers,
        problems: r.problems,
        correctAccepted: r.correctAccepted,
        correctTotal: r.correctTotal,
        testsRun: r.testsRun,
        wallSeconds: r.wallSeconds,
        programsCpuSeconds: r.cpuSecondsTotal,
        floorCpuSeconds: floor.cpuSeconds,
        floorWallSeconds: Number(floorWall.toFixed(2)),
        wallOverFloor: Number((r.wallSeconds / floorWall).toFixed(2)),
        target: 3,
        targetMet: r.wallSeconds <= 3 * floorWall,
        testsPerSecond: r.testsPerSecond,
      }),
    );
  } finally {
    await sb.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

const freePort = () =>
  new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });

/** Starts a process and resolves once its stderr (or stdout) matches `ready`. */
function startProcess(cmd, argv, ready, env = process.env) {
  const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], env });
  let log = "";
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${cmd} did not start: ${log}`)), 30_000);
    const on = (d) => {
      log += String(d);
      if (ready.test(log)) {
        clearTimeout(timer);
        ok(proc);
      }
    };
    proc.stdout.on("data", on);
    proc.stderr.on("data", on);
    proc.once("exit", (c) => fail(new Error(`${cmd} exited (${c}): ${log}`)));
  });
}

const QUEUE_SECRET = "bench-validate-queue-secret-0123456789";

async function codecontestsQueue() {
  const dir = join(data, "codecontests-sample");
  if (!existsSync(dir) || !existsSync("/usr/bin/redis-server")) {
    console.log(
      JSON.stringify({ bench: "validate-codecontests-queue", skipped: "no sample or no redis-server" }),
    );
    return;
  }
  const problems = await loadProblems(dir);
  const local = await Sandbox.create({ workers: WORKERS });
  let localWall;
  try {
    localWall = (await validateProblems(local, problems)).wallSeconds;
  } finally {
    await local.close();
  }
  const port = await freePort();
  const procs = [];
  const redis = await startProcess(
    "/usr/bin/redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    /Ready to accept connections/,
  );
  procs.push(redis);
  const url = `redis://127.0.0.1:${port}`;
  const cli = fileURLToPath(new URL("../dist/cli/index.js", import.meta.url));
  for (let i = 0; i < WORKERS; i++) {
    procs.push(
      await startProcess(
        process.execPath,
        [cli, "worker", "--queue", url, "--workers", "1"],
        /slot\(s\), judge/,
        // Jobs and results signed, as a deployment should run (docs/queue.md).
        { ...process.env, CODELOOP_QUEUE_SECRET: QUEUE_SECRET },
      ),
    );
  }
  const sb = await Sandbox.create({ workers: 1 });
  const judge = await QueueJudge.connect({
    url,
    capacity: 2 * WORKERS,
    secret: Buffer.from(QUEUE_SECRET),
  });
  try {
    const r = await validateProblems(sb, problems, { judge });
    console.log(
      JSON.stringify({
        bench: "validate-codecontests-queue",
        workerProcesses: WORKERS,
        signed: true,
        slotsEach: 1,
        problems: r.problems,
        correctAccepted: r.correctAccepted,
        correctTotal: r.correctTotal,
        testsRun: r.testsRun,
        wallSeconds: r.wallSeconds,
        localWallSeconds: localWall,
        queueOverLocal: Number((r.wallSeconds / localWall).toFixed(3)),
        target: 1.2,
        targetMet: r.wallSeconds <= 1.2 * localWall,
      }),
    );
  } finally {
    await judge.close();
    await sb.close();
    for (const p of procs.reverse()) p.kill("SIGTERM");
  }
}

if (only === "queue" || args.includes("--queue")) await codecontestsQueue();
else {
  if (only !== "humaneval") await codecontests();
  if (only !== "codecontests") await humanevalPlus();
}
