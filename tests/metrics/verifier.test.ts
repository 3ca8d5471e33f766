import { describe, expect, it } from "vitest";
import { VerifierAccumulator, type VerifierMetrics, seededRng } from "../../src/metrics/index.js";
import type { Candidate, HiddenGrade, TestSummary, TrajectoryDetail, Turn } from "../../src/runs/index.js";

/*
 * Hand-built trajectories whose AUC, top-1 and best-of-N figures are worked out by hand in the
 * comments; a brute-force pair count checks the AUC on random data.
 */

const tests = (passed: number, total: number): TestSummary => ({
  verdict: passed === total ? "accepted" : "wrong_answer",
  passed,
  total,
  tests: [],
  infrastructureFailure: false,
});

interface CandSpec {
  code?: string | null;
  score?: number | null;
  /** Public tests passed of 2. */
  pt?: number;
  /** Hidden grade: accepted, rejected, infrastructure failure, or none. */
  hidden?: "ok" | "bad" | "infra" | null;
}

function candidate(index: number, s: CandSpec): Candidate {
  const code = s.code === undefined ? `print(${index})` : s.code;
  return {
    index,
    rawAnswer: code ?? "",
    code,
    extraction: code === null ? "none" : "fenced-language",
    finishReason: "stop",
    promptTokens: 1,
    completionTokens: 1,
    tokensApproximate: false,
    latencyMs: 1,
    cached: false,
    modelError: null,
    seed: index,
    publicTests: code === null ? null : tests(s.pt ?? 0, 2),
    selected: index === 0,
    verifierScore: s.score ?? null,
  };
}

function grade(kind: "ok" | "bad" | "infra"): HiddenGrade {
  return {
    ...tests(kind === "ok" ? 3 : 0, 3),
    ...(kind === "infra" ? { verdict: "internal_error" as never, infrastructureFailure: true } : {}),
    version: 1,
    gradedAt: "2025-01-01T00:00:00.000Z",
  };
}

/** One trajectory: turns of candidate specs, turn i continuing candidate 0 of turn i - 1. */
function detail(problemId: string, trajectory: number, turns: CandSpec[][]): TrajectoryDetail {
  const ts: Turn[] = turns.map((cs, i) => ({
    index: i,
    parentTurn: i === 0 ? null : i - 1,
    parentCandidate: i === 0 ? null : 0,
    messages: [],
    history: "append",
    candidates: cs.map((s, j) => candidate(j, s)),
    startedAt: "",
    finishedAt: "",
  }));
  const turnGrades = turns.flatMap((cs, i) =>
    cs.flatMap((s, j) => (s.hidden ? [{ turn: i, candidate: j, grade: grade(s.hidden) }] : [])),
  );
  const last = turns.length - 1;
  const sub = turnGrades.find((g) => g.turn === last && g.candidate === 0);
  return {
    problemId,
    trajectory,
    status: "done",
    submittedCode: "print(0)",
    submittedTurn: last,
    submittedCandidate: 0,
    grade: sub?.grade ?? null,
    error: null,
    turnCount: turns.length,
    turns: ts,
    turnGrades,
  };
}

function run(details: TrajectoryDetail[], opts: ConstructorParameters<typeof VerifierAccumulator>[0] = {}) {
  const acc = new VerifierAccumulator(opts);
  for (const d of details) acc.add(d);
  return acc.result();
}

const curve = (m: VerifierMetrics, rule: string) =>
  m.bestOfN!.curves.find((c) => c.rule === rule)!.points.map((p) => p.passRate);

