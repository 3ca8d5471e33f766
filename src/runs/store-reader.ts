/**
 * The run store's reads: counts and per-problem summaries, trajectories with or without their
 * turns, the codes a rejudge grades, the facts metrics need, excluded problems and run facts.
 * Every large read streams through the one keyset pager (store-pager.ts).
 */
import type { Verdict } from "../judge/types.js";
import { DEFAULT_PAGE_SIZE, keysetPages } from "./store-pager.js";
import {
  GRADE_COLS,
  LATEST_GRADE_JOIN,
  type Row,
  TRAJECTORY_SELECT,
  candidateOf,
  gradeOf,
  num,
  numOrNull,
  ord,
  tagsOf,
  trajectoryOf,
} from "./store-rows.js";
import type { StoreSql } from "./store-sql.js";
import type {
  GradeVersion,
  PageOptions,
  ProblemSummary,
  ResumePoint,
  StaleGrades,
  StatusCounts,
  StoredCode,
  TrajectoryFacts,
} from "./store-types.js";
import type {
  Candidate,
  Trajectory,
  TrajectoryDetail,
  TrajectoryKey,
  TrajectoryStatus,
  Turn,
} from "./trajectory.js";

/** Paging over (ordinal, trajectory), the key of every per-trajectory read. */
function byTrajectory(
  fetch: (ordinal: number, trajectory: number, limit: number) => Row[],
  pageSize?: number,
) {
  return keysetPages<readonly [number, number], Row>(
    ([o, t], limit) => fetch(o, t, limit),
    (r) => [num(r.ordinal), num(r.trajectory)],
    [-1, -1],
    pageSize,
  );
}

export class StoreReader {
  constructor(private readonly sql: StoreSql) {}

  counts(): StatusCounts {
    const out: StatusCounts = { total: 0, pending: 0, running: 0, done: 0, failed: 0 };
    for (const r of this.sql
      .prep("SELECT status, COUNT(*) AS n FROM trajectories GROUP BY status")
      .all() as Row[]) {
      out[ord(r.status as string)] = num(r.n);
      out.total += num(r.n);
    }
    return out;
  }

  /** Problems the run left out, with the reasons (flag kind and why). */
  excludedProblems(): { id: string; reasons: string[] }[] {
    return (
      this.sql.prep("SELECT problem_id, reasons FROM excluded_problems ORDER BY problem_id").all() as Row[]
    ).map((r) => ({ id: r.problem_id as string, reasons: JSON.parse(r.reasons as string) as string[] }));
  }

  facts(): Record<string, string> {
    return Object.fromEntries(
      (this.sql.prep("SELECT key, value FROM facts ORDER BY key").all() as Row[]).map((r) => [
        r.key as string,
        r.value as string,
      ]),
    );
  }

  gradeVersions(): GradeVersion[] {
    return (this.sql.prep("SELECT * FROM grade_versions ORDER BY version").all() as Row[]).map((r) => ({
      version: num(r.version),
      createdAt: r.created_at as string,
      note: r.note as string,
      judgeVersion: (r.judge_version as string | null) ?? null,
    }));
  }

  /** Candidates with code but no verifier score (a rule that reads scores cannot rank them). */
  unscoredCodes(): number {
    return num(
      (
        this.sql
          .prep("SELECT COUNT(*) AS n FROM candidates WHERE code IS NOT NULL AND verifier_score IS NULL")
          .get() as Row
      ).n,
    );
  }

  /**
   * Grade versions made by a judge other than `judgeVersion` (or by one that did not record
   * itself) that are still some code's latest grade, with how many codes: what a reader would
   * otherwise trust although today's judge might decide it differently.
   */
  staleGrades(judgeVersion: string): StaleGrades[] {
    const rows = this.sql
      .prep(`
        SELECT g.version, v.judge_version, COUNT(*) AS codes
        FROM grades g JOIN grade_versions v ON v.version = g.version
        WHERE (v.judge_version IS NULL OR v.judge_version <> ?)
          AND NOT EXISTS (SELECT 1 FROM grades h WHERE h.problem_id = g.problem_id
            AND h.trajectory = g.trajectory AND h.turn = g.turn AND h.candidate = g.candidate
            AND h.version > g.version)
        GROUP BY g.version ORDER BY g.version`)
      .all(judgeVersion) as Row[];
    return rows.map((r) => ({
      version: num(r.version),
      judgeVersion: (r.judge_version as string | null) ?? null,
      codes: num(r.codes),
    }));
  }

