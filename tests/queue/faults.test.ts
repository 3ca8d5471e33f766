// Judge workers as processes (the built CLI, `codeloop worker`): a worker killed with SIGKILL
// in the middle of a job leaves it to another worker (BullMQ stalled-job recovery), and the
// client gets exactly one verdict.
import { type ChildProcess, spawn } from "node:child_process";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JudgeSpec, TestCase } from "../../src/core/verdict.js";
import { QueueJudge } from "../../src/queue/index.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/index.js";
import { RIGHT, WRONG, doubleProblem, writeProblems } from "../e2e/fixtures.js";
import { HAVE_REDIS, RedisServer } from "./redis.js";

const CLI = resolve(__dirname, "../../dist/cli/index.js");
const HAVE_CLI = existsSync(CLI);
if (!HAVE_CLI) console.warn("tests/queue/faults: dist/cli/index.js missing (npm run build): skipped");

const spec: JudgeSpec = { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } };
const tests: TestCase[] = [{ kind: "stdio", input: "21\n", output: "42\n" }];

interface Proc {
  proc: ChildProcess;
  log: string[];
}

async function startWorker(url: string): Promise<Proc> {
  const proc = spawn(
    process.execPath,
    [
      CLI,
      "worker",
      "--queue",
      url,
      "--workers",
      "1",
      "--lock-duration-ms",
      "1500",
      "--stalled-interval-ms",
      "500",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const log: string[] = [];
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`worker did not start: ${log.join("")}`)), 20_000);
    proc.stderr!.on("data", (d: Buffer) => {
      log.push(d.toString());
      if (/slot\(s\), judge/.test(log.join(""))) {
        clearTimeout(t);
        ok();
      }
    });
    proc.once("exit", (c) => fail(new Error(`worker exited (${c}): ${log.join("")}`)));
  });
  proc.removeAllListeners("exit");
  return { proc, log };
}

function stop(p: Proc | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    p.proc.once("exit", () => ok());
    p.proc.kill(signal);
  });
}

describe.skipIf(!HAVE_REDIS || !HAVE_CLI)("worker processes", () => {
  let redis: RedisServer;
  const procs: Proc[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    for (const p of procs) await stop(p, "SIGKILL");
    await redis?.stop();
  });

  it("a worker killed with SIGKILL mid-job leaves the job to another: one verdict", async () => {
    const a = await startWorker(redis.url);
    procs.push(a);
    const client = await QueueJudge.connect({ url: redis.url, unavailableMs: 5000, pollMs: 300 });
    const queue = new Queue("codeloop-judge", { connection: { url: redis.url } as never });
    try {
      expect(client.capacity).toBe(2);
      const slow = { language: "python", code: "import time\ntime.sleep(2)\nprint(2 * int(input()))\n" };
      const pending = client.judge(spec, tests, slow, {
        limits: { ...DEFAULT_LIMITS, timeMs: 2000, wallMs: 15_000 },
      });
      // Wait until worker A holds the job, then kill it.
      const t0 = Date.now();
      while ((await queue.getActiveCount()) === 0) {
        if (Date.now() - t0 > 10_000) throw new Error("the job never became active");
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      await stop(a, "SIGKILL");
      const b = await startWorker(redis.url);
      procs.push(b);
      const result = await pending;
      expect(result.verdict).toBe("accepted");
      expect(result.tests.length).toBe(1);
      expect(result.tests[0]!.record.stdout).toBe("42\n");
      // One job, completed once, after one stall.
      const completed = await queue.getJobs(["completed"]);
      expect(completed.length).toBe(1);
      expect(completed[0]!.stalledCounter).toBe(1);
      expect(completed[0]!.attemptsStarted).toBe(2);
      expect(await queue.getFailedCount()).toBe(0);
      expect(b.log.join("")).not.toMatch(/REFUSED/);
    } finally {
      await queue.close();
      await client.close();
    }
  }, 60_000);

  it("codeloop judge --queue gives the verdicts the local sandbox gives", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "codeloop-queue-judge-"));
    try {
      const problems = join(tmp, "problems.jsonl");
      await writeProblems(problems, [doubleProblem("p0"), doubleProblem("p1")]);
      const samples = join(tmp, "samples.jsonl");
      writeFileSync(
        samples,
        [
          { problem_id: "p0", code: RIGHT },
          { problem_id: "p0", code: WRONG },
          { problem_id: "p1", code: "print(" },
        ]
          .map((x) => JSON.stringify(x))
          .join("\n"),
      );
      const judge = (out: string, extra: string[]) =>
        spawnSync(
          process.execPath,
          [CLI, "judge", problems, samples, "--out", out, "--workers", "1", ...extra],
          {
            encoding: "utf8",
          },
        );
      const verdicts = (file: string) =>
        readFileSync(file, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l))
          .map((v) => [v.problemId, v.index, v.verdict, v.passed, v.total])
          // Lines are written as verdicts arrive: compare them in sample order.
          .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1]));
      const local = judge(join(tmp, "local.jsonl"), []);
      expect(local.status, local.stderr).toBe(0);
      const w = await startWorker(redis.url);
      procs.push(w);
      const queued = judge(join(tmp, "queued.jsonl"), ["--queue", redis.url]);
      expect(queued.status, queued.stderr).toBe(0);
      expect(queued.stderr).toMatch(/judging through/);
      expect(verdicts(join(tmp, "queued.jsonl"))).toEqual(verdicts(join(tmp, "local.jsonl")));
      expect(verdicts(join(tmp, "local.jsonl")).map((v) => v[2])).toEqual([
        "accepted",
        "wrong_answer",
        "compile_error",
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 90_000);
});
