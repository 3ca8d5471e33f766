// Run folders created before grading.tests, benchmark.exclude and sandbox.python existed: their
// config.json lacks the fields, and their run.db holds the hash of that config as written. They
// must open and resume doing what they did then (hidden tests only, nothing excluded, CPython),
// not what the new defaults say (all tests, exclude unjudgeable, PyPy for Kattis).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunConfigInput,
  RunStore,
  RunStoreError,
  parseRunConfig,
  runRun,
} from "../../src/runs/index.js";
import { answer, userMessages } from "../e2e/fixtures.js";
import { customWithoutValidatorPackage, doublePackage, writeKattisPackage } from "../e2e/kattis-fixtures.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../helpers/chat-server.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-runs-legacy-"));
const kattis = join(tmp, "kattis");
let server: ChatServer;
let folderNo = 0;

/**
 * For "double" (sample 21, secret 5, 1000, 77): wrong on the sample, and wrong everywhere on
 * PyPy; right on every secret test on CPython. Accepted exactly when grading uses the hidden
 * tests only and Python is CPython.
 */
const HIDDEN_CPYTHON_ONLY =
  'import sys\nn = int(input())\nprint(0 if n == 21 or sys.implementation.name == "pypy" else 2 * n)\n';
const HALF = "s = int(input())\nprint(s // 2, s - s // 2)\n";
const problemOf = (r: ChatServerRequest) => /Problem (\w+):/.exec(userMessages(r)[0]!)?.[1];