describe("verifier AUC", () => {
  // Positives 0.9, 0.5, 0.7; negatives 0.5, 0.1, 0.5. 0.9 beats all three (3); 0.5 ties two
  // and beats 0.1 (1/2 + 1/2 + 1 = 2); 0.7 beats all three (3): U = 8 of 9 pairs.
  const details = [
    detail("p1", 0, [
      [
        { score: 0.9, hidden: "ok", pt: 1 },
        { score: 0.5, hidden: "bad" },
        { score: 0.5, hidden: "ok", pt: 2 },
        { score: 0.1, hidden: "bad" },
      ],
    ]),
    detail("p2", 0, [
      [
        { score: 0.5, hidden: "bad", pt: 2 },
        { score: 0.7, hidden: "ok", pt: 1 },
      ],
    ]),
  ];

  it("is the Mann-Whitney U share with ties counted 1/2, and counts what it used", () => {
    const m = run(details);
    expect(m.auc!.value).toBeCloseTo(8 / 9, 12);
    expect(m.auc).toMatchObject({ positives: 3, negatives: 3, problems: 2, resamples: 1000, seed: 0 });
    expect(m.counts).toEqual({
      candidates: 6,
      withCode: 6,
      scored: 6,
      graded: 6,
      scoredAndGraded: 6,
      infrastructureFailures: 0,
      acceptedScoredAndGraded: 3,
    });
    expect(m.notes).toEqual([]);
  });

  it("has a seeded bootstrap interval over problems around it", () => {
    const a = run(details, { seed: 3 }).auc!;
    const b = run(details, { seed: 3 }).auc!;
    expect(a).toEqual(b);
    expect(a.low!).toBeLessThanOrEqual(a.value!);
    expect(a.high!).toBeGreaterThanOrEqual(a.value!);
    // Resampling two problems: p2 alone has AUC 1, p1 alone 3.5/4 (0.5 ties 0.5, beats 0.1:
    // positives 0.9 (2) and 0.5 (1.5)), both 8/9; every resample is one of those.
    for (const v of [a.low!, a.high!])
      expect([1, 3.5 / 4, 8 / 9].some((x) => Math.abs(x - v) < 1e-12)).toBe(true);
    expect(a.low).toBeCloseTo(3.5 / 4, 12);
    expect(a.high).toBe(1);
  });

  it("is 1/2 when every score ties, null with one class, and absent without scores", () => {
    const tie = run([
      detail("p", 0, [
        [
          { score: 1, hidden: "ok" },
          { score: 1, hidden: "bad" },
          { score: 1, hidden: "bad" },
        ],
      ]),
    ]);
    expect(tie.auc!.value).toBe(0.5);
    // One problem: nothing to resample, so no interval.
    expect(tie.auc).toMatchObject({ low: null, high: null, problems: 1 });
    const oneClass = run([
      detail("p", 0, [
        [
          { score: 1, hidden: "bad" },
          { score: 2, hidden: "bad" },
        ],
      ]),
    ]);
    expect(oneClass.auc).toMatchObject({ value: null, low: null, high: null, positives: 0, negatives: 2 });
    const unscored = run([detail("p", 0, [[{ hidden: "ok" }, { hidden: "bad" }]])], {
      selection: "public-tests",
    });
    expect(unscored.auc).toBeNull();
    expect(unscored.notes.join(" ")).toMatch(
      /No verifier scores.*\(public-tests\).*"public-tests\+verifier"/,
    );
  });

  it("equals a brute-force pair count on random scores with ties", () => {
    const rng = seededRng(11);
    const ds: TrajectoryDetail[] = [];
    const flat: { s: number; ok: boolean }[] = [];
    for (let p = 0; p < 30; p++) {
      const cs: CandSpec[] = Array.from({ length: 5 }, () => {
        const ok = rng() < 0.4;
        // Scores on a coarse grid, so ties are common; accepted ones a little higher.
        const s = Math.round((rng() + (ok ? 0.3 : 0)) * 5) / 5;
        flat.push({ s, ok });
        return { score: s, hidden: ok ? "ok" : "bad" };
      });
      ds.push(detail(`p${p}`, 0, [cs]));
    }
    let u = 0;
    let pairs = 0;
    for (const a of flat)
      for (const b of flat)
        if (a.ok && !b.ok) {
          pairs++;
          u += a.s > b.s ? 1 : a.s === b.s ? 0.5 : 0;
        }
    const auc = run(ds, { resamples: 200 }).auc!;
    expect(auc.value).toBeCloseTo(u / pairs, 12);
    expect(auc.low!).toBeLessThan(auc.value!);
    expect(auc.high!).toBeGreaterThan(auc.value!);
    // The two exact bootstrap computations (per candidate, per problem pair) agree.
    const byCandidates = run(ds, { resamples: 200, aucBootstrap: "candidates" }).auc!;
    const byPairs = run(ds, { resamples: 200, aucBootstrap: "problem-pairs" }).auc!;
    for (const k of ["value", "low", "high"] as const) {
      expect(byPairs[k]).toBeCloseTo(byCandidates[k]!, 12);
      expect(auc[k]).toBeCloseTo(byCandidates[k]!, 12);
    }
  });
});

