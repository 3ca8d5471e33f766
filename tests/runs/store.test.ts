import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JUDGE_VERSION } from "../../src/judge/index.js";
import {
  type Candidate,
  RunStore,
  RunStoreError,
  type TestSummary,
  type Turn,
  parseRunConfig,
  requestMessages,
} from "../../src/runs/index.js";
import { Database } from "../../src/runs/store-sql.js";
import { childEnv } from "./bundle.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-runs-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(tmp, `run-${n++}`);

const config = parseRunConfig({
  benchmark: { source: "x.jsonl" },
  model: "ollama:m",
  trajectoriesPerProblem: 3,
  seed: 5,
});

const summary = (passed: number, total: number): TestSummary => ({
  verdict: passed === total ? "accepted" : "wrong_answer",
  passed,
  total,
  tests: [{ index: 0, verdict: passed === total ? "accepted" : "wrong_answer", message: "m" }],
  infrastructureFailure: false,
});

function cand(index: number, code: string | null, selected = index === 0): Candidate {
  return {
    index,
    rawAnswer: `answer ${index}: ${code}`,
    code,
    extraction: code === null ? "none" : "fenced-language",
    finishReason: code === null ? null : "stop",
    promptTokens: 10,
    completionTokens: 20 + index,
    tokensApproximate: index === 1,
    latencyMs: 12.5,
    cached: false,
    modelError: code === null ? { kind: "timeout", message: "no answer in 60 s" } : null,
    seed: 1000 + index,
    publicTests: code === null ? null : summary(index, 2),
    selected,
    verifierScore: code === null ? null : 0.25 * index,
  };
}

function turn(index: number, candidates: Candidate[], parent: [number, number] | null = null): Turn {
  return {
    index,
    parentTurn: parent?.[0] ?? null,
    parentCandidate: parent?.[1] ?? null,
    messages: [{ role: "user", content: `turn ${index}` }],
    history: "append",
    candidates,
    startedAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T00:00:01.000Z",
  };
}

describe("run folder", () => {
  it("writes config.json once, creates run.db and run.log, and reopens", () => {
    const dir = fresh();
    const s = RunStore.create(dir, config, { name: "trial" });
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8"))).toEqual(config);
    expect(existsSync(join(dir, "run.db"))).toBe(true);
    expect(readFileSync(join(dir, "run.log"), "utf8")).toMatch(/created run .* \(trial\)/);
    const run = s.run;
    s.close();
    expect(() => RunStore.create(dir, config)).toThrow(/already holds a run/);
    const again = RunStore.open(dir);
    expect(again.run).toEqual(run);
    expect(again.run.seed).toBe(5);
    again.close();
    expect(() => RunStore.open(join(tmp, "nothing"))).toThrow(/not a run folder/);
  });

  it("refuses a config.json edited after the run started", () => {
    const dir = fresh();
    RunStore.create(dir, config).close();
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, seed: 6 }));
    expect(() => RunStore.open(dir)).toThrow(/no longer matches/);
  });
});

