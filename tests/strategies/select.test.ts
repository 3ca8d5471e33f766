import { describe, expect, it } from "vitest";
import { progressLine } from "../../src/cli/run.js";
import type { Candidate } from "../../src/runs/index.js";
import { selectCandidate } from "../../src/strategies/index.js";

function cand(index: number, over: Partial<Candidate> = {}): Candidate {
  return {
    index,
    rawAnswer: "x",
    code: "print(1)",
    extraction: "fenced-language",
    finishReason: "stop",
    promptTokens: 1,
    completionTokens: 1,
    tokensApproximate: false,
    latencyMs: 1,
    cached: false,
    modelError: null,
    seed: 1,
    publicTests: null,
    selected: false,
    verifierScore: null,
    ...over,
  };
}

/** A candidate whose code passed `passed` of 3 public tests. */
const judged = (c: Candidate, passed: number, total = 3): Candidate => ({
  ...c,
  publicTests: {
    passed,
    total,
    verdict: passed === total ? "accepted" : "wrong_answer",
    tests: [],
    infrastructureFailure: false,
  },
});

describe("selectCandidate", () => {
  it("public-tests prefers the most public tests passed, then the verifier score, then the lowest index", () => {
    expect(
      selectCandidate([judged(cand(0), 1), judged(cand(1), 3), judged(cand(2), 3)], "public-tests", 0),
    ).toBe(1);
    expect(
      selectCandidate(
        [judged(cand(0, { verifierScore: 0.1 }), 2), judged(cand(1, { verifierScore: 0.9 }), 2)],
        "public-tests+verifier",
        0,
      ),
    ).toBe(1);
    // The verifier rule ranks by score alone.
    expect(
      selectCandidate(
        [judged(cand(0, { verifierScore: 0.2 }), 3), judged(cand(1, { verifierScore: 0.7 }), 0)],
        "verifier",
        0,
      ),
    ).toBe(1);
  });

  it("PT ignores scores (a stored score must not change a PT re-selection); PT+LV breaks PT ties by score, a missing score last", () => {
    const tied = [
      judged(cand(0, { verifierScore: 0.1 }), 2),
      judged(cand(1, { verifierScore: 0.9 }), 2),
      judged(cand(2, { verifierScore: 5 }), 1),
    ];
    expect(selectCandidate(tied, "public-tests", 0)).toBe(0);
    expect(selectCandidate(tied, "public-tests+verifier", 0)).toBe(1);
    expect(selectCandidate(tied, "verifier", 0)).toBe(2);
    const unscored = [judged(cand(0), 3), judged(cand(1, { verifierScore: -7 }), 3)];
    expect(selectCandidate(unscored, "public-tests+verifier", 0)).toBe(1);
  });

  it("skips candidates without code or whose request failed; -1 when nothing is left", () => {
    const noCode = cand(0, { code: null, extraction: "none" });
    const failed = cand(1, {
      code: null,
      rawAnswer: "",
      modelError: { kind: "connection", message: "refused" },
    });
    expect(selectCandidate([noCode, judged(cand(2), 0)], "public-tests", 0)).toBe(2);
    expect(selectCandidate([noCode, failed], "public-tests", 0)).toBe(0);
    expect(selectCandidate([failed], "public-tests", 0)).toBe(-1);
  });

  it("random draws from the seed, reproducibly", () => {
    const js = [0, 1, 2].map((i) => judged(cand(i), i));
    expect(selectCandidate(js, "random", 7)).toBe(1);
    expect(selectCandidate(js, "random", 9)).toBe(0);
  });
});

describe("progressLine", () => {
  it("shows the bar, counts, ETA from this process's rate, solved problems, tokens and errors", () => {
    const line = progressLine(
      {
        total: 100,
        finished: 50,
        finishedHere: 40,
        accepted: 30,
        solvedProblems: 7,
        problems: 10,
        promptTokens: 1_500_000,
        completionTokens: 2_500,
        modelErrors: 2,
        failed: 1,
        startedAt: 0,
      },
      true,
      40_000,
    );
    // 40 trajectories in 40 s here, 50 left: 50 s.
    expect(line).toBe(
      "[############------------] 50/100 trajectories (50%) elapsed 40s ETA 50s | solved 7/10 problems, 30 accepted | tokens 1.5M in 2.5k out | errors 2 model, 1 failed",
    );
  });
});