describe("top-1", () => {
  it("scores the verifier's, PT+LV's and PT's pick on turns the oracle can win", () => {
    const m = run([
      // LV picks 0.9 (accepted); PT picks candidate 2 (2/2, accepted); PT+LV the same.
      detail("p1", 0, [
        [
          { score: 0.9, hidden: "ok", pt: 1 },
          { score: 0.5, hidden: "bad" },
          { score: 0.5, hidden: "ok", pt: 2 },
          { score: 0.1, hidden: "bad" },
        ],
      ]),
      // LV picks 0.7 (accepted); PT and PT+LV pick the 2/2 candidate, rejected.
      detail("p2", 0, [
        [
          { score: 0.5, hidden: "bad", pt: 2 },
          { score: 0.7, hidden: "ok", pt: 1 },
        ],
      ]),
      // Nothing accepted: not a top-1 turn, but an oracle turn that fails.
      detail("p3", 0, [
        [
          { score: 0.2, hidden: "bad" },
          { score: 0.3, hidden: "bad" },
        ],
      ]),
      // One scored and graded candidate only (the other has no grade): neither kind of turn.
      detail("p4", 0, [[{ score: 0.2, hidden: "ok" }, { score: 0.3 }]]),
    ]);
    const t = m.top1!;
    expect(t.turns).toBe(2);
    expect(t.rows).toEqual([
      { rule: "verifier", accepted: 2, turns: 2, rate: 1 },
      { rule: "public-tests+verifier", accepted: 1, turns: 2, rate: 0.5 },
      { rule: "public-tests", accepted: 1, turns: 2, rate: 0.5 },
    ]);
    expect(t.oracle).toEqual({ turns: 3, withAccepted: 2, rate: 2 / 3 });
    expect(m.notes.join(" ")).toMatch(
      /1 of 10 codes have no usable hidden grade.*gradeEveryTurn.*rejudge <folder> --all/,
    );
  });
});