describe("writing and reading", () => {
  it("plans idempotently, stores turns once, and resumes where each trajectory stands", () => {
    const s = RunStore.create(fresh(), config);
    s.planProblems([{ id: "a", title: "A" }, { id: "b" }]);
    s.planProblems([{ id: "a", title: "A" }, { id: "b" }, { id: "c", difficulty: "hard" }]);
    expect(s.counts()).toEqual({ total: 9, pending: 9, running: 0, done: 0, failed: 0 });

    const k = { problemId: "b", trajectory: 1 };
    expect(s.writeTurn(k, turn(0, [cand(0, "print(1)"), cand(1, null, false)]))).toBe(true);
    expect(s.writeTurn(k, turn(0, [cand(0, "other")]))).toBe(false);
    expect(s.counts().running).toBe(1);
    const points = [...s.resumePoints({ pageSize: 2 })];
    expect(points).toHaveLength(9);
    expect(points.map((p) => `${p.problemId}${p.trajectory}`)).toEqual([
      "a0",
      "a1",
      "a2",
      "b0",
      "b1",
      "b2",
      "c0",
      "c1",
      "c2",
    ]);
    expect(points[4]).toEqual({ problemId: "b", trajectory: 1, status: "running", turns: 1 });

    s.writeTurn(k, turn(1, [cand(0, "print(2)")], [0, 0]));
    s.finishTrajectory(k, { status: "done", submitted: { turn: 1, candidate: 0 }, grade: summary(3, 3) });
    s.finishTrajectory(k, { status: "failed", submitted: null, error: "late" });
    s.finishTrajectory(
      { problemId: "a", trajectory: 0 },
      { status: "failed", submitted: null, error: "boom" },
    );
    expect(s.counts()).toEqual({ total: 9, pending: 7, running: 0, done: 1, failed: 1 });
    expect([...s.resumePoints()].map((p) => `${p.problemId}${p.trajectory}`)).not.toContain("a0");
    expect([...s.resumePoints({ retryFailed: true })].map((p) => `${p.problemId}${p.trajectory}`)).toContain(
      "a0",
    );

    const d = s.trajectoryDetail(k)!;
    expect(d).toMatchObject({
      status: "done",
      submittedCode: "print(2)",
      submittedTurn: 1,
      turnCount: 2,
      grade: { verdict: "accepted", passed: 3, total: 3, version: 1 },
      error: null,
    });
    expect(d.turns[0]!.candidates).toEqual([cand(0, "print(1)"), cand(1, null, false)]);
    expect(requestMessages(d.turns, 1).map((m) => m.content)).toEqual([
      "turn 0",
      "answer 0: print(1)",
      "turn 1",
    ]);

    const sums = s.problemSummaries();
    expect(sums.map((p) => [p.problemId, p.total, p.done, p.failed, p.accepted])).toEqual([
      ["a", 3, 0, 1, 0],
      ["b", 3, 1, 0, 1],
      ["c", 3, 0, 0, 0],
    ]);
    expect(sums[2]!.difficulty).toBe("hard");
    expect([...s.iterateProblemSummaries({ pageSize: 1 })]).toEqual(sums);
    expect([...s.trajectories({ problemId: "b" })].map((t) => t.status)).toEqual([
      "pending",
      "done",
      "pending",
    ]);
    expect([...s.trajectories({ status: "failed" })].map((t) => t.error)).toEqual(["boom"]);
    s.close();
  });

  it("stores several turns in one transaction: all of them or none", () => {
    const s = RunStore.create(fresh(), config);
    s.planProblems([{ id: "p" }]);
    const k = { problemId: "p", trajectory: 0 };
    // A turn may be the parent of the next one in the same batch.
    expect(s.writeTurns(k, [turn(0, [cand(0, "r")]), turn(1, [cand(0, "c")], [0, 0])])).toEqual([true, true]);
    // The second turn's parent is missing: the first one, valid alone, is not kept either.
    expect(() => s.writeTurns(k, [turn(2, [cand(0, "x")], [0, 0]), turn(3, [cand(0, "y")], [9, 0])])).toThrow(
      /parent turn 9 candidate 0 is not stored/,
    );
    expect(s.trajectoryDetail(k)!.turns.map((t) => t.index)).toEqual([0, 1]);
    // Already stored turns are reported, not written twice.
    expect(s.writeTurns(k, [turn(1, [cand(0, "c")], [0, 0]), turn(2, [cand(0, "x")], [0, 0])])).toEqual([
      false,
      true,
    ]);
    s.close();
  });

  it("rejects turns and submissions that do not fit the stored tree", () => {
    const s = RunStore.create(fresh(), config);
    s.planProblems([{ id: "p" }]);
    const k = { problemId: "p", trajectory: 0 };
    expect(() => s.writeTurn({ problemId: "zz", trajectory: 0 }, turn(0, []))).toThrow(/was not planned/);
    expect(() => s.writeTurn(k, turn(1, [cand(0, "x")], [0, 0]))).toThrow(
      /parent turn 0 candidate 0 is not stored/,
    );
    expect(() => s.writeTurn(k, turn(0, [cand(0, "x"), cand(0, "y")]))).toThrow(/appears twice/);
    s.writeTurn(k, turn(0, [cand(0, "x")]));
    expect(() => s.finishTrajectory(k, { status: "done", submitted: { turn: 0, candidate: 4 } })).toThrow(
      RunStoreError,
    );
    // Branching: two children of the same root candidate are both kept.
    expect(s.writeTurn(k, turn(1, [cand(0, "b1")], [0, 0]))).toBe(true);
    expect(s.writeTurn(k, turn(2, [cand(0, "b2")], [0, 0]))).toBe(true);
    expect(s.trajectoryDetail(k)!.turns.map((t) => t.parentTurn)).toEqual([null, 0, 0]);
    s.finishTrajectory(k, { status: "done", submitted: { turn: 2, candidate: 0 } });
    expect(() => s.writeTurn(k, turn(3, [cand(0, "late")], [2, 0]))).toThrow(/already done/);
    s.close();
  });

  it("keeps grade versions for rejudging and streams the stored codes", () => {
    const s = RunStore.create(fresh(), config);
    s.planProblems([{ id: "p" }, { id: "q" }]);
    for (const problemId of ["p", "q"]) {
      for (let t = 0; t < 3; t++) {
        const k = { problemId, trajectory: t };
        s.writeTurn(k, turn(0, [cand(0, `${problemId}${t}-0`), cand(1, `${problemId}${t}-1`, false)]));
        if (t < 2)
          s.finishTrajectory(k, {
            status: "done",
            submitted: { turn: 0, candidate: 0 },
            grade: summary(1, 2),
          });
      }
    }
    s.writeGrade({ problemId: "p", trajectory: 2 }, 0, 1, summary(0, 2));
    expect(() => s.writeGrade({ problemId: "p", trajectory: 0 }, 0, 0, summary(2, 2), 2)).toThrow(
      /grade version 2 does not exist/,
    );

    const submitted = [...s.storedCodes({ pageSize: 1 })];
    expect(submitted.map((c) => c.code)).toEqual(["p0-0", "p1-0", "q0-0", "q1-0"]);
    expect(
      submitted.every((c) => c.submitted && c.grade?.version === 1 && c.grade.verdict === "wrong_answer"),
    ).toBe(true);
    const all = [...s.storedCodes({ all: true, pageSize: 3 })];
    expect(all).toHaveLength(12);
    expect(all.find((c) => c.code === "p2-1")!.grade!.passed).toBe(0);

    const v = s.beginGradeVersion("rejudge with judge 2");
    expect(v).toBe(2);
    for (const c of submitted) expect(s.writeGrade(c, c.turn, c.candidate, summary(2, 2), v)).toBe(true);
    expect(s.writeGrade(submitted[0]!, 0, 0, summary(0, 2), v)).toBe(false);
    expect(s.gradeVersions().map((g) => g.note)).toEqual(["run", "rejudge with judge 2"]);
    const t0 = s.trajectoryDetail({ problemId: "p", trajectory: 0 })!;
    expect(t0.grade).toMatchObject({ version: 2, verdict: "accepted" });
    expect(s.problemSummaries().map((p) => p.accepted)).toEqual([2, 2]);
    expect(s.trajectoryDetail({ problemId: "p", trajectory: 2 })!.turnGrades).toEqual([
      { turn: 0, candidate: 1, grade: expect.objectContaining({ version: 1, passed: 0 }) },
    ]);
    s.close();
  });

  it("records the judge of every grade version and finds grades an older judge made", () => {
    const dir = fresh();
    const s = RunStore.create(dir, config);
    s.planProblems([{ id: "p" }]);
    for (let t = 0; t < 2; t++) {
      const k = { problemId: "p", trajectory: t };
      s.writeTurn(k, turn(0, [cand(0, `p${t}`)]));
      s.finishTrajectory(k, { status: "done", submitted: { turn: 0, candidate: 0 }, grade: summary(1, 2) });
    }
    expect(s.gradeVersions()).toEqual([expect.objectContaining({ version: 1, judgeVersion: JUDGE_VERSION })]);
    expect(s.staleGrades(JUDGE_VERSION)).toEqual([]);
    // Seen by a later codeloop whose judge has changed: both grades are stale.
    expect(s.staleGrades("codeloop-judge/999")).toEqual([
      { version: 1, judgeVersion: JUDGE_VERSION, codes: 2 },
    ]);
    // A rejudge of one code by that later judge leaves one stale grade.
    const v = s.beginGradeVersion("rejudge", "codeloop-judge/999");
    s.writeGrade({ problemId: "p", trajectory: 0 }, 0, 0, summary(2, 2), v);
    expect(s.staleGrades("codeloop-judge/999")).toEqual([
      { version: 1, judgeVersion: JUDGE_VERSION, codes: 1 },
    ]);
    expect(s.staleGrades(JUDGE_VERSION)).toEqual([
      { version: 2, judgeVersion: "codeloop-judge/999", codes: 1 },
    ]);
    s.close();

    // A store made before judge versions were recorded: the column is added on open and its
    // grade versions count as made by an unknown, older judge.
    const db = new Database(join(dir, "run.db"));
    db.exec("ALTER TABLE grade_versions DROP COLUMN judge_version");
    db.close();
    const legacy = RunStore.open(dir);
    expect(legacy.gradeVersions().map((g) => g.judgeVersion)).toEqual([null, null]);
    expect(legacy.staleGrades(JUDGE_VERSION)).toEqual([
      { version: 1, judgeVersion: null, codes: 1 },
      { version: 2, judgeVersion: null, codes: 1 },
    ]);
    // A rejudge now is labelled with today's judge and supersedes both.
    const w = legacy.beginGradeVersion("rejudge --all");
    for (let t = 0; t < 2; t++) legacy.writeGrade({ problemId: "p", trajectory: t }, 0, 0, summary(2, 2), w);
    expect(legacy.gradeVersions().at(-1)).toMatchObject({ version: 3, judgeVersion: JUDGE_VERSION });
    expect(legacy.staleGrades(JUDGE_VERSION)).toEqual([]);
    legacy.close();
  });

  it("pages through 10,000 trajectories without loading them at once", () => {
    const big = parseRunConfig({ ...config, trajectoriesPerProblem: 100 });
    const s = RunStore.create(fresh(), big);
    s.planProblems(Array.from({ length: 100 }, (_, i) => ({ id: `p${String(i).padStart(3, "0")}` })));
    let count = 0;
    let last = "";
    for (const t of s.trajectories({ pageSize: 1000 })) {
      const key = `${t.problemId}/${String(t.trajectory).padStart(3, "0")}`;
      expect(key > last).toBe(true);
      last = key;
      count++;
    }
    expect(count).toBe(10_000);
    expect([...s.resumePoints({ pageSize: 999 })]).toHaveLength(10_000);
    expect([...s.iterateProblemSummaries({ pageSize: 7 })]).toHaveLength(100);
    s.close();
  });
});

