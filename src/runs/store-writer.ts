/**
 * The run store's write paths: planning problems, one transaction per turn, finishing a
 * trajectory with its grade, grade versions for rejudging, excluded problems and facts. Every
 * write is keyed by (problem, trajectory, turn, candidate), so a resumed writer stores nothing
 * twice and a killed one leaves a whole turn or nothing.
 */
import { JUDGE_VERSION } from "../judge/version.js";
import type { ChatMessage } from "../models/types.js";
import type { RunConfig } from "./config.js";
import { type Row, nowIso, num } from "./store-rows.js";
import type { StoreSql } from "./store-sql.js";
import { type FinishTrajectory, type PlannedProblem, RunStoreError } from "./store-types.js";
import type { TestSummary, TrajectoryKey, Turn } from "./trajectory.js";

export class StoreWriter {
  constructor(
    private readonly sql: StoreSql,
    private readonly config: RunConfig,
  ) {}

  /** Records the problems left out of the run and why (replacing an earlier list). */
  recordExcluded(problems: readonly { id: string; reasons: string[] }[]): void {
    const ins = this.sql.prep("INSERT OR REPLACE INTO excluded_problems (problem_id, reasons) VALUES (?, ?)");
    this.sql.tx(() => {
      this.sql.prep("DELETE FROM excluded_problems").run();
      for (const p of problems) ins.run(p.id, JSON.stringify(p.reasons));
    });
  }

  /** A fact about how the run was made (the Python runtime that judged it, ...). */
  setFact(key: string, value: string): void {
    this.sql.prep("INSERT OR REPLACE INTO facts (key, value) VALUES (?, ?)").run(key, value);
  }

  /**
   * Registers problems and their `trajectoriesPerProblem` pending trajectories, in order.
   * Idempotent: a resumed run plans the same problems again and nothing changes.
   */
  planProblems(problems: readonly PlannedProblem[]): void {
    const n = this.config.trajectoriesPerProblem;
    const next = this.sql.prep("SELECT COALESCE(MAX(ordinal), -1) + 1 AS n FROM problems");
    const insP = this.sql.prep(
      "INSERT OR IGNORE INTO problems (ordinal, problem_id, title, difficulty, tags) VALUES (?, ?, ?, ?, ?)",
    );
    // A run resumed by a version that knows tags fills them in for problems planned without.
    const setTags = this.sql.prep("UPDATE problems SET tags = ? WHERE problem_id = ? AND tags IS NULL");
    const insT = this.sql.prep(
      "INSERT OR IGNORE INTO trajectories (problem_id, trajectory, status) VALUES (?, ?, 'pending')",
    );
    this.sql.tx(() => {
      let ordinal = num((next.get() as Row).n);
      for (const p of problems) {
        const tags = p.tags === undefined ? null : JSON.stringify(p.tags);
        if (insP.run(ordinal, p.id, p.title ?? null, p.difficulty ?? null, tags).changes > 0) ordinal++;
        else if (tags !== null) setTags.run(tags, p.id);
        for (let t = 0; t < n; t++) insT.run(p.id, t);
      }
    });
  }

  /**
   * Stores one complete turn and its candidates in one transaction and marks the trajectory
   * running. Returns false, changing nothing, when the turn is already stored.
   */
  /** Several turns of one trajectory in one transaction (a tree expansion's children). */
  writeTurns(key: TrajectoryKey, turns: readonly Turn[]): boolean[] {
    return this.sql.tx(() => turns.map((t) => this.writeTurn(key, t)));
  }