  /**
   * Trajectories not done yet (pending, running, and with `retryFailed` failed ones), in run
   * order, with how many turns each has stored. A turn whose transaction never committed is
   * simply absent, so the count is where the trajectory continues.
   */
  *resumePoints(opts: PageOptions & { retryFailed?: boolean } = {}): Generator<ResumePoint> {
    const statuses = opts.retryFailed ? "('pending', 'running', 'failed')" : "('pending', 'running')";
    const page = this.sql.prep(`
      SELECT p.ordinal, t.problem_id, t.trajectory, t.status,
        (SELECT COUNT(*) FROM turns u WHERE u.problem_id = t.problem_id AND u.trajectory = t.trajectory) AS turns
      FROM trajectories t JOIN problems p ON p.problem_id = t.problem_id
      WHERE t.status IN ${statuses} AND (p.ordinal, t.trajectory) > (?, ?)
      ORDER BY p.ordinal, t.trajectory LIMIT ?`);
    for (const r of byTrajectory((o, t, n) => page.all(o, t, n) as Row[], opts.pageSize)) {
      yield {
        problemId: r.problem_id as string,
        trajectory: num(r.trajectory),
        status: ord(r.status as string),
        turns: num(r.turns),
      };
    }
  }

  /**
   * Stored codes to grade again, in run order: each done trajectory's submission, or with
   * `all` every candidate that has code. Paged, so a rejudge of a large run streams.
   */
  *storedCodes(opts: PageOptions & { all?: boolean } = {}): Generator<StoredCode> {
    const where = opts.all
      ? "c.code IS NOT NULL"
      : "t.status = 'done' AND c.turn = t.submitted_turn AND c.candidate = t.submitted_candidate AND c.code IS NOT NULL";
    const stmt = this.sql.prep(`
      SELECT p.ordinal, t.problem_id, t.trajectory, c.turn, c.candidate, c.code,
        (c.turn IS t.submitted_turn AND c.candidate IS t.submitted_candidate) AS submitted, ${GRADE_COLS}
      FROM trajectories t
      JOIN problems p ON p.problem_id = t.problem_id
      JOIN candidates c ON c.problem_id = t.problem_id AND c.trajectory = t.trajectory
      ${LATEST_GRADE_JOIN("c.turn", "c.candidate")}
      WHERE ${where} AND (p.ordinal, t.trajectory, c.turn, c.candidate) > (?, ?, ?, ?)
      ORDER BY p.ordinal, t.trajectory, c.turn, c.candidate LIMIT ?`);
    const rows = keysetPages<readonly [number, number, number, number], Row>(
      (after, limit) => stmt.all(...after, limit) as Row[],
      (l) => [num(l.ordinal), num(l.trajectory), num(l.turn), num(l.candidate)],
      [-1, -1, -1, -1],
      opts.pageSize,
    );
    for (const r of rows) {
      yield {
        problemId: r.problem_id as string,
        trajectory: num(r.trajectory),
        turn: num(r.turn),
        candidate: num(r.candidate),
        code: r.code as string,
        submitted: num(r.submitted) === 1,
        grade: gradeOf(r),
      };
    }
  }