describe("a half-written turn", () => {
  it("is absent after the writer is killed inside the transaction", async () => {
    const dir = fresh();
    const s = RunStore.create(dir, config);
    s.planProblems([{ id: "p" }]);
    s.writeTurn({ problemId: "p", trajectory: 0 }, turn(0, [cand(0, "x")]));
    s.close();
    // The child opens the database as the store does, inserts turn 1 without committing and
    // then waits to be killed.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const D = require("libsql"); const db = new D(${JSON.stringify(join(dir, "run.db"))});
db.exec("BEGIN IMMEDIATE");
db.prepare("INSERT INTO turns (problem_id, trajectory, turn, parent_turn, parent_candidate, messages, history, started_at, finished_at) VALUES ('p', 0, 1, 0, 0, '[]', 'append', 'a', 'b')").run();
db.prepare("UPDATE trajectories SET status = 'done' WHERE problem_id = 'p'").run();
process.stdout.write("inside\\n"); setInterval(() => {}, 1000);`,
      ],
      { env: childEnv(), stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((res) => child.stdout!.once("data", () => res()));
    const gone = new Promise((res) => child.once("exit", res));
    child.kill("SIGKILL");
    await gone;
    const again = RunStore.open(dir);
    expect([...again.resumePoints()][0]).toEqual({
      problemId: "p",
      trajectory: 0,
      status: "running",
      turns: 1,
    });
    expect(again.writeTurn({ problemId: "p", trajectory: 0 }, turn(1, [cand(0, "y")], [0, 0]))).toBe(true);
    again.close();
  });
});
