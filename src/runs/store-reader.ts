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

/** A page of a filtered, sorted listing: the rows and how many rows match the filters in all. */
export interface BrowsePage<T> {
  total: number;
  offset: number;
  limit: number;
  rows: T[];
}

/** Filters and order of a problems page; every field is optional. */
export interface ProblemQuery {
  /** Text in the problem's id or title (case-insensitive for ASCII). */
  text?: string;
  difficulty?: string;
  /** A tag the problem carries. */
  tag?: string;
  /** all: every trajectory's submission accepted; some: at least one; none: not one. */
  solved?: "all" | "some" | "none";
  sort?: "ordinal" | "id" | "title" | "difficulty" | "solved" | "trajectories";
  desc?: boolean;
  offset?: number;
  limit?: number;
}

/** A problems page row: the summary and the fraction of its trajectories solved. */
export interface ProblemRow extends ProblemSummary {
  /** accepted / total (0 when the problem has no trajectories). */
  solvedFraction: number;
}

/** Filters and order of a trajectories page; every field is optional. */
export interface TrajectoryQuery {
  problemId?: string;
  status?: TrajectoryStatus;
  /** The hidden verdict of the submission; "none" = not graded. */
  verdict?: Verdict | "none";
  solved?: boolean;
  minTurns?: number;
  maxTurns?: number;
  /**
   * A public-test outcome some turn got (what its feedback was about): a verdict, or "no_code"
   * for an answer with no code in it.
   */
  feedback?: Verdict | "no_code";
  /** Text in some candidate's extracted code or raw answer (case-insensitive for ASCII). */
  text?: string;
  sort?: "ordinal" | "turns" | "tokens" | "verdict" | "status" | "passed";
  desc?: boolean;
  offset?: number;
  limit?: number;
}

/** A trajectories page row. */
export interface TrajectoryRow extends TrajectoryKey {
  ordinal: number;
  title: string | null;
  status: TrajectoryStatus;
  turnCount: number;
  candidateCount: number;
  promptTokens: number;
  completionTokens: number;
  submittedTurn: number | null;
  submittedCandidate: number | null;
  /** The latest hidden grade of the submission, without its per-test outcomes. */
  verdict: Verdict | null;
  passed: number | null;
  total: number | null;
  gradeVersion: number | null;
  error: string | null;
}

/** The values a run's filters can take (for the viewer's menus). */
export interface BrowseFacets {
  difficulties: string[];
  tags: string[];
  /** The highest submitted turn index + 1 (0 when nothing was submitted). */
  submittedTurns: number;
  problems: number;
  trajectories: number;
}

/** Largest page a browse query returns. */
export const MAX_BROWSE_LIMIT = 500;