  writeTurn(key: TrajectoryKey, turn: Turn): boolean {
    const seen = new Set<number>();
    for (const c of turn.candidates) {
      if (seen.has(c.index))
        throw new RunStoreError(`turn ${turn.index}: candidate ${c.index} appears twice`);
      seen.add(c.index);
    }
    if ((turn.parentTurn === null) !== (turn.parentCandidate === null)) {
      throw new RunStoreError(
        `turn ${turn.index}: parentTurn and parentCandidate must both be set or both null`,
      );
    }
    return this.sql.tx(() => {
      const traj = this.sql
        .prep("SELECT status FROM trajectories WHERE problem_id = ? AND trajectory = ?")
        .get(key.problemId, key.trajectory) as Row | undefined;
      if (!traj) throw new RunStoreError(`trajectory ${key.problemId}#${key.trajectory} was not planned`);
      const exists = this.sql
        .prep("SELECT 1 AS x FROM turns WHERE problem_id = ? AND trajectory = ? AND turn = ?")
        .get(key.problemId, key.trajectory, turn.index);
      if (exists) return false;
      if (traj.status === "done") {
        throw new RunStoreError(`trajectory ${key.problemId}#${key.trajectory} is already done`);
      }
      if (turn.parentTurn !== null) {
        const parent = this.sql
          .prep(
            "SELECT 1 AS x FROM candidates WHERE problem_id = ? AND trajectory = ? AND turn = ? AND candidate = ?",
          )
          .get(key.problemId, key.trajectory, turn.parentTurn, turn.parentCandidate);
        if (!parent) {
          throw new RunStoreError(
            `turn ${turn.index}: parent turn ${turn.parentTurn} candidate ${turn.parentCandidate} is not stored`,
          );
        }
      }
      this.sql
        .prep(
          "INSERT INTO turns (problem_id, trajectory, turn, parent_turn, parent_candidate, messages, history, selection, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          key.problemId,
          key.trajectory,
          turn.index,
          turn.parentTurn,
          turn.parentCandidate,
          JSON.stringify(turn.messages satisfies ChatMessage[]),
          turn.history,
          turn.selection ?? null,
          turn.startedAt,
          turn.finishedAt,
        );
      const insC =
        this.sql.prep(`INSERT INTO candidates (problem_id, trajectory, turn, candidate, raw_answer, code,
          extraction, finish_reason, prompt_tokens, completion_tokens, tokens_approximate, latency_ms, cached,
          model_error, seed, public_verdict, public_passed, public_total, public_tests, selected, verifier_score)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const c of turn.candidates) {
        const pt = c.publicTests;
        insC.run(
          key.problemId,
          key.trajectory,
          turn.index,
          c.index,
          c.rawAnswer,
          c.code,
          c.extraction,
          c.finishReason,
          c.promptTokens,
          c.completionTokens,
          c.tokensApproximate ? 1 : 0,
          c.latencyMs,
          c.cached ? 1 : 0,
          c.modelError === null ? null : JSON.stringify(c.modelError),
          c.seed,
          pt?.verdict ?? null,
          pt?.passed ?? null,
          pt?.total ?? null,
          pt === null
            ? null
            : JSON.stringify({ tests: pt.tests, infrastructureFailure: pt.infrastructureFailure }),
          c.selected ? 1 : 0,
          c.verifierScore,
        );
      }
      this.sql
        .prep(
          "UPDATE trajectories SET status = 'running', started_at = COALESCE(started_at, ?) WHERE problem_id = ? AND trajectory = ? AND status IN ('pending', 'failed')",
        )
        .run(turn.startedAt, key.problemId, key.trajectory);
      return true;
    });
  }

  /**
   * Marks a trajectory done or failed, with its submission and (optionally) that submission's
   * hidden grade, in one transaction. Finishing a done trajectory again changes nothing.
   */
  finishTrajectory(key: TrajectoryKey, f: FinishTrajectory): void {
    this.sql.tx(() => {
      if (f.submitted) {
        const c = this.sql
          .prep(
            "SELECT 1 AS x FROM candidates WHERE problem_id = ? AND trajectory = ? AND turn = ? AND candidate = ?",
          )
          .get(key.problemId, key.trajectory, f.submitted.turn, f.submitted.candidate);
        if (!c) {
          throw new RunStoreError(
            `${key.problemId}#${key.trajectory}: submitted turn ${f.submitted.turn} candidate ${f.submitted.candidate} is not stored`,
          );
        }
      }
      const changed = this.sql
        .prep(
          "UPDATE trajectories SET status = ?, submitted_turn = ?, submitted_candidate = ?, error = ?, finished_at = ? WHERE problem_id = ? AND trajectory = ? AND status != 'done'",
        )
        .run(
          f.status,
          f.submitted?.turn ?? null,
          f.submitted?.candidate ?? null,
          f.error ?? null,
          f.finishedAt ?? nowIso(),
          key.problemId,
          key.trajectory,
        ).changes;
      if (changed === 0) {
        const exists = this.sql
          .prep("SELECT 1 AS x FROM trajectories WHERE problem_id = ? AND trajectory = ?")
          .get(key.problemId, key.trajectory);
        if (!exists) throw new RunStoreError(`trajectory ${key.problemId}#${key.trajectory} was not planned`);
        return;
      }
      if (f.grade && f.submitted) {
        this.insertGrade(key, f.submitted.turn, f.submitted.candidate, f.grade, 1, f.gradedAt ?? nowIso());
      }
    });
  }

  private insertGrade(
    key: TrajectoryKey,
    turn: number,
    candidate: number,
    g: TestSummary,
    version: number,
    gradedAt: string,
  ): boolean {
    return (
      this.sql
        .prep(`INSERT OR IGNORE INTO grades (problem_id, trajectory, turn, candidate, version, verdict, passed,
          total, tests, infrastructure_failure, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(
          key.problemId,
          key.trajectory,
          turn,
          candidate,
          version,
          g.verdict,
          g.passed,
          g.total,
          JSON.stringify(g.tests),
          g.infrastructureFailure ? 1 : 0,
          gradedAt,
        ).changes > 0
    );
  }

  /**
   * Stores a hidden-test grade of one candidate's code under a grade version (1 = the run's own
   * grading; `beginGradeVersion` opens a new one for a rejudge). Returns false when that version
   * already has a grade for the candidate (the first one is kept).
   */
  writeGrade(
    key: TrajectoryKey,
    turn: number,
    candidate: number,
    grade: TestSummary,
    version = 1,
    gradedAt = nowIso(),
  ): boolean {
    return this.sql.tx(() => {
      if (!this.sql.prep("SELECT 1 AS x FROM grade_versions WHERE version = ?").get(version)) {
        throw new RunStoreError(`grade version ${version} does not exist (call beginGradeVersion)`);
      }
      const c = this.sql
        .prep(
          "SELECT code FROM candidates WHERE problem_id = ? AND trajectory = ? AND turn = ? AND candidate = ?",
        )
        .get(key.problemId, key.trajectory, turn, candidate) as Row | undefined;
      if (!c || c.code === null) {
        throw new RunStoreError(
          `${key.problemId}#${key.trajectory} turn ${turn} candidate ${candidate}: no stored code`,
        );
      }
      return this.insertGrade(key, turn, candidate, grade, version, gradedAt);
    });
  }

  /**
   * Opens a new grade version (e.g. for `rejudge`) made by `judgeVersion`; grades under it
   * supersede older ones.
   */
  beginGradeVersion(note: string, judgeVersion: string = JUDGE_VERSION): number {
    return this.sql.tx(() => {
      const v = num((this.sql.prep("SELECT MAX(version) + 1 AS v FROM grade_versions").get() as Row).v);
      this.sql
        .prep("INSERT INTO grade_versions (version, created_at, note, judge_version) VALUES (?, ?, ?, ?)")
        .run(v, nowIso(), note, judgeVersion);
      return v;
    });
  }
}
