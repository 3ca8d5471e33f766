/**
 * How the store's rows become codeloop's objects, and the SQL fragments several reads share
 * (the latest grade of a code, a trajectory's summary columns). Shared by the writer and the
 * reader so the two agree on every column's encoding.
 */
import type { Verdict } from "../judge/types.js";
import type { FinishReason } from "../models/types.js";
import type { Candidate, HiddenGrade, TestSummary, Trajectory, TrajectoryStatus } from "./trajectory.js";

export type Row = Record<string, unknown>;

export function nowIso(): string {
  return new Date().toISOString();
}

export function ord(status: string): TrajectoryStatus {
  return status as TrajectoryStatus;
}

export function num(v: unknown): number {
  return typeof v === "bigint" ? Number(v) : (v as number);
}

export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

export function tagsOf(v: unknown): string[] {
  if (typeof v !== "string") return [];
  const parsed: unknown = JSON.parse(v);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

export function gradeOf(r: Row, prefix = "g_"): HiddenGrade | null {
  if (r[`${prefix}version`] === null || r[`${prefix}version`] === undefined) return null;
  return {
    verdict: r[`${prefix}verdict`] as Verdict,
    passed: num(r[`${prefix}passed`]),
    total: num(r[`${prefix}total`]),
    tests: JSON.parse(r[`${prefix}tests`] as string),
    infrastructureFailure: num(r[`${prefix}infra`]) === 1,
    version: num(r[`${prefix}version`]),
    gradedAt: r[`${prefix}graded_at`] as string,
  };
}

/** Columns of the latest grade of (turn, candidate) named by the aliases `t.` columns give. */
export const LATEST_GRADE_JOIN = (turnCol: string, candCol: string) => `
  LEFT JOIN grades g ON g.problem_id = t.problem_id AND g.trajectory = t.trajectory
    AND g.turn = ${turnCol} AND g.candidate = ${candCol}
    AND g.version = (SELECT MAX(version) FROM grades g2 WHERE g2.problem_id = t.problem_id
      AND g2.trajectory = t.trajectory AND g2.turn = ${turnCol} AND g2.candidate = ${candCol})`;

export const GRADE_COLS =
  "g.version AS g_version, g.verdict AS g_verdict, g.passed AS g_passed, g.total AS g_total, g.tests AS g_tests, g.infrastructure_failure AS g_infra, g.graded_at AS g_graded_at";

export const TRAJECTORY_SELECT = `
  SELECT p.ordinal, t.problem_id, t.trajectory, t.status, t.submitted_turn, t.submitted_candidate, t.error,
    c.code AS submitted_code,
    (SELECT COUNT(*) FROM turns u WHERE u.problem_id = t.problem_id AND u.trajectory = t.trajectory) AS turn_count,
    ${GRADE_COLS}
  FROM trajectories t
  JOIN problems p ON p.problem_id = t.problem_id
  LEFT JOIN candidates c ON c.problem_id = t.problem_id AND c.trajectory = t.trajectory
    AND c.turn = t.submitted_turn AND c.candidate = t.submitted_candidate
  ${LATEST_GRADE_JOIN("t.submitted_turn", "t.submitted_candidate")}`;

export function trajectoryOf(r: Row): Trajectory {
  return {
    problemId: r.problem_id as string,
    trajectory: num(r.trajectory),
    status: ord(r.status as string),
    submittedCode: (r.submitted_code as string | null) ?? null,
    submittedTurn: numOrNull(r.submitted_turn),
    submittedCandidate: numOrNull(r.submitted_candidate),
    grade: gradeOf(r),
    error: (r.error as string | null) ?? null,
    turnCount: num(r.turn_count),
  };
}

export function candidateOf(r: Row): Candidate {
  const publicTests: TestSummary | null =
    r.public_tests === null
      ? null
      : {
          verdict: r.public_verdict as Verdict,
          passed: num(r.public_passed),
          total: num(r.public_total),
          ...(JSON.parse(r.public_tests as string) as Pick<TestSummary, "tests" | "infrastructureFailure">),
        };
  return {
    index: num(r.candidate),
    rawAnswer: r.raw_answer as string,
    code: (r.code as string | null) ?? null,
    extraction: r.extraction as Candidate["extraction"],
    finishReason: (r.finish_reason as FinishReason | null) ?? null,
    promptTokens: num(r.prompt_tokens),
    completionTokens: num(r.completion_tokens),
    tokensApproximate: num(r.tokens_approximate) === 1,
    latencyMs: num(r.latency_ms),
    cached: num(r.cached) === 1,
    modelError: r.model_error === null ? null : JSON.parse(r.model_error as string),
    seed: num(r.seed),
    publicTests,
    selected: num(r.selected) === 1,
    verifierScore: numOrNull(r.verifier_score),
  };
}
