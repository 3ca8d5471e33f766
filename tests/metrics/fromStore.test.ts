import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { computeMetrics, metricsInputFromStore } from "../../src/metrics/index.js";
import { RunStore, parseRunConfig } from "../../src/runs/index.js";
import { cand, summary, turn } from "../helpers/run-records.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-metrics-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

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

describe("infrastructure failures in metrics", () => {
  it("a submission whose hidden grade the sandbox failed to give is left out, not counted as failed; a rejudge brings it back", () => {
    const config = parseRunConfig({
      benchmark: { source: "x.jsonl" },
      model: "ollama:m",
      trajectoriesPerProblem: 2,
    });
    const store = RunStore.create(join(tmp, "infra"), config);
    store.planProblems([{ id: "a" }]);
    const infra = summary("infrastructure");
    for (const [t, grade] of [
      [0, summary(true)],
      [1, infra],
    ] as const) {
      const key = { problemId: "a", trajectory: t };
      store.writeTurn(key, turn(0, cand(`x = ${t}`, true, 10)));
      // The turn's own grade is the same failure: no grade either.
      store.writeGrade(key, 0, 0, grade);
      store.finishTrajectory(key, { status: "done", submitted: { turn: 0, candidate: 0 }, grade });
    }
    const input = metricsInputFromStore(store);
    expect(input.infrastructureExcluded).toBe(1);
    expect(input.problems[0]!.trajectories).toHaveLength(1);
    // pass@1 over what was graded: 1, not the 0.5 a failure-for-the-machine's-fault would give.
    expect(computeMetrics(input, { passAtK: [1] }).passAtK[0]!.value).toBe(1);

    const v = store.beginGradeVersion("rejudge");
    store.writeGrade({ problemId: "a", trajectory: 1 }, 0, 0, summary(false), v);
    const again = metricsInputFromStore(store);
    expect(again.infrastructureExcluded).toBeUndefined();
    expect(again.problems[0]!.trajectories.map((t) => t.hiddenPass)).toEqual([true, false]);
    expect(computeMetrics(again, { passAtK: [1] }).passAtK[0]!.value).toBe(0.5);
    store.close();
  });
});

describe("the store's lean scan for metrics", () => {
  it("gives what trajectoryDetail gives: selected candidates, every request's tokens, latest grades", () => {
    const config = parseRunConfig({
      benchmark: { source: "x.jsonl" },
      model: "ollama:m",
      trajectoriesPerProblem: 3,
      strategy: { kind: "best-of-n", candidatesPerTurn: 2 },
    });
    const store = RunStore.create(join(tmp, "lean"), config);
    // Ids whose UTF-16 order differs from SQLite's byte order ("\u{1F600}" vs "\uFF5E").
    const ids = ["b", "a\u{1F600}", "a\uFF5E", "a"];
    store.planProblems(ids.map((id, i) => ({ id, difficulty: "easy", tags: i % 2 ? ["dp"] : [] })));
    let tokens = 1;
    for (const id of ids) {
      for (let t = 0; t < 3; t++) {
        const key = { problemId: id, trajectory: t };
        if (t === 2 && id === "a") continue; // left pending
        const turns = 1 + ((t + id.length) % 3);
        for (let u = 0; u < turns; u++) {
          const first = {
            ...cand(`x = ${tokens}`, u === turns - 1, tokens++),
            index: 0,
            selected: u % 2 === 1,
          };
          const second = { ...cand(`y = ${tokens}`, false, tokens++), index: 1, selected: u % 2 === 0 };
          if (u === 1) second.code = null;
          store.writeTurn(key, { ...turn(u, first), candidates: [first, second] });
          if (u === 0) store.writeGrade(key, 0, 0, summary(t === 0));
        }
        const last = turns - 1;
        const sub = { turn: last, candidate: last % 2 === 1 ? 0 : 1 };
        if (last === 1) sub.candidate = 0;
        store.finishTrajectory(key, {
          status: t === 1 && id === "b" ? "failed" : "done",
          submitted: sub,
          grade: summary(t !== 1),
        });
      }
    }
    // A rejudge flips one submission's verdict: the latest version counts.
    const v = store.beginGradeVersion("rejudge");
    store.writeGrade({ problemId: "a", trajectory: 0 }, ...submittedOf(store, "a", 0), summary(false), v);

    const input = metricsInputFromStore(store, { includeUnfinished: true });
    // Reference: the same records built from full trajectory details.
    for (const p of input.problems) {
      const details = [...store.trajectories({ problemId: p.id })].map((t) => store.trajectoryDetail(t)!);
      expect(p.trajectories).toHaveLength(details.length);
      details.forEach((d, i) => {
        const rec = p.trajectories[i]!;
        expect(rec.turns.map((u) => u.code)).toEqual(
          d.turns.map((u) => (u.candidates.find((c) => c.selected) ?? u.candidates[0]!).code),
        );
        expect(rec.turns.map((u) => u.tokens)).toEqual(
          d.turns.map((u) => u.candidates.reduce((s, c) => s + c.promptTokens + c.completionTokens, 0)),
        );
        expect(rec.turns.map((u) => u.llmCalls)).toEqual(d.turns.map((u) => u.candidates.length));
        expect(rec.hiddenPass).toBe(d.grade?.verdict === "accepted");
        expect(rec.submittedTurn).toBe(d.submittedTurn);
        if (d.turns.length === 0) return;
        const sel0 = d.turns[0]!.candidates.find((c) => c.selected)!;
        const g0 = d.turnGrades.find((g) => g.turn === 0 && g.candidate === sel0.index);
        const sub0 = d.submittedTurn === 0 && d.submittedCandidate === sel0.index ? d.grade : undefined;
        const want = sub0 ?? g0?.grade;
        expect(rec.turns[0]!.hiddenPass).toBe(want ? want.verdict === "accepted" : null);
      });
    }
    expect(input.problems.find((p) => p.id === "a")!.trajectories[0]!.hiddenPass).toBe(false);
    expect(input.problems.map((p) => p.tags)).toEqual([[], ["dp"], [], ["dp"]]);
    // Unfinished included: the pending a/2 is there, without turns.
    expect(input.problems.map((p) => p.trajectories.length)).toEqual([3, 3, 3, 3]);
    // Finished only (the default): b/1 failed is left out.
    expect(metricsInputFromStore(store).problems[0]!.trajectories).toHaveLength(2);
    store.close();
  });
});

function submittedOf(store: RunStore, id: string, t: number): [number, number] {
  const d = store.trajectoryDetail({ problemId: id, trajectory: t })!;
  return [d.submittedTurn!, d.submittedCandidate!];
}
