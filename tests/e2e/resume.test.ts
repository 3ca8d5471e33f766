import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore } from "../../src/runs/index.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { RIGHT, WRONG, answer, doubleProblem, userMessages, writeProblems } from "./fixtures.js";

const CLI = resolve("dist/cli/index.js");
const tmp = mkdtempSync(join(tmpdir(), "codeloop-e2e-resume-"));
let server: ChatServer;
let onRequest: () => void = () => {};
// Each model call waits this long. A kill up to two of these after a request lands while
// the request is in flight or while its answer is being graded and stored.
const LATENCY_MS = 10;
// 2 problems x 3 trajectories of 1 to 3 turns: enough for in-flight work at every kill.
const PROBLEMS = 2;
const TRAJECTORIES = 3;

beforeAll(async () => {
  // Right when the seed says so or on the third turn: trajectories of 1, 2 and 3 turns, as
  // a function of the request alone, so a resumed run sees the answers an uninterrupted one saw.
  server = await startChatServer({
    latencyMs: LATENCY_MS,
    respond: (r) => {
      onRequest();
      return answer(r.body.seed % 3 === 0 || userMessages(r).length >= 3 ? RIGHT : WRONG);
    },
  });
  await writeProblems(
    join(tmp, "problems.jsonl"),
    Array.from({ length: PROBLEMS }, (_, i) => doubleProblem(`p${i}`)),
  );
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

function writeConfig(name: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `benchmark: { source: ${join(tmp, "problems.jsonl")} }`,
      `model: openai:${server.url}#scripted`,
      `trajectoriesPerProblem: ${TRAJECTORIES}`,
      "seed: 3",
      "grading: { gradeEveryTurn: true }",
      "concurrency: { model: 3, sandbox: 2 }",
      "sandbox: { workers: 2 }",
      `cache: { enabled: true, dir: ${join(tmp, `cache-${name}`)} }`,
      "",
    ].join("\n"),
  );
  return file;
}

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> {
  let err = "";
  child.stderr?.on("data", (d) => {
    err += String(d);
  });
  return new Promise((res) => child.once("exit", (code, signal) => res({ code, signal, err })));
}

/** What a run stored, minus what legitimately differs between processes (times, cache hits). */
function dump(folder: string): unknown {
  const store = RunStore.open(folder);
  try {
    return {
      counts: store.counts(),
      trajectories: [...store.trajectories()].map((t) => {
        const d = store.trajectoryDetail(t)!;
        return {
          key: `${d.problemId}#${d.trajectory}`,
          status: d.status,
          submitted: [d.submittedTurn, d.submittedCandidate],
          grade: d.grade && [d.grade.verdict, d.grade.passed, d.grade.total, d.grade.version],
          turnGrades: d.turnGrades.map((g) => [g.turn, g.candidate, g.grade.verdict, g.grade.version]),
          turns: d.turns.map((t) => ({
            index: t.index,
            parent: [t.parentTurn, t.parentCandidate],
            messages: t.messages,
            candidates: t.candidates.map((c) => ({
              raw: c.rawAnswer,
              code: c.code,
              seed: c.seed,
              tokens: [c.promptTokens, c.completionTokens],
              publicTests: c.publicTests && [c.publicTests.verdict, c.publicTests.passed],
              selected: c.selected,
            })),
          })),
        };
      }),
    };
  } finally {
    store.close();
  }
}

// A fixed-seed generator for the kill moments: random-looking, the same in every test run.
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("codeloop run --resume after SIGKILL", () => {
  it("a run killed at random moments and resumed ends with the same trajectories as an uninterrupted run", async () => {
    const total = PROBLEMS * TRAJECTORIES;
    const reference = join(tmp, "reference");
    const t0 = Date.now();
    let firstRequestMs = 0;
    onRequest = () => {
      firstRequestMs ||= Date.now() - t0;
    };
    const before = server.requests.length;
    const ref = await exited(start(["run", writeConfig("ref"), "--out", reference]));
    onRequest = () => {};
    const refRequests = server.requests.length - before;
    // Every trajectory asked the model at least once.
    expect(refRequests).toBeGreaterThanOrEqual(total);
    expect(ref.code, ref.err).toBe(0);
    const expected = dump(reference);
    const exp = expected as {
      counts: { done: number };
      trajectories: { turns: unknown[]; turnGrades: unknown[] }[];
    };
    expect(exp.counts.done).toBe(total);
    // Trajectories of 1, 2 and 3 turns: kills land between turns of unfinished trajectories.
    expect(new Set(exp.trajectories.map((t) => t.turns.length))).toEqual(new Set([1, 2, 3]));
    // gradeEveryTurn: each turn's code has a hidden grade.
    for (const t of exp.trajectories) expect(t.turnGrades).toHaveLength(t.turns.length);

    const folder = join(tmp, "killed");
    const config = writeConfig("killed");
    const rand = lcg(20261122);
    // Round 0 is killed at a random moment of start-up (before the reference run's first model
    // request, as measured on this machine now). Later rounds are killed a random moment soon
    // after their first model request that reaches the server (resumed rounds answer earlier
    // turns from the response cache, so counting further requests could outlast the work left),
    // until two rounds were killed with work left; then one round is not killed and must finish.
    const MAX_ROUNDS = 8;
    let kills = 0;
    let midRunKills = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // Killed before config.json existed: nothing to resume, so start again.
      const args = existsSync(join(folder, "config.json"))
        ? ["run", "--resume", folder]
        : ["run", config, "--out", folder];
      const child = start(args);
      const done = exited(child);
      let timer: NodeJS.Timeout | undefined;
      if (round === 0) {
        timer = setTimeout(() => child.kill("SIGKILL"), rand() * firstRequestMs);
      } else if (midRunKills < 2) {
        let seen = 0;
        onRequest = () => {
          if (++seen === 1) timer = setTimeout(() => child.kill("SIGKILL"), rand() * 2 * LATENCY_MS);
        };
      }
      const r = await done;
      onRequest = () => {};
      clearTimeout(timer);
      if (r.signal === "SIGKILL") {
        kills++;
        if (round > 0 && existsSync(join(folder, "config.json"))) {
          const store = RunStore.open(folder);
          const finished = store.counts().done;
          store.close();
          if (finished < total) midRunKills++;
        }
        continue;
      }
      expect(r.code, r.err).toBe(0);
      break;
    }
    expect(kills).toBeGreaterThan(0);
    expect(midRunKills).toBeGreaterThanOrEqual(2);
    expect(dump(folder)).toEqual(expected);
  }, 240_000);

  it("fails fast with one clear message when no model server answers", async () => {
    const file = join(tmp, "nomodel.yaml");
    writeFileSync(
      file,
      `benchmark: { source: ${join(tmp, "problems.jsonl")} }\nmodel: openai:http://127.0.0.1:59999/v1#m\n`,
    );
    const t0 = Date.now();
    const r = await exited(start(["run", file, "--out", join(tmp, "nomodel")]));
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split("\n");
    expect(lines).toHaveLength(1);
    for (const way of [
      "openai:http://host:port/v1#model",
      "ollama:",
      "llama:./model.gguf",
      "OPENAI_API_KEY",
    ]) {
      expect(lines[0]).toContain(way);
    }
    expect(existsSync(join(tmp, "nomodel", "config.json"))).toBe(false);
  });
});