  /** Per-problem counts, one page at a time in run order; `after` is the last ordinal seen. */
  problemSummaries(opts: { after?: number; limit?: number } = {}): ProblemSummary[] {
    const rows = this.sql
      .prep(`
      SELECT p.ordinal, p.problem_id, p.title, p.difficulty, p.tags,
        COUNT(*) AS total,
        SUM(t.status = 'pending') AS pending, SUM(t.status = 'running') AS running,
        SUM(t.status = 'done') AS done, SUM(t.status = 'failed') AS failed,
        SUM(g.version IS NOT NULL) AS graded, SUM(g.verdict = 'accepted') AS accepted
      FROM problems p
      JOIN trajectories t ON t.problem_id = p.problem_id
      ${LATEST_GRADE_JOIN("t.submitted_turn", "t.submitted_candidate")}
      WHERE p.ordinal > ?
      GROUP BY p.ordinal ORDER BY p.ordinal LIMIT ?`)
      .all(opts.after ?? -1, opts.limit ?? DEFAULT_PAGE_SIZE) as Row[];
    return rows.map((r) => ({
      ordinal: num(r.ordinal),
      problemId: r.problem_id as string,
      title: (r.title as string | null) ?? null,
      difficulty: (r.difficulty as string | null) ?? null,
      tags: tagsOf(r.tags),
      total: num(r.total),
      pending: num(r.pending),
      running: num(r.running),
      done: num(r.done),
      failed: num(r.failed),
      graded: num(r.graded ?? 0),
      accepted: num(r.accepted ?? 0),
    }));
  }

  /** Every problem's summary, streamed page by page. */
  *iterateProblemSummaries(opts: PageOptions = {}): Generator<ProblemSummary> {
    yield* keysetPages<readonly [number], ProblemSummary>(
      ([after], limit) => this.problemSummaries({ after, limit }),
      (s) => [s.ordinal],
      [-1],
      opts.pageSize,
    );
  }

  /** Trajectories (without turns) in run order, optionally of one problem or one status; paged. */
  *trajectories(
    opts: PageOptions & { problemId?: string; status?: TrajectoryStatus } = {},
  ): Generator<Trajectory> {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (opts.problemId !== undefined) {
      conds.push("t.problem_id = ?");
      params.push(opts.problemId);
    }
    if (opts.status !== undefined) {
      conds.push("t.status = ?");
      params.push(opts.status);
    }
    const stmt = this.sql.prep(`${TRAJECTORY_SELECT}
      WHERE ${[...conds, "(p.ordinal, t.trajectory) > (?, ?)"].join(" AND ")}
      ORDER BY p.ordinal, t.trajectory LIMIT ?`);
    for (const r of byTrajectory((o, t, n) => stmt.all(...params, o, t, n) as Row[], opts.pageSize)) {
      yield trajectoryOf(r);
    }
  }

  /**
   * Every trajectory with the facts metrics need, in (problem id, trajectory) order: three
   * streaming scans (trajectories, candidates, turns' parents) in primary-key order merged
   * here, with no JSON parsed. Reading a large run this way is many times faster than a
   * `trajectoryDetail` per trajectory.
   */
  *trajectoryFacts(): Generator<TrajectoryFacts> {
    const trajectories = this.sql.db
      .prepare(
        "SELECT problem_id, trajectory, status, submitted_turn, submitted_candidate FROM trajectories ORDER BY problem_id, trajectory",
      )
      .iterate() as IterableIterator<Row>;
    const candidates = this.sql.db
      .prepare(`
      SELECT c.problem_id, c.trajectory, c.turn, c.candidate, c.code, c.public_verdict, c.prompt_tokens,
        c.completion_tokens, c.selected,
        (SELECT g.verdict FROM grades g WHERE g.problem_id = c.problem_id AND g.trajectory = c.trajectory
          AND g.turn = c.turn AND g.candidate = c.candidate ORDER BY g.version DESC LIMIT 1) AS hidden_verdict
      FROM candidates c ORDER BY c.problem_id, c.trajectory, c.turn, c.candidate`)
      .iterate() as IterableIterator<Row>;
    // Each turn's parent, a third scan in the same key order (a correlated lookup per candidate
    // made the whole scan about four times slower).
    const turns = this.sql.db
      .prepare(
        "SELECT problem_id, trajectory, turn, parent_turn FROM turns ORDER BY problem_id, trajectory, turn",
      )
      .iterate() as IterableIterator<Row>;
    let c = candidates.next();
    let u = turns.next();
    // The scans are ordered by the same key; SQLite compares TEXT with memcmp (BINARY).
    const before = (a: Row, pid: string, traj: number) => {
      const ap = a.problem_id as string;
      return ap === pid ? num(a.trajectory) < traj : Buffer.compare(Buffer.from(ap), Buffer.from(pid)) < 0;
    };
    const turnBefore = (a: Row, pid: string, traj: number, turn: number) =>
      a.problem_id === pid && num(a.trajectory) === traj ? num(a.turn) < turn : before(a, pid, traj);
    try {
      for (const t of trajectories) {
        const pid = t.problem_id as string;
        const traj = num(t.trajectory);
        const facts: TrajectoryFacts = {
          problemId: pid,
          trajectory: traj,
          status: ord(t.status as string),
          submittedTurn: numOrNull(t.submitted_turn),
          submittedCandidate: numOrNull(t.submitted_candidate),
          candidates: [],
        };
        // Candidates of trajectories that are not planned cannot exist (foreign key); skip defensively.
        while (!c.done && before(c.value as Row, pid, traj)) c = candidates.next();
        while (!c.done && (c.value as Row).problem_id === pid && num((c.value as Row).trajectory) === traj) {
          const r = c.value as Row;
          const turn = num(r.turn);
          while (!u.done && turnBefore(u.value as Row, pid, traj, turn)) u = turns.next();
          const ur = u.done ? undefined : (u.value as Row);
          const parentTurn =
            ur && ur.problem_id === pid && num(ur.trajectory) === traj && num(ur.turn) === turn
              ? numOrNull(ur.parent_turn)
              : null;
          facts.candidates.push({
            turn,
            candidate: num(r.candidate),
            code: (r.code as string | null) ?? null,
            publicVerdict: (r.public_verdict as Verdict | null) ?? null,
            promptTokens: num(r.prompt_tokens),
            completionTokens: num(r.completion_tokens),
            selected: num(r.selected) === 1,
            hiddenVerdict: (r.hidden_verdict as Verdict | null) ?? null,
            parentTurn,
          });
          c = candidates.next();
        }
        yield facts;
      }
    } finally {
      trajectories.return?.();
      candidates.return?.();
      turns.return?.();
    }
  }