function pageBounds(
  offset: number | undefined,
  limit: number | undefined,
): { offset: number; limit: number } {
  const o = offset ?? 0;
  const l = limit ?? 50;
  if (!Number.isInteger(o) || o < 0) throw new RangeError(`offset must be a non-negative integer, got ${o}`);
  if (!Number.isInteger(l) || l < 1 || l > MAX_BROWSE_LIMIT) {
    throw new RangeError(`limit must be an integer in 1..${MAX_BROWSE_LIMIT}, got ${l}`);
  }
  return { offset: o, limit: l };
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (ESCAPE '\\'). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The latest hidden verdict of a trajectory's submission, as an expression over `t.`. */
const SUBMISSION_VERDICT = `(SELECT g.verdict FROM grades g WHERE g.problem_id = t.problem_id
  AND g.trajectory = t.trajectory AND g.turn = t.submitted_turn AND g.candidate = t.submitted_candidate
  ORDER BY g.version DESC LIMIT 1)`;
const TURN_COUNT =
  "(SELECT COUNT(*) FROM turns u WHERE u.problem_id = t.problem_id AND u.trajectory = t.trajectory)";
const PASSED_FRACTION = `(SELECT CAST(g.passed AS REAL) / MAX(g.total, 1) FROM grades g WHERE g.problem_id = t.problem_id
  AND g.trajectory = t.trajectory AND g.turn = t.submitted_turn AND g.candidate = t.submitted_candidate
  ORDER BY g.version DESC LIMIT 1)`;

/** The per-trajectory statistics table (see `ensureStats`), joined as `vs`. */
const STATS_JOIN =
  "LEFT JOIN temp.view_stats vs ON vs.problem_id = t.problem_id AND vs.trajectory = t.trajectory";

const TRAJECTORY_SORTS: Record<NonNullable<TrajectoryQuery["sort"]>, string | null> = {
  ordinal: null,
  turns: "COALESCE(vs.turns, 0)",
  tokens: "COALESCE(vs.tokens, 0)",
  verdict: `COALESCE(${SUBMISSION_VERDICT}, '')`,
  status: "t.status",
  passed: `COALESCE(${PASSED_FRACTION}, -1)`,
};

const PROBLEM_SORTS: Record<NonNullable<ProblemQuery["sort"]>, string> = {
  ordinal: "s.ordinal",
  id: "s.problem_id",
  title: "COALESCE(s.title, '')",
  difficulty: "COALESCE(s.difficulty, '')",
  solved: "s.solved_fraction",
  trajectories: "s.total",
};

export class StoreReader {
  constructor(private readonly sql: StoreSql) {}

  /**
   * A faster answer to the text filter: given the text, the name of a TEMP table of this
   * connection holding exactly the (problem_id, trajectory) keys the LIKE scan below would
   * match, or undefined to scan (the viewer's trigram index, src/view/text-index.ts).
   */
  textMatches: ((text: string) => string | undefined) | undefined;

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
    return rows.map(problemSummaryOf);
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

  /**
   * One page of problems with their counts and solved fraction, filtered and sorted in SQL,
   * with the number of problems the filters match. Offset paging: problems are few (hundreds to
   * a few thousand), and every page is one aggregate query.
   */
  problemPage(q: ProblemQuery = {}): BrowsePage<ProblemRow> {
    const { offset, limit } = pageBounds(q.offset, q.limit);
    const conds: string[] = [];
    const params: unknown[] = [];
    if (q.text) {
      conds.push("(s.problem_id LIKE ? ESCAPE '\\' OR s.title LIKE ? ESCAPE '\\')");
      params.push(containsPattern(q.text), containsPattern(q.text));
    }
    if (q.difficulty !== undefined) {
      conds.push("s.difficulty = ?");
      params.push(q.difficulty);
    }
    if (q.tag !== undefined) {
      conds.push("EXISTS (SELECT 1 FROM json_each(COALESCE(s.tags, '[]')) j WHERE j.value = ?)");
      params.push(q.tag);
    }
    if (q.solved === "all") conds.push("s.accepted = s.total");
    else if (q.solved === "some") conds.push("s.accepted > 0");
    else if (q.solved === "none") conds.push("s.accepted = 0");
    const sort = PROBLEM_SORTS[q.sort ?? "ordinal"];
    if (!sort) throw new RangeError(`unknown problem sort ${q.sort}`);
    const dir = q.desc ? "DESC" : "ASC";
    const base = `WITH s AS (
      SELECT p.ordinal, p.problem_id, p.title, p.difficulty, p.tags,
        COUNT(t.trajectory) AS total,
        COALESCE(SUM(t.status = 'pending'), 0) AS pending, COALESCE(SUM(t.status = 'running'), 0) AS running,
        COALESCE(SUM(t.status = 'done'), 0) AS done, COALESCE(SUM(t.status = 'failed'), 0) AS failed,
        COALESCE(SUM(g.version IS NOT NULL), 0) AS graded, COALESCE(SUM(g.verdict = 'accepted'), 0) AS accepted,
        CAST(COALESCE(SUM(g.verdict = 'accepted'), 0) AS REAL) / MAX(COUNT(t.trajectory), 1) AS solved_fraction
      FROM problems p
      LEFT JOIN trajectories t ON t.problem_id = p.problem_id
      ${LATEST_GRADE_JOIN("t.submitted_turn", "t.submitted_candidate")}
      GROUP BY p.ordinal)
      SELECT * FROM s ${conds.length ? `WHERE ${conds.join(" AND ")}` : ""}`;
    // The filtered count rides along (COUNT(*) OVER ()), so the aggregate runs once; a page past
    // the end has no row to carry it and counts on its own.
    const rows = this.sql
      .prep(
        `${base.replace("SELECT * FROM s", "SELECT *, COUNT(*) OVER () AS n_total FROM s")} ORDER BY ${sort} ${dir}, s.ordinal ${dir} LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset) as Row[];
    const total =
      rows.length > 0
        ? num(rows[0]!.n_total)
        : num((this.sql.prep(`SELECT COUNT(*) AS n FROM (${base})`).get(...params) as Row).n);
    return {
      total,
      offset,
      limit,
      rows: rows.map((r) => ({ ...problemSummaryOf(r), solvedFraction: Number(r.solved_fraction) })),
    };
  }

  /** The WHERE clause and parameters of a trajectories query's filters (over `t.` and `p.`). */
  private trajectoryFilters(q: TrajectoryQuery): { where: string; params: unknown[]; join: string } {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (q.problemId !== undefined) {
      conds.push("t.problem_id = ?");
      params.push(q.problemId);
    }
    if (q.status !== undefined) {
      conds.push("t.status = ?");
      params.push(q.status);
    }
    if (q.verdict === "none") conds.push(`${SUBMISSION_VERDICT} IS NULL`);
    else if (q.verdict !== undefined) {
      conds.push(`${SUBMISSION_VERDICT} = ?`);
      params.push(q.verdict);
    }
    if (q.solved === true) conds.push(`${SUBMISSION_VERDICT} = 'accepted'`);
    else if (q.solved === false) conds.push(`${SUBMISSION_VERDICT} IS NOT 'accepted'`);
    if (q.minTurns !== undefined) {
      conds.push("COALESCE(vs.turns, 0) >= ?");
      params.push(q.minTurns);
    }
    if (q.maxTurns !== undefined) {
      conds.push("COALESCE(vs.turns, 0) <= ?");
      params.push(q.maxTurns);
    }
    if (q.feedback === "no_code") conds.push("vs.no_code = 1");
    else if (q.feedback !== undefined) {
      conds.push("instr(vs.public_verdicts, ?) > 0");
      params.push(`,${q.feedback},`);
    }
    if (q.text) {
      const table = this.textMatches?.(q.text);
      if (table)
        conds.push(`(t.problem_id, t.trajectory) IN (SELECT problem_id, trajectory FROM temp.${table})`);
      else {
        conds.push(`EXISTS (SELECT 1 FROM candidates c WHERE c.problem_id = t.problem_id AND c.trajectory = t.trajectory
        AND (c.code LIKE ? ESCAPE '\\' OR c.raw_answer LIKE ? ESCAPE '\\'))`);
        params.push(containsPattern(q.text), containsPattern(q.text));
      }
    }
    const stats =
      q.minTurns !== undefined ||
      q.maxTurns !== undefined ||
      q.feedback !== undefined ||
      q.sort === "turns" ||
      q.sort === "tokens";
    if (stats) this.ensureStats();
    return {
      where: conds.length ? `WHERE ${conds.join(" AND ")}` : "",
      params,
      join: stats ? STATS_JOIN : "",
    };
  }

  private statsVersion: number | null = null;

  /**
   * Computes the per-trajectory statistics the turn and token filters use now, so the first
   * such filter does not wait for them (the viewer calls it once after it starts).
   */
  prepareFilters(): void {
    this.ensureStats();
  }

  /**
   * Turn counts, tokens and the public verdicts of every trajectory, for filters and sorts on
   * them: counting a trajectory's turns or candidates reads their large rows (messages, answers),
   * about a second per filter on a 33,000-trajectory run, so one scan of the candidates fills a
   * TEMP table of this connection (never the run's database) and later queries join it. It is
   * rebuilt when another connection has committed since (`PRAGMA data_version`), so a running
   * run's new turns are seen. Turns are counted by their candidates (every stored turn has one).
   */
  private ensureStats(): void {
    const version = num((this.sql.prep("PRAGMA data_version").get() as Row).data_version);
    if (this.statsVersion === version) return;
    this.sql.db.exec("DROP TABLE IF EXISTS temp.view_stats");
    this.sql.db.exec(`CREATE TEMP TABLE view_stats (
      problem_id TEXT NOT NULL, trajectory INTEGER NOT NULL, turns INTEGER NOT NULL, tokens INTEGER NOT NULL,
      public_verdicts TEXT NOT NULL, no_code INTEGER NOT NULL, PRIMARY KEY (problem_id, trajectory)) WITHOUT ROWID`);
    this.sql.db.exec(`INSERT INTO temp.view_stats
      SELECT problem_id, trajectory, COUNT(DISTINCT turn), SUM(prompt_tokens + completion_tokens),
        ',' || COALESCE(group_concat(DISTINCT public_verdict), '') || ',', MAX(code IS NULL)
      FROM candidates GROUP BY problem_id, trajectory`);
    this.statsVersion = version;
  }

  /** How many trajectories a query's filters match (its offset, limit and order ignored). */
  trajectoryCount(q: TrajectoryQuery = {}): number {
    const { where, params, join } = this.trajectoryFilters(q);
    return num(
      (this.sql.prep(`SELECT COUNT(*) AS n FROM trajectories t ${join} ${where}`).get(...params) as Row).n,
    );
  }

  /**
   * One page of trajectories, filtered and sorted in SQL, with the filtered total (give
   * `total` to skip counting again, e.g. a cached count for the same filters). The page's keys
   * are chosen first and only its rows get their summary columns.
   */
  trajectoryPage(q: TrajectoryQuery = {}, total?: number): BrowsePage<TrajectoryRow> {
    const { offset, limit } = pageBounds(q.offset, q.limit);
    const { where, params, join } = this.trajectoryFilters({ ...q, sort: q.sort ?? "ordinal" });
    const sortKey = q.sort ?? "ordinal";
    if (!(sortKey in TRAJECTORY_SORTS)) throw new RangeError(`unknown trajectory sort ${q.sort}`);
    const sort = TRAJECTORY_SORTS[sortKey];
    const dir = q.desc ? "DESC" : "ASC";
    const order = sort
      ? `${sort} ${dir}, p.ordinal ${dir}, t.trajectory ${dir}`
      : `p.ordinal ${dir}, t.trajectory ${dir}`;
    const rows = this.sql
      .prep(`
      WITH k AS (
        SELECT t.problem_id, t.trajectory, p.ordinal, p.title, ${sort ?? "0"} AS sk
        FROM trajectories t JOIN problems p ON p.problem_id = t.problem_id ${join}
        ${where} ORDER BY ${order} LIMIT ? OFFSET ?)
      SELECT k.ordinal, k.title, t.problem_id, t.trajectory, t.status, t.submitted_turn, t.submitted_candidate,
        t.error, ${TURN_COUNT} AS turn_count,
        (SELECT COUNT(*) FROM candidates c WHERE c.problem_id = t.problem_id AND c.trajectory = t.trajectory) AS candidate_count,
        (SELECT COALESCE(SUM(c.prompt_tokens), 0) FROM candidates c WHERE c.problem_id = t.problem_id AND c.trajectory = t.trajectory) AS prompt_tokens,
        (SELECT COALESCE(SUM(c.completion_tokens), 0) FROM candidates c WHERE c.problem_id = t.problem_id AND c.trajectory = t.trajectory) AS completion_tokens,
        g.verdict AS g_verdict, g.passed AS g_passed, g.total AS g_total, g.version AS g_version
      FROM k JOIN trajectories t ON t.problem_id = k.problem_id AND t.trajectory = k.trajectory
      ${LATEST_GRADE_JOIN("t.submitted_turn", "t.submitted_candidate")}
      ORDER BY k.sk ${dir}, k.ordinal ${dir}, k.trajectory ${dir}`)
      .all(...params, limit, offset) as Row[];
    return {
      total: total ?? this.trajectoryCount(q),
      offset,
      limit,
      rows: rows.map((r) => ({
        problemId: r.problem_id as string,
        trajectory: num(r.trajectory),
        ordinal: num(r.ordinal),
        title: (r.title as string | null) ?? null,
        status: ord(r.status as string),
        turnCount: num(r.turn_count),
        candidateCount: num(r.candidate_count),
        promptTokens: num(r.prompt_tokens),
        completionTokens: num(r.completion_tokens),
        submittedTurn: numOrNull(r.submitted_turn),
        submittedCandidate: numOrNull(r.submitted_candidate),
        verdict: (r.g_verdict as Verdict | null) ?? null,
        passed: numOrNull(r.g_passed),
        total: numOrNull(r.g_total),
        gradeVersion: numOrNull(r.g_version),
        error: (r.error as string | null) ?? null,
      })),
    };
  }

  /** A planned problem's title, difficulty and tags; undefined when the run has no such problem. */
  problemInfo(
    problemId: string,
  ): { ordinal: number; title: string | null; difficulty: string | null; tags: string[] } | undefined {
    const r = this.sql
      .prep("SELECT ordinal, title, difficulty, tags FROM problems WHERE problem_id = ?")
      .get(problemId) as Row | undefined;
    if (!r) return undefined;
    return {
      ordinal: num(r.ordinal),
      title: (r.title as string | null) ?? null,
      difficulty: (r.difficulty as string | null) ?? null,
      tags: tagsOf(r.tags),
    };
  }

  /**
   * The values the browse filters can take in this run, from the small tables only (a
   * DISTINCT over candidates or grades would read every answer of a large run to fill a menu).
   */
  browseFacets(): BrowseFacets {
    const col = (sql: string) => (this.sql.prep(sql).all() as Row[]).map((r) => String(r.v));
    return {
      difficulties: col(
        "SELECT DISTINCT difficulty AS v FROM problems WHERE difficulty IS NOT NULL ORDER BY v",
      ),
      tags: col(
        "SELECT DISTINCT j.value AS v FROM problems p, json_each(COALESCE(p.tags, '[]')) j ORDER BY v",
      ),
      submittedTurns: num(
        (this.sql.prep("SELECT COALESCE(MAX(submitted_turn) + 1, 0) AS n FROM trajectories").get() as Row).n,
      ),
      problems: num((this.sql.prep("SELECT COUNT(*) AS n FROM problems").get() as Row).n),
      trajectories: num((this.sql.prep("SELECT COUNT(*) AS n FROM trajectories").get() as Row).n),
    };
  }
}

/** A problem summary row (problemSummaries, problemPage); no grade yet counts 0. */
function problemSummaryOf(r: Row): ProblemSummary {
  return {
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
  };
}