describe("best-of-N curves", () => {
  // c0: public pass, score 0.2, rejected; c1: public fail, score 0.9, accepted;
  // c2: public pass, score 0.5, accepted.
  const three: CandSpec[] = [
    { score: 0.2, pt: 2, hidden: "bad" },
    { score: 0.9, pt: 0, hidden: "ok" },
    { score: 0.5, pt: 2, hidden: "ok" },
  ];

  it("is the exact mean over every subset of a 3-candidate first turn", () => {
    const m = run([detail("p", 0, [three])], { candidatesPerTurn: 3 });
    const b = m.bestOfN!;
    expect(b).toMatchObject({ candidatesPerTurn: 3, turns: 1, ineligibleTurns: 0, sampledSizes: [] });
    expect(b.curves.map((c) => c.rule)).toEqual([
      "random",
      "public-tests",
      "verifier",
      "public-tests+verifier",
      "oracle",
    ]);
    // n = 1: every rule takes the one candidate: 2 of 3 are accepted.
    // n = 2, subsets {0,1} {0,2} {1,2}:
    //   PT: 0 (1 vs 0 passed), 0 (tie, lowest index), 2 -> 1/3;  LV: 1, 2, 1 -> 1;
    //   PT+LV: 0, 2 (tie on PT, 0.5 > 0.2), 2 -> 2/3;  oracle: every pair holds an accepted one.
    // n = 3: PT picks 0 (tie with 2, lowest index), LV 1, PT+LV 2.
    expect(curve(m, "random")).toEqual([2 / 3, 2 / 3, 2 / 3].map((x) => expect.closeTo(x, 12)));
    expect(curve(m, "public-tests")).toEqual([2 / 3, 1 / 3, 0].map((x) => expect.closeTo(x, 12)));
    expect(curve(m, "verifier")).toEqual([2 / 3, 1, 1].map((x) => expect.closeTo(x, 12)));
    expect(curve(m, "public-tests+verifier")).toEqual([2 / 3, 2 / 3, 1].map((x) => expect.closeTo(x, 12)));
    expect(curve(m, "oracle")).toEqual([2 / 3, 1, 1].map((x) => expect.closeTo(x, 12)));
  });

  it("uses first turns only, averages over them, and leaves out turns with an ungraded code", () => {
    const m = run(
      [
        // Second turn all accepted: must not count.
        detail("p", 0, [three, three.map((c) => ({ ...c, hidden: "ok" as const }))]),
        // All rejected: halves every curve.
        detail("q", 0, [three.map((c) => ({ ...c, hidden: "bad" as const }))]),
        // A code without a grade, and one with an infrastructure failure: ineligible.
        detail("r", 0, [[three[0]!, { ...three[1]!, hidden: null }, three[2]!]]),
        detail("s", 0, [[three[0]!, { ...three[1]!, hidden: "infra" }, three[2]!]]),
      ],
      { candidatesPerTurn: 3 },
    );
    expect(m.bestOfN).toMatchObject({ turns: 2, ineligibleTurns: 2 });
    expect(curve(m, "verifier")).toEqual([1 / 3, 0.5, 0.5].map((x) => expect.closeTo(x, 12)));
    expect(curve(m, "public-tests")).toEqual([1 / 3, 1 / 6, 0].map((x) => expect.closeTo(x, 12)));
    expect(m.counts.infrastructureFailures).toBe(1);
    expect(m.notes.join(" ")).toMatch(
      /2 of 15 codes have no usable hidden grade \(1 infrastructure failures, left out\)/,
    );
  });

  it("counts a candidate without code as not accepted; random draws among the codes", () => {
    // c0 no code; c1 accepted; c2 rejected. Random n = 1: {0} picks the no-code answer (0),
    // {1} 1, {2} 0 -> 1/3; n = 2: {0,1} -> 1, {0,2} -> 0, {1,2} -> 1/2 -> 1/2; n = 3: 1/2.
    const m = run([
      detail("p", 0, [[{ code: null }, { score: 0.1, hidden: "ok" }, { score: 0.8, hidden: "bad" }]]),
    ]);
    expect(m.bestOfN!.turns).toBe(1);
    expect(curve(m, "random")).toEqual([1 / 3, 1 / 2, 1 / 2].map((x) => expect.closeTo(x, 12)));
    // LV prefers the rejected 0.8 whenever it is there: {1} and {0,1} only.
    expect(curve(m, "verifier")).toEqual([1 / 3, 1 / 3, 0].map((x) => expect.closeTo(x, 12)));
    expect(curve(m, "oracle")).toEqual([1 / 3, 2 / 3, 1].map((x) => expect.closeTo(x, 12)));
  });

  it("without scores keeps the random, PT and oracle curves only", () => {
    const m = run([detail("p", 0, [three.map((c) => ({ ...c, score: null }))])]);
    expect(m.bestOfN!.curves.map((c) => c.rule)).toEqual(["random", "public-tests", "oracle"]);
    expect(m.auc).toBeNull();
    expect(m.top1!.rows).toEqual([]);
    expect(m.top1!.oracle.rate).toBe(1);
  });

  it("samples seeded subsets when C(N, n) exceeds the cap, and says so", () => {
    const six: CandSpec[] = Array.from({ length: 6 }, (_, i) => ({
      score: i / 10,
      pt: i % 3,
      hidden: i % 2 ? "ok" : "bad",
    }));
    const exact = run([detail("p", 0, [six])]);
    const a = run([detail("p", 0, [six])], { maxSubsets: 10, seed: 4 });
    const b = run([detail("p", 0, [six])], { maxSubsets: 10, seed: 4 });
    expect(a).toEqual(b);
    // C(6, n) = 6, 15, 20, 15, 6, 1: n = 2, 3, 4 are sampled.
    expect(a.bestOfN!.sampledSizes).toEqual([2, 3, 4]);
    expect(a.notes.join(" ")).toMatch(/for n = 2, 3, 4 the C\(6, n\) subsets exceed 10/);
    expect(exact.bestOfN!.sampledSizes).toEqual([]);
    // Enumerated sizes agree exactly; the oracle and random stay analytic.
    for (const rule of ["public-tests", "verifier", "public-tests+verifier"]) {
      const [e, s] = [curve(exact, rule), curve(a, rule)];
      for (const n of [0, 4, 5]) expect(s[n]).toBeCloseTo(e[n]!, 12);
      for (const v of s) expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(curve(a, "oracle")).toEqual(curve(exact, "oracle"));
    // LV's pick among all six is the top score 0.5 (index 5, accepted).
    expect(curve(exact, "verifier")[5]).toBe(1);
  });

  it("is null without an eligible first turn", () => {
    const m = run([detail("p", 0, [[{ score: 1 }, { score: 2 }]])]);
    expect(m.bestOfN).toBeNull();
    expect(m.top1).toBeNull();
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });
});
