// Small stored-run records for tests that write a RunStore by hand: a grade, a candidate with
// its public result, and a turn holding one candidate.
import type { Candidate, TestSummary, Turn } from "../../src/runs/index.js";

/** A one-test grade: accepted, wrong answer, or the sandbox failing (an infrastructure failure). */
export function summary(outcome: boolean | "infrastructure"): TestSummary {
  const infra = outcome === "infrastructure";
  return {
    verdict: infra ? "sandbox_error" : outcome ? "accepted" : "wrong_answer",
    passed: outcome === true ? 1 : 0,
    total: 1,
    tests: [],
    infrastructureFailure: infra,
  };
}

/** The selected candidate 0 of a turn, its code the raw answer, `tokens` prompt tokens. */
export function cand(code: string, publicOk: boolean, tokens: number): Candidate {
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

/** Turn `index` of a chain (its parent the previous turn) with one candidate. */
export function turn(index: number, c: Candidate): Turn {
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
