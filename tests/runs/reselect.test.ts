import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Candidate,
  RunStore,
  type TestSummary,
  parseRunConfig,
  reselectRun,
  runRun,
} from "../../src/runs/index.js";
import { Database } from "../../src/runs/store-sql.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { RIGHT, WRONG, doubleProblem } from "../e2e/fixtures.js";

// Re-selection over a hand-made best-of-3 run: which candidate each rule submits, the grading
// of a submission the run never graded (real sandbox), and the refusals.

const OVERFIT = "n = int(input())\nprint({1111: 2222, 5555: 11110, 7777: 15554}.get(n, -1))\n";
const tmp = mkdtempSync(join(tmpdir(), "codeloop-reselect-"));
let sb: Sandbox;
let n = 0;
const problems = [doubleProblem("a")];

const summary = (passed: number, total: number): TestSummary => ({
  verdict: passed === total ? "accepted" : "wrong_answer",
  passed,
  total,
  tests: [],
  infrastructureFailure: false,
});

function cand(
  index: number,
  code: string,
  passed: number,
  score: number | null,
  selected: boolean,
): Candidate {
  return {
    index,
    rawAnswer: `\`\`\`python\n${code}\`\`\``,
    code,
    extraction: "fenced-language",
    finishReason: "stop",
    promptTokens: 10,
    completionTokens: 5,
    tokensApproximate: false,
    latencyMs: 1,
    cached: false,
    modelError: null,
    seed: 100 + index,
    publicTests: summary(passed, 3),
    selected,
    verifierScore: score,
  };
}