beforeAll(async () => {
  writeKattisPackage(kattis, doublePackage("double"));
  writeKattisPackage(kattis, customWithoutValidatorPackage("pairsum"));
  server = await startChatServer({
    respond: (r) => answer(problemOf(r) === "pairsum" ? HALF : HIDDEN_CPYTHON_ONLY),
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** config.json's hashing: JSON with sorted keys, undefined left out, then SHA-256. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
const sha256 = (v: unknown) => createHash("sha256").update(canonicalJson(v)).digest("hex");

const base = (over: Partial<RunConfigInput> = {}): RunConfigInput => ({
  benchmark: { source: kattis },
  model: `openai:${server.url}#scripted`,
  strategy: { kind: "single-turn" },
  trajectoriesPerProblem: 4,
  cache: { enabled: false },
  concurrency: { model: 1, sandbox: 1 },
  sandbox: { workers: 1 },
  ...over,
});

/** Plays `config` until the first trajectory finishes, then stops: a run killed part way. */
async function startAndStop(config: RunConfigInput): Promise<string> {
  const folder = join(tmp, `run${folderNo++}`);
  const stop = new AbortController();
  await runRun(
    { folder, config: parseRunConfig(config) },
    {
      signal: stop.signal,
      onProgress: (p) => {
        if (p.finished >= 1) stop.abort();
      },
    },
  );
  return folder;
}

/** Rewrites config.json as codeloop wrote it before the three fields existed. */
function stripNewFields(folder: string): Record<string, unknown> {
  const file = join(folder, "config.json");
  // biome-ignore lint/suspicious/noExplicitAny: a config as JSON
  const cfg = JSON.parse(readFileSync(file, "utf8")) as any;
  expect(cfg.grading).toHaveProperty("tests");
  expect(cfg.benchmark).toHaveProperty("exclude");
  expect(cfg.sandbox).toHaveProperty("python");
  const { tests: _tests, ...grading } = cfg.grading;
  const { exclude: _exclude, ...benchmark } = cfg.benchmark;
  const { python: _python, ...sandbox } = cfg.sandbox;
  const legacy = { ...cfg, grading, benchmark, sandbox };
  writeFileSync(file, `${JSON.stringify(legacy, null, 2)}\n`);
  return legacy;
}

function setStoredHash(folder: string, hash: string): void {
  const db = new Database(join(folder, "run.db"));
  try {
    db.prepare("UPDATE run SET config_hash = ?").run(hash);
  } finally {
    db.close();
  }
}

describe("legacy run folders (config.json without grading.tests, benchmark.exclude, sandbox.python)", () => {
  it("open with hidden / [] / cpython and resume doing what they did", async () => {
    // The old codeloop graded on hidden tests, excluded nothing and ran CPython: play part of a
    // run that way, then make its folder look as the old codeloop left it.
    const folder = await startAndStop(
      base({
        benchmark: { source: kattis, exclude: [] },
        grading: { tests: "hidden" },
        sandbox: { workers: 1, python: "cpython" },
      }),
    );
    const legacy = stripNewFields(folder);
    setStoredHash(folder, sha256(legacy));
    const written = readFileSync(join(folder, "config.json"), "utf8");

    const store = RunStore.open(folder);
    const before = store.counts();
    expect(store.run.configHash).toBe(sha256(legacy));
    expect(store.config.grading.tests).toBe("hidden");
    expect(store.config.benchmark.exclude).toEqual([]);
    expect(store.config.sandbox.python).toBe("cpython");
    store.close();
    expect(before.total).toBe(8);
    expect(before.done).toBeGreaterThanOrEqual(1);
    expect(before.pending).toBeGreaterThanOrEqual(1);

    const asked = server.requests.length;
    const lines: string[] = [];
    // No sandbox passed: the run starts the one its (legacy) config asks for.
    const result = await runRun({ folder }, { log: (m) => lines.push(m) });
    // Only the trajectories left pending were played.
    expect(server.requests.length - asked).toBe(before.pending);
    expect(result.progress).toMatchObject({ total: 8, finished: 8, failed: 0 });
    expect(lines.join("\n")).not.toMatch(/excluded|calibrated for PyPy/);

    const after = RunStore.open(folder);
    try {
      expect(after.config.grading.tests).toBe("hidden");
      expect(after.facts().python).toMatch(/^CPython 3\./);
      // Nothing excluded: the unjudgeable package is in the run.
      expect(after.excludedProblems()).toEqual([]);
      const summaries = after.problemSummaries();
      expect(summaries.map((s) => [s.problemId, s.done, s.accepted])).toEqual([
        // Every double trajectory, before and after the resume, was graded on the hidden tests.
        ["double", 4, 4],
        // Token comparison rejects pairsum's correct answer (why new runs exclude it).
        ["pairsum", 4, 0],
      ]);
      for (const t of after.trajectories({ problemId: "double" })) {
        expect(after.trajectoryDetail(t)!.grade).toMatchObject({ verdict: "accepted", total: 3, passed: 3 });
      }
    } finally {
      after.close();
    }
    // Opening and resuming leave config.json as it was written.
    expect(readFileSync(join(folder, "config.json"), "utf8")).toBe(written);
    // And it opens again.
    RunStore.open(folder).close();
  });

  it("a legacy config.json edited in another field no longer matches its run", async () => {
    const folder = await startAndStop(
      base({
        benchmark: { source: kattis, exclude: [] },
        grading: { tests: "hidden" },
        sandbox: { workers: 1, python: "cpython" },
      }),
    );
    const legacy = stripNewFields(folder);
    setStoredHash(folder, sha256(legacy));
    RunStore.open(folder).close();
    writeFileSync(join(folder, "config.json"), `${JSON.stringify({ ...legacy, seed: 99 }, null, 2)}\n`);
    expect(() => RunStore.open(folder)).toThrow(RunStoreError);
    expect(() => RunStore.open(folder)).toThrow(/no longer matches the config the run started with/);
  });

  it("stripping the fields from a new run's config.json cannot turn it into a legacy run", async () => {
    // Created with the new defaults (all tests, exclude unjudgeable, auto): without the fields
    // it would read as hidden / [] / cpython, which is not what the run did.
    const folder = await startAndStop(base());
    const created = RunStore.open(folder);
    expect(created.config.grading.tests).toBe("all");
    created.close();
    stripNewFields(folder);
    expect(() => RunStore.open(folder)).toThrow(/no longer matches the config the run started with/);
  });
});
