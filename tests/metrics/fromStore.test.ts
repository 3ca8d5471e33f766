import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { computeMetrics, metricsInputFromStore } from "../../src/metrics/index.js";
import {
  type Candidate,
  RunStore,
  type TestSummary,
  type Turn,
  parseRunConfig,
} from "../../src/runs/index.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-metrics-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const summary = (ok: boolean): TestSummary => ({
  verdict: ok ? "accepted" : "wrong_answer",
  passed: ok ? 1 : 0,
  total: 1,
  tests: [],
  infrastructureFailure: false,
});

function cand(code: string, publicOk: boolean, tokens: number): Candidate {
  return {
    index: 0,
    rawAnswer: code,
    code,
    extraction: "fenced-language",
    finishReason: "stop",
    promptTokens: tokens,
    completionTokens: 5,
    tokensApproximate: false,
    latencyMs: 1,
    cached: false,
    modelError: null,
    seed: 1,
    publicTests: summary(publicOk),
    selected: true,
    verifierScore: null,
  };
}

function turn(index: number, c: Candidate): Turn {
  return {
    index,
    parentTurn: index === 0 ? null : index - 1,
    parentCandidate: index === 0 ? null : 0,
    messages: [{ role: "user", content: "u" }],
    history: "append",
    candidates: [c],
    startedAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T00:00:01.000Z",
  };
}

describe("metricsInputFromStore", () => {
  it("reads problems and finished trajectories through the paged APIs", () => {
    const config = parseRunConfig({
      benchmark: { source: "x.jsonl" },
      model: "ollama:m",
      trajectoriesPerProblem: 2,
      feedback: { kind: "binary" },
    });
    const store = RunStore.create(join(tmp, "run"), config);
    store.planProblems([{ id: "a", difficulty: "easy" }, { id: "b", difficulty: "hard" }, { id: "c" }]);
    // a/0: fails public on turn 0, passes on turn 1, accepted on hidden.
    store.writeTurn({ problemId: "a", trajectory: 0 }, turn(0, cand("x = 1", false, 10)));
    store.writeTurn({ problemId: "a", trajectory: 0 }, turn(1, cand("x = 2", true, 20)));
    store.finishTrajectory(
      { problemId: "a", trajectory: 0 },
      { status: "done", submitted: { turn: 1, candidate: 0 }, grade: summary(true) },
    );
    // a/1: one turn, public pass, hidden fail.
    store.writeTurn({ problemId: "a", trajectory: 1 }, turn(0, cand("y = 1", true, 7)));
    store.finishTrajectory(
      { problemId: "a", trajectory: 1 },
      { status: "done", submitted: { turn: 0, candidate: 0 }, grade: summary(false) },
    );
    // b/0 still running: left out.
    store.writeTurn({ problemId: "b", trajectory: 0 }, turn(0, cand("z", false, 3)));
    const input = metricsInputFromStore(store, { pageSize: 1, tags: new Map([["a", ["greedy"]]]) });
    store.close();

    expect(input.feedbackKind).toBe("binary");
    expect(input.maxTurns).toBe(3);
    expect(input.problems.map((p) => [p.id, p.difficulty, p.tags, p.trajectories.length])).toEqual([
      ["a", "easy", ["greedy"], 2],
      ["b", "hard", [], 0],
      ["c", null, [], 0],
    ]);
    const [t0, t1] = input.problems[0]!.trajectories;
    expect(t0).toEqual({
      turns: [
        { code: "x = 1", publicPass: false, hiddenPass: null, llmCalls: 1, tokens: 15 },
        { code: "x = 2", publicPass: true, hiddenPass: true, llmCalls: 1, tokens: 25 },
      ],
      submittedTurn: 1,
      hiddenPass: true,
    });
    expect(t1!.hiddenPass).toBe(false);

    const m = computeMetrics(input, { passAtK: [1, 2], bootstrap: { resamples: 200 } });
    expect(m.passAtK.map((r) => [r.k, r.value, r.problems])).toEqual([
      [1, 0.5, 1],
      [2, 1, 1],
    ]);
    // 1@3 buys one trajectory: the accepted one half the time.
    expect(m.nAtK.find((r) => r.n === 1 && r.k === 3)!.value).toBeCloseTo(0.5, 12);
    expect(Object.keys(m.byDifficulty).sort()).toEqual(["easy", "hard", "unknown"]);
    expect(m.byDifficulty.easy!.passAtK[0]!.value).toBe(0.5);
    expect(m.byDifficulty.hard!.passAtK).toEqual([]);
    expect(m.byTag.greedy!.problems).toBe(1);
  });
});