/** One trajectory, one turn of three candidates; PT picked OVERFIT (index 0) and only it was graded. */
function bestOf3(opts: { scores?: boolean; candidatesPerTurn?: number; verifier?: boolean } = {}): string {
  const folder = join(tmp, `run${n++}`);
  const k = opts.candidatesPerTurn ?? 3;
  const config = parseRunConfig({
    benchmark: { source: join(tmp, "unused.jsonl") },
    model: "openai:http://127.0.0.1:9/v1#m",
    strategy: {
      kind: k > 1 ? "best-of-n" : "multi-turn",
      candidatesPerTurn: k,
      maxTurns: 1,
      // The verifier that made the stored scores (never called: reselect reads the scores).
      ...(opts.verifier === false ? {} : { verifier: "embedded:/nonexistent/v.json" }),
    },
    trajectoriesPerProblem: 1,
    seed: 3,
  });
  const s = RunStore.create(folder, config);
  s.planProblems([{ id: "a", title: "Double a" }]);
  const key = { problemId: "a", trajectory: 0 };
  const sc = (v: number) => (opts.scores === false ? null : v);
  const all = [
    cand(0, OVERFIT, 3, sc(0.1), true),
    cand(1, RIGHT, 3, sc(0.9), false),
    cand(2, WRONG, 1, sc(0.2), false),
  ];
  s.writeTurn(key, {
    index: 0,
    parentTurn: null,
    parentCandidate: null,
    messages: [{ role: "user", content: "double it" }],
    history: "append",
    candidates: all.slice(0, k),
    startedAt: "2026-12-02T00:00:00Z",
    finishedAt: "2026-12-02T00:00:01Z",
  });
  s.finishTrajectory(key, { status: "done", submitted: { turn: 0, candidate: 0 }, grade: summary(2, 6) });
  s.close();
  return folder;
}

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 1, uidBase: 61900 });
});
afterAll(async () => {
  await sb.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("reselectRun", () => {
  it("PT+LV over stored scores submits the right code, grades it now, and records the derivation", async () => {
    const run = bestOf3();
    const out = join(tmp, "derived");
    const r = await reselectRun(run, out, { selection: "public-tests+verifier", sandbox: sb, problems });
    expect(r).toMatchObject({
      trajectories: 1,
      // A different pick on the last allowed turn is exact: not a divergence.
      diverged: 0,
      changedSubmissions: 1,
      graded: 1,
      accepted: 1,
      sourceAccepted: 0,
    });
    const s = RunStore.open(out);
    const d = s.trajectoryDetail({ problemId: "a", trajectory: 0 })!;
    expect([d.submittedTurn, d.submittedCandidate]).toEqual([0, 1]);
    expect(d.grade).toMatchObject({ verdict: "accepted", passed: 6, total: 6 });
    expect(d.turns[0]!.selection).toBe("public-tests+verifier");
    expect(d.turns[0]!.candidates.map((c) => c.selected)).toEqual([false, true, false]);
    // The run's grade of OVERFIT came along for the verifier metrics.
    expect(d.turnGrades).toEqual([
      { turn: 0, candidate: 0, grade: expect.objectContaining({ passed: 2, total: 6 }) },
      { turn: 0, candidate: 1, grade: expect.objectContaining({ verdict: "accepted" }) },
    ]);
    expect(s.config.strategy.selection).toBe("public-tests+verifier");
    expect(JSON.parse(s.facts().derivedFrom!)).toMatchObject({
      selection: "public-tests+verifier",
      verifier: null,
    });
    s.close();
    // PT again reproduces the run exactly: no divergence, the stored grade, nothing graded.
    const same = await reselectRun(run, join(tmp, "same"), {
      selection: "public-tests",
      sandbox: sb,
      problems,
    });
    expect(same).toMatchObject({ diverged: 0, changedSubmissions: 0, graded: 0, accepted: 0 });
    // The verifier alone also picks RIGHT; random picks by the seed among the three.
    const lv = await reselectRun(run, join(tmp, "lv"), { selection: "verifier", sandbox: sb, problems });
    expect(lv).toMatchObject({ accepted: 1 });
  });

  it("a different pick where the run went on is a divergence: the trajectory ends there; a resumed reselect reads its stored turns back", async () => {
    // Two turns: on turn 0 the run (PT) took candidate 0 (2 of 3 public tests) and went on to
    // turn 1; PT+LV takes candidate 1 (also 2 of 3, higher score) and the dialog after it never
    // happened.
    const folder = join(tmp, `run${n++}`);
    const config = parseRunConfig({
      benchmark: { source: join(tmp, "unused.jsonl") },
      model: "openai:http://127.0.0.1:9/v1#m",
      strategy: {
        kind: "best-of-n",
        candidatesPerTurn: 2,
        maxTurns: 2,
        verifier: "embedded:/nonexistent/v.json",
      },
      trajectoriesPerProblem: 1,
      seed: 3,
    });
    const s = RunStore.create(folder, config);
    s.planProblems([{ id: "a" }]);
    const key = { problemId: "a", trajectory: 0 };
    const turn = (index: number, candidates: Candidate[]) => ({
      index,
      parentTurn: index === 0 ? null : 0,
      parentCandidate: index === 0 ? null : 0,
      messages: [{ role: "user" as const, content: index === 0 ? "double it" : "feedback" }],
      history: "append" as const,
      candidates,
      startedAt: "2026-12-02T00:00:00Z",
      finishedAt: "2026-12-02T00:00:01Z",
    });
    const almost = "n = int(input())\nprint(2 * n if n != 9 else 0)\n";
    s.writeTurn(key, turn(0, [cand(0, WRONG, 2, 0.1, true), cand(1, almost, 2, 0.8, false)]));
    s.writeTurn(key, turn(1, [cand(0, RIGHT, 3, 0.9, true), cand(1, WRONG, 1, 0.1, false)]));
    s.finishTrajectory(key, { status: "done", submitted: { turn: 1, candidate: 0 }, grade: summary(6, 6) });
    s.close();
    const out = join(tmp, "diverged");
    const r = await reselectRun(folder, out, { selection: "public-tests+verifier", sandbox: sb, problems });
    expect(r).toMatchObject({
      diverged: 1,
      changedSubmissions: 1,
      graded: 1,
      accepted: 0,
      sourceAccepted: 1,
    });
    const d = RunStore.open(out);
    const t = d.trajectoryDetail(key)!;
    expect(t.turns.map((u) => u.index)).toEqual([0]);
    expect([t.submittedTurn, t.submittedCandidate]).toEqual([0, 1]);
    expect(t.grade?.verdict).toBe("wrong_answer");
    d.close();
    // Run again into the same folder: everything is read back, the counts are the same.
    const again = await reselectRun(folder, out, {
      selection: "public-tests+verifier",
      sandbox: sb,
      problems,
    });
    expect(again).toMatchObject({ resumed: 1, diverged: 1, changedSubmissions: 1, accepted: 0 });
    // A run folder made by reselect is not a run to resume.
    await expect(runRun({ folder: out }, { sandbox: sb })).rejects.toThrow(
      /was made by codeloop reselect .* re-run the same codeloop reselect/,
    );
  });

  it("refuses a run of one candidate per turn, a score rule without scores, a foreign --out and stale grades", async () => {
    await expect(
      reselectRun(bestOf3({ candidatesPerTurn: 1 }), join(tmp, "x1"), { selection: "public-tests" }),
    ).rejects.toThrow(/a reselect needs several candidates per turn \(best-of-n\); this run has 1/);
    await expect(
      reselectRun(bestOf3({ scores: false }), join(tmp, "x2"), { selection: "verifier" }),
    ).rejects.toThrow(
      /--selection verifier ranks by verifier scores and .* has 3 code\(s\) without a score: give --verifier <reference>/,
    );
    await expect(
      reselectRun(bestOf3({ verifier: false }), join(tmp, "x4"), { selection: "public-tests+verifier" }),
    ).rejects.toThrow(/ranks by verifier scores and .* names no verifier: give --verifier/);
    const run = bestOf3();
    const other = bestOf3();
    await expect(
      reselectRun(run, join(tmp, "x5"), { selection: "public-tests", verifier: "embedded:/x.json" }),
    ).rejects.toThrow(/--verifier is read only by the rules that rank by scores/);
    await expect(reselectRun(run, other, { selection: "public-tests" })).rejects.toThrow(
      /already holds a run that is not this reselect/,
    );
    const db = new Database(join(run, "run.db"));
    db.prepare("UPDATE grade_versions SET judge_version = 'codeloop-judge/0'").run();
    db.close();
    await expect(reselectRun(run, join(tmp, "x3"), { selection: "public-tests" })).rejects.toThrow(
      /grades older than this codeloop's judge .* codeloop rejudge .* --all/,
    );
  });
});