  /** One trajectory with its turns, candidates and per-turn grades; undefined if not planned. */
  trajectoryDetail(key: TrajectoryKey): TrajectoryDetail | undefined {
    const r = this.sql
      .prep(`${TRAJECTORY_SELECT} WHERE t.problem_id = ? AND t.trajectory = ?`)
      .get(key.problemId, key.trajectory) as Row | undefined;
    if (!r) return undefined;
    const cands = new Map<number, Candidate[]>();
    for (const c of this.sql
      .prep("SELECT * FROM candidates WHERE problem_id = ? AND trajectory = ? ORDER BY turn, candidate")
      .all(key.problemId, key.trajectory) as Row[]) {
      const list = cands.get(num(c.turn)) ?? [];
      list.push(candidateOf(c));
      cands.set(num(c.turn), list);
    }
    const turns: Turn[] = (
      this.sql
        .prep("SELECT * FROM turns WHERE problem_id = ? AND trajectory = ? ORDER BY turn")
        .all(key.problemId, key.trajectory) as Row[]
    ).map((u) => ({
      index: num(u.turn),
      parentTurn: numOrNull(u.parent_turn),
      parentCandidate: numOrNull(u.parent_candidate),
      messages: JSON.parse(u.messages as string),
      history: u.history as Turn["history"],
      candidates: cands.get(num(u.turn)) ?? [],
      ...(typeof u.selection === "string" ? { selection: u.selection } : {}),
      startedAt: u.started_at as string,
      finishedAt: u.finished_at as string,
    }));
    const turnGrades = (
      this.sql
        .prep(`
      SELECT g.turn, g.candidate, ${GRADE_COLS} FROM grades g
      WHERE g.problem_id = ? AND g.trajectory = ? AND g.version = (SELECT MAX(version) FROM grades g2
        WHERE g2.problem_id = g.problem_id AND g2.trajectory = g.trajectory AND g2.turn = g.turn AND g2.candidate = g.candidate)
      ORDER BY g.turn, g.candidate`)
        .all(key.problemId, key.trajectory) as Row[]
    ).map((g) => ({ turn: num(g.turn), candidate: num(g.candidate), grade: gradeOf(g)! }));
    return { ...trajectoryOf(r), turns, turnGrades };
  }
}
