import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerSweep } from "../../src/cli/sweep.js";
import { RunStore } from "../../src/runs/index.js";
import { doubleProblem, userMessages, writeProblems, wrongThenRight } from "../e2e/fixtures.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { captureCli } from "../helpers/cli-capture.js";

// The CLI from its TypeScript sources in a child process (no build needed), so it can be SIGKILLed.
const VITE_NODE = resolve("node_modules/vite-node/vite-node.mjs");
const CLI_SRC = resolve("src/cli/index.ts");

const tmp = mkdtempSync(join(tmpdir(), "codeloop-sweep-kill-"));
let server: ChatServer;
let child: ChildProcess | undefined;
let killAt = Number.POSITIVE_INFINITY;

beforeAll(async () => {
  server = await startChatServer({
    latencyMs: 20,
    respond: (r) => {
      // Killed in the middle of the second cell: at its first feedback turn.
      if (r.index >= killAt && child && child.exitCode === null) child.kill("SIGKILL");
      return wrongThenRight(r);
    },
  });
  await writeProblems(
    join(tmp, "problems.jsonl"),
    Array.from({ length: 4 }, (_, i) => doubleProblem(`p${i}`)),
  );
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

function writeSweep(): string {
  writeFileSync(
    join(tmp, "base.yaml"),
    [
      `benchmark: { source: ${join(tmp, "problems.jsonl")} }`,
      `model: openai:${server.url}#scripted`,
      "trajectoriesPerProblem: 3",
      "concurrency: { model: 1, sandbox: 1 }",
      "sandbox: { workers: 1 }",
      `cache: { enabled: true, dir: ${join(tmp, "cache")} }`,
      "",
    ].join("\n"),
  );
  const file = join(tmp, "sweep.yaml");
  writeFileSync(file, "name: killed\nbase: base.yaml\ngrid:\n  turns: [1, 3]\n  feedback: [failed-test]\n");
  return file;
}

function pass1(folder: string): number[] {
  const store = RunStore.open(folder);
  try {
    return [...store.trajectories()].map((t) =>
      store.trajectoryDetail(t)!.grade?.verdict === "accepted" ? 1 : 0,
    );
  } finally {
    store.close();
  }
}

describe("codeloop sweep killed with SIGKILL", () => {
  it("resumes the partly done cell and does not redo the finished one", async () => {
    const file = writeSweep();
    const out = join(tmp, "sweep");
    const n = 4 * 3;
    // Cell 1 (t1) makes n requests, cell 2 (t3) answers its first turns from the cache and
    // then asks for the feedback turns: kill a few requests into those.
    killAt = server.requests.length + n + 3;
    child = spawn(process.execPath, [VITE_NODE, CLI_SRC, "sweep", file, "--out", out], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr?.on("data", (d) => {
      err += String(d);
    });
    const exit = await new Promise<NodeJS.Signals | null>((res) => child!.once("exit", (_c, s) => res(s)));
    expect(exit, err).toBe("SIGKILL");
    killAt = Number.POSITIVE_INFINITY;
    const c1 = join(out, "cells", "f-failed-test_t1");
    const c2 = join(out, "cells", "f-failed-test_t3");
    const log1 = readFileSync(join(c1, "run.log"), "utf8");
    const store = RunStore.open(c2);
    const counts = store.counts();
    store.close();
    expect(counts.done).toBeLessThan(n);

    const before = server.requests.length;
    let stderr = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      stderr += String(s);
      return true;
    });
    let stdout: string;
    try {
      stdout = await captureCli(registerSweep, "sweep", file, "--out", out, "--resume", "--resamples", "100");
    } finally {
      spy.mockRestore();
    }
    expect(stderr).toContain("cell 1/2 f-failed-test_t1 (feedback failed-test, turns 1): finished earlier");
    expect(stderr).toContain("cell 2/2 f-failed-test_t3 (feedback failed-test, turns 3): resuming");
    // The finished cell was not touched; the killed one continued where it stopped.
    expect(readFileSync(join(c1, "run.log"), "utf8")).toBe(log1);
    expect(readFileSync(join(c2, "run.log"), "utf8")).toContain("run resumed");
    expect(pass1(c1)).toEqual(Array(n).fill(0));
    expect(pass1(c2)).toEqual(Array(n).fill(1));
    // Only feedback turns not answered before the kill were asked for again (at most the
    // requests in flight at the kill were lost with it).
    const asked = server.requests.slice(before);
    expect(asked.every((r) => userMessages(r).length === 2)).toBe(true);
    expect(asked.length).toBeLessThanOrEqual(n);
    expect(asked.length).toBeGreaterThan(0);
    expect(stdout).toMatch(/^f-failed-test_t3\s+failed-test\s+3\s+4\s+100\.0 /m);
  }, 60_000);
});
