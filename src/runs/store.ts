import { createHash, randomUUID } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import type LibsqlDatabase from "libsql";
import type { Verdict } from "../judge/types.js";
import type { ChatMessage, FinishReason } from "../models/types.js";
import { type RunConfig, parseRunConfig } from "./config.js";
import type {
  Candidate,
  HiddenGrade,
  Run,
  TestSummary,
  Trajectory,
  TrajectoryDetail,
  TrajectoryKey,
  TrajectoryStatus,
  Turn,
} from "./trajectory.js";

// libsql is CommonJS with a better-sqlite3-compatible API; its native binary ships in an npm
// package (@libsql/<platform>), so installing it downloads nothing else and compiles nothing.
const Database = createRequire(import.meta.url)("libsql") as typeof LibsqlDatabase;
type Db = InstanceType<typeof LibsqlDatabase>;

export const RUN_FILES = { config: "config.json", db: "run.db", log: "run.log" } as const;

/** Bumped when the tables change; a store refuses a database written by a newer layout. */
export const STORE_SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS run (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  seed INTEGER NOT NULL,
  codeloop_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS problems (
  ordinal INTEGER PRIMARY KEY,
  problem_id TEXT NOT NULL UNIQUE,
  title TEXT,
  difficulty TEXT,
  tags TEXT
);
CREATE TABLE IF NOT EXISTS trajectories (
  problem_id TEXT NOT NULL REFERENCES problems(problem_id),
  trajectory INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  submitted_turn INTEGER,
  submitted_candidate INTEGER,
  error TEXT,
  started_at TEXT,
  finished_at TEXT,
  PRIMARY KEY (problem_id, trajectory)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trajectories_status ON trajectories(status);
CREATE TABLE IF NOT EXISTS turns (
  problem_id TEXT NOT NULL,
  trajectory INTEGER NOT NULL,
  turn INTEGER NOT NULL,
  parent_turn INTEGER,
  parent_candidate INTEGER,
  messages TEXT NOT NULL,
  history TEXT NOT NULL CHECK (history IN ('append', 'replace')),
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  PRIMARY KEY (problem_id, trajectory, turn),
  FOREIGN KEY (problem_id, trajectory) REFERENCES trajectories(problem_id, trajectory)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS candidates (
  problem_id TEXT NOT NULL,
  trajectory INTEGER NOT NULL,
  turn INTEGER NOT NULL,
  candidate INTEGER NOT NULL,
  raw_answer TEXT NOT NULL,
  code TEXT,
  extraction TEXT NOT NULL,
  finish_reason TEXT,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  tokens_approximate INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  cached INTEGER NOT NULL,
  model_error TEXT,
  seed INTEGER NOT NULL,
  public_verdict TEXT,
  public_passed INTEGER,
  public_total INTEGER,
  public_tests TEXT,
  selected INTEGER NOT NULL,
  verifier_score REAL,
  PRIMARY KEY (problem_id, trajectory, turn, candidate),
  FOREIGN KEY (problem_id, trajectory, turn) REFERENCES turns(problem_id, trajectory, turn)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS excluded_problems (
  problem_id TEXT PRIMARY KEY,
  reasons TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS facts (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS grade_versions (
  version INTEGER PRIMARY KEY,
  created_at TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grades (
  problem_id TEXT NOT NULL,
  trajectory INTEGER NOT NULL,
  turn INTEGER NOT NULL,
  candidate INTEGER NOT NULL,
  version INTEGER NOT NULL REFERENCES grade_versions(version),
  verdict TEXT NOT NULL,
  passed INTEGER NOT NULL,
  total INTEGER NOT NULL,
  tests TEXT NOT NULL,
  infrastructure_failure INTEGER NOT NULL,
  graded_at TEXT NOT NULL,
  PRIMARY KEY (problem_id, trajectory, turn, candidate, version),
  FOREIGN KEY (problem_id, trajectory, turn, candidate)
    REFERENCES candidates(problem_id, trajectory, turn, candidate)
) WITHOUT ROWID;
`;

/** A problem as the store plans it: the id, plus what listings show. */
export interface PlannedProblem {
  id: string;
  title?: string;
  difficulty?: string;
  /** The dataset's tags (algorithm categories), for breakdowns; stored as JSON. */
  tags?: string[];
}

export interface StatusCounts {
  total: number;
  pending: number;
  running: number;
  done: number;
  failed: number;
}

export interface ProblemSummary extends StatusCounts {
  problemId: string;
  title: string | null;
  difficulty: string | null;
  /** Tags stored at plan time ([] when none were given, or the run predates tags). */
  tags: string[];
  /** Position in the run's problem order (the key for paging). */
  ordinal: number;
  /** Trajectories whose submission has a hidden grade, and how many of those are accepted. */
  graded: number;
  accepted: number;
}

/** Where an unfinished trajectory stands, for a scheduler that resumes a run. */
export interface ResumePoint extends TrajectoryKey {
  status: TrajectoryStatus;
  /** Stored (committed) turns; a linear strategy continues with turn index `turns`. */
  turns: number;
}

/** A stored code to (re)grade: what `rejudge` iterates. */
export interface StoredCode extends TrajectoryKey {
  turn: number;
  candidate: number;
  code: string;
  /** The code is the trajectory's submission (not only a turn's code). */
  submitted: boolean;
  /** Latest grade, if any. */
  grade: HiddenGrade | null;
}

export interface FinishTrajectory {
  status: "done" | "failed";
  /** The submitted candidate; null when the trajectory produced no code. */
  submitted: { turn: number; candidate: number } | null;
  error?: string;
  /** Hidden-test grade of the submitted code (grade version 1), written in the same transaction. */
  grade?: TestSummary;
  /** ISO timestamps; default now. */
  finishedAt?: string;
  gradedAt?: string;
}

export interface CreateRunOptions {
  /** Default: the config's name, else the folder name. */
  name?: string;
  codeloopVersion?: string;
  /** Opening: the hash of config.json as written (runs created before a config field existed). */
  writtenHash?: string;
}

export interface PageOptions {
  /** Rows fetched per query (default 500): memory stays bounded whatever the run's size. */
  pageSize?: number;
}

/** What metrics need of one candidate: no messages, answers or test details. */
export interface CandidateFacts {
  turn: number;
  candidate: number;
  code: string | null;
  /** Public-test verdict; null when the code was not run. */
  publicVerdict: Verdict | null;
  promptTokens: number;
  completionTokens: number;
  selected: boolean;
  /** Verdict of the latest hidden-test grade of this candidate's code; null when not graded. */
  hiddenVerdict: Verdict | null;
}

/** What metrics need of one trajectory, with its candidates in (turn, candidate) order. */
export interface TrajectoryFacts extends TrajectoryKey {
  status: TrajectoryStatus;
  submittedTurn: number | null;
  submittedCandidate: number | null;
  candidates: CandidateFacts[];
}

export class RunStoreError extends Error {
  override name = "RunStoreError";
}

type Row = Record<string, unknown>;

/** JSON with object keys sorted, so a config read back from config.json hashes the same. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function configHash(cfg: RunConfig): string {
  return createHash("sha256").update(canonicalJson(cfg)).digest("hex");
}

function rawHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/**
 * A stored config lacks the fields added after its run was created; their defaults for new
 * runs differ from what those runs did, so the old behaviour is filled in: grading on the
 * hidden tests only, no problems excluded, CPython.
 */
function withLegacyDefaults(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const cfg = { ...(value as Record<string, unknown>) };
  const obj = (k: string): Record<string, unknown> | undefined => {
    const v = cfg[k];
    if (v === undefined) return {};
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? { ...(v as Record<string, unknown>) }
      : undefined;
  };
  const grading = obj("grading");
  if (grading && grading.tests === undefined) cfg.grading = { ...grading, tests: "hidden" };
  const benchmark = obj("benchmark");
  if (benchmark && cfg.benchmark !== undefined && benchmark.exclude === undefined)
    cfg.benchmark = { ...benchmark, exclude: [] };
  const sandbox = obj("sandbox");
  if (sandbox && sandbox.python === undefined) cfg.sandbox = { ...sandbox, python: "cpython" };
  return cfg;
}

function nowIso(): string {
  return new Date().toISOString();
}

function ord(status: string): TrajectoryStatus {
  return status as TrajectoryStatus;
}

function num(v: unknown): number {
  return typeof v === "bigint" ? Number(v) : (v as number);
}

function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

function tagsOf(v: unknown): string[] {
  if (typeof v !== "string") return [];
  const parsed: unknown = JSON.parse(v);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

function gradeOf(r: Row, prefix = "g_"): HiddenGrade | null {
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
const LATEST_GRADE_JOIN = (turnCol: string, candCol: string) => `
  LEFT JOIN grades g ON g.problem_id = t.problem_id AND g.trajectory = t.trajectory
    AND g.turn = ${turnCol} AND g.candidate = ${candCol}
    AND g.version = (SELECT MAX(version) FROM grades g2 WHERE g2.problem_id = t.problem_id
      AND g2.trajectory = t.trajectory AND g2.turn = ${turnCol} AND g2.candidate = ${candCol})`;

const GRADE_COLS =
  "g.version AS g_version, g.verdict AS g_verdict, g.passed AS g_passed, g.total AS g_total, g.tests AS g_tests, g.infrastructure_failure AS g_infra, g.graded_at AS g_graded_at";

const TRAJECTORY_SELECT = `
  SELECT p.ordinal, t.problem_id, t.trajectory, t.status, t.submitted_turn, t.submitted_candidate, t.error,
    c.code AS submitted_code,
    (SELECT COUNT(*) FROM turns u WHERE u.problem_id = t.problem_id AND u.trajectory = t.trajectory) AS turn_count,
    ${GRADE_COLS}
  FROM trajectories t
  JOIN problems p ON p.problem_id = t.problem_id
  LEFT JOIN candidates c ON c.problem_id = t.problem_id AND c.trajectory = t.trajectory
    AND c.turn = t.submitted_turn AND c.candidate = t.submitted_candidate
  ${LATEST_GRADE_JOIN("t.submitted_turn", "t.submitted_candidate")}`;

function trajectoryOf(r: Row): Trajectory {
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

function candidateOf(r: Row): Candidate {
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

/**
 * One run = one folder: `config.json` (the resolved config, written once), `run.db` (SQLite in
 * WAL mode) and `run.log`. Writes are transactions keyed by (problem, trajectory, turn,
 * candidate), so a process killed at any moment leaves either a whole turn or nothing, and a
 * resumed writer cannot store anything twice.
 */
export class RunStore {
  private constructor(
    readonly dir: string,
    readonly config: RunConfig,
    readonly run: Run,
    private readonly db: Db,
  ) {}

  private readonly stmts = new Map<string, LibsqlDatabase.Statement<unknown[]>>();

  /** Statements are compiled once per store and reused: compiling them dominated a turn's write. */
  private prep(sql: string): LibsqlDatabase.Statement<unknown[]> {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Runs `fn` in one immediate transaction. BEGIN, COMMIT and ROLLBACK are prepared once: the
   * library's `transaction()` compiles both statements again on every call, which cost more than
   * the writes themselves in a run's per-turn transactions.
   */
  private tx<T>(fn: () => T): T {
    this.prep("BEGIN IMMEDIATE").run();
    try {
      const result = fn();
      this.prep("COMMIT").run();
      return result;
    } catch (err) {
      this.prep("ROLLBACK").run();
      throw err;
    }
  }

  /** Creates a run folder (which must not hold a run yet) and returns its store. */
  static create(dir: string, config: RunConfig, opts: CreateRunOptions = {}): RunStore {
    // Private: hidden tests, grades and model answers must not be readable by other users,
    // nor by sandboxed programs running under their own uid without namespaces.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const target = join(dir, RUN_FILES.config);
    if (existsSync(target)) throw new RunStoreError(`${dir} already holds a run (resume it instead)`);
    // Written to a temporary name and linked into place: the config is complete or absent,
    // and of two processes creating the same run only one succeeds.
    const tmp = join(dir, `.${RUN_FILES.config}.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, target);
    } catch (err) {
      throw new RunStoreError(`${dir} already holds a run: ${(err as Error).message}`);
    } finally {
      unlinkSync(tmp);
    }
    const store = RunStore.openDb(dir, config, opts);
    store.log(`created run ${store.run.id} (${store.run.name})`);
    return store;
  }

  /** Opens an existing run folder. */
  static open(dir: string): RunStore {
    const path = join(dir, RUN_FILES.config);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      throw new RunStoreError(`${dir} is not a run folder (no ${RUN_FILES.config})`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new RunStoreError(`${path}: invalid JSON: ${(err as Error).message}`);
    }
    return RunStore.openDb(dir, parseRunConfig(withLegacyDefaults(value), { file: path }), {
      writtenHash: rawHash(value),
    });
  }

  /** Whether a folder holds a run. */
  static isRunFolder(dir: string): boolean {
    return existsSync(join(dir, RUN_FILES.config));
  }

  private static openDb(dir: string, config: RunConfig, opts: CreateRunOptions): RunStore {
    const db = new Database(join(dir, RUN_FILES.db));
    try {
      // WAL: readers (runs show) never block the writer; NORMAL sync is durable against a
      // killed process (only an OS crash can lose the last commits, which a resume redoes).
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA foreign_keys = ON");
      db.exec("PRAGMA busy_timeout = 10000");
      const version = num((db.prepare("PRAGMA user_version").get() as Row).user_version);
      if (version > STORE_SCHEMA_VERSION) {
        throw new RunStoreError(`${dir}: run database layout ${version} is newer than this codeloop's`);
      }
      db.transaction(() => {
        db.exec(SCHEMA);
        // Stores created before problem tags existed lack the column: add it (NULL = no tags).
        const cols = db.prepare("PRAGMA table_info(problems)").all() as Row[];
        if (!cols.some((c) => c.name === "tags")) db.exec("ALTER TABLE problems ADD COLUMN tags TEXT");
        db.exec(`PRAGMA user_version = ${STORE_SCHEMA_VERSION}`);
        db.prepare(
          "INSERT OR IGNORE INTO run (id, name, created_at, config_hash, seed, codeloop_version) SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM run)",
        ).run(
          randomUUID(),
          opts.name ?? config.name ?? basename(dir),
          nowIso(),
          configHash(config),
          config.seed,
          opts.codeloopVersion ?? "0.1.0",
        );
        db.prepare(
          "INSERT OR IGNORE INTO grade_versions (version, created_at, note) VALUES (1, ?, 'run')",
        ).run(nowIso());
      }).immediate();
    } catch (err) {
      db.close();
      throw err;
    }
    const r = db.prepare("SELECT * FROM run").get() as Row;
    const run: Run = {
      id: r.id as string,
      name: r.name as string,
      createdAt: r.created_at as string,
      configHash: r.config_hash as string,
      seed: num(r.seed),
      codeloopVersion: r.codeloop_version as string,
    };
    // A config written before a field existed hashes as written: the field's legacy value (see
    // withLegacyDefaults) is what that run did.
    if (run.configHash !== configHash(config) && run.configHash !== opts.writtenHash) {
      db.close();
      throw new RunStoreError(
        `${dir}: ${RUN_FILES.config} no longer matches the config the run started with`,
      );
    }
    return new RunStore(dir, config, run, db);
  }

  close(): void {
    this.db.close();
  }

  /** Records the problems left out of the run and why (replacing an earlier list). */
  recordExcluded(problems: readonly { id: string; reasons: string[] }[]): void {
    const ins = this.prep("INSERT OR REPLACE INTO excluded_problems (problem_id, reasons) VALUES (?, ?)");
    this.tx(() => {
      this.prep("DELETE FROM excluded_problems").run();
      for (const p of problems) ins.run(p.id, JSON.stringify(p.reasons));
    });
  }

  /** Problems the run left out, with the reasons (flag kind and why). */
  excludedProblems(): { id: string; reasons: string[] }[] {
    return (
      this.prep("SELECT problem_id, reasons FROM excluded_problems ORDER BY problem_id").all() as Row[]
    ).map((r) => ({ id: r.problem_id as string, reasons: JSON.parse(r.reasons as string) as string[] }));
  }

  /** A fact about how the run was made (the Python runtime that judged it, ...). */
  setFact(key: string, value: string): void {
    this.prep("INSERT OR REPLACE INTO facts (key, value) VALUES (?, ?)").run(key, value);
  }

  facts(): Record<string, string> {
    return Object.fromEntries(
      (this.prep("SELECT key, value FROM facts ORDER BY key").all() as Row[]).map((r) => [
        r.key as string,
        r.value as string,
      ]),
    );
  }

  /** Appends a timestamped line to run.log (synchronously, so it survives a kill right after). */
  log(message: string): void {
    appendFileSync(join(this.dir, RUN_FILES.log), `${nowIso()} ${message}\n`, { mode: 0o600 });
  }

  /**
   * Registers problems and their `trajectoriesPerProblem` pending trajectories, in order.
   * Idempotent: a resumed run plans the same problems again and nothing changes.
   */
  planProblems(problems: readonly PlannedProblem[]): void {
    const n = this.config.trajectoriesPerProblem;
    const next = this.prep("SELECT COALESCE(MAX(ordinal), -1) + 1 AS n FROM problems");
    const insP = this.prep(
      "INSERT OR IGNORE INTO problems (ordinal, problem_id, title, difficulty, tags) VALUES (?, ?, ?, ?, ?)",
    );
    // A run resumed by a version that knows tags fills them in for problems planned without.
    const setTags = this.prep("UPDATE problems SET tags = ? WHERE problem_id = ? AND tags IS NULL");
    const insT = this.prep(
      "INSERT OR IGNORE INTO trajectories (problem_id, trajectory, status) VALUES (?, ?, 'pending')",
    );
    this.tx(() => {
      let ordinal = num((next.get() as Row).n);
      for (const p of problems) {
        const tags = p.tags === undefined ? null : JSON.stringify(p.tags);
        if (insP.run(ordinal, p.id, p.title ?? null, p.difficulty ?? null, tags).changes > 0) ordinal++;
        else if (tags !== null) setTags.run(tags, p.id);
        for (let t = 0; t < n; t++) insT.run(p.id, t);
      }
    });
  }

  counts(): StatusCounts {
    const out: StatusCounts = { total: 0, pending: 0, running: 0, done: 0, failed: 0 };
    for (const r of this.prep(
      "SELECT status, COUNT(*) AS n FROM trajectories GROUP BY status",
    ).all() as Row[]) {
      out[ord(r.status as string)] = num(r.n);
      out.total += num(r.n);
    }
    return out;
  }

  /**
   * Trajectories not done yet (pending, running, and with `retryFailed` failed ones), in run
   * order, with how many turns each has stored. A turn whose transaction never committed is
   * simply absent, so the count is where the trajectory continues.
   */
  *resumePoints(opts: PageOptions & { retryFailed?: boolean } = {}): Generator<ResumePoint> {
    const statuses = opts.retryFailed ? "('pending', 'running', 'failed')" : "('pending', 'running')";
    const page = this.prep(`
      SELECT p.ordinal, t.problem_id, t.trajectory, t.status,
        (SELECT COUNT(*) FROM turns u WHERE u.problem_id = t.problem_id AND u.trajectory = t.trajectory) AS turns
      FROM trajectories t JOIN problems p ON p.problem_id = t.problem_id
      WHERE t.status IN ${statuses} AND (p.ordinal, t.trajectory) > (?, ?)
      ORDER BY p.ordinal, t.trajectory LIMIT ?`);
    for (const r of this.paged((o, t, n) => page.all(o, t, n) as Row[], opts.pageSize)) {
      yield {
        problemId: r.problem_id as string,
        trajectory: num(r.trajectory),
        status: ord(r.status as string),
        turns: num(r.turns),
      };
    }
  }

  /** Keyset paging over (ordinal, trajectory): each page is its own short query. */
  private *paged(
    fetch: (ordinal: number, trajectory: number, limit: number) => Row[],
    pageSize = 500,
  ): Generator<Row> {
    let after: [number, number] = [-1, -1];
    for (;;) {
      const rows = fetch(after[0], after[1], pageSize);
      yield* rows;
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1]!;
      after = [num(last.ordinal), num(last.trajectory)];
    }
  }

  /**
   * Stores one complete turn and its candidates in one transaction and marks the trajectory
   * running. Returns false, changing nothing, when the turn is already stored.
   */
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
    return this.tx(() => {
      const traj = this.prep("SELECT status FROM trajectories WHERE problem_id = ? AND trajectory = ?").get(
        key.problemId,
        key.trajectory,
      ) as Row | undefined;
      if (!traj) throw new RunStoreError(`trajectory ${key.problemId}#${key.trajectory} was not planned`);
      const exists = this.prep(
        "SELECT 1 AS x FROM turns WHERE problem_id = ? AND trajectory = ? AND turn = ?",
      ).get(key.problemId, key.trajectory, turn.index);
      if (exists) return false;
      if (traj.status === "done") {
        throw new RunStoreError(`trajectory ${key.problemId}#${key.trajectory} is already done`);
      }
      if (turn.parentTurn !== null) {
        const parent = this.prep(
          "SELECT 1 AS x FROM candidates WHERE problem_id = ? AND trajectory = ? AND turn = ? AND candidate = ?",
        ).get(key.problemId, key.trajectory, turn.parentTurn, turn.parentCandidate);
        if (!parent) {
          throw new RunStoreError(
            `turn ${turn.index}: parent turn ${turn.parentTurn} candidate ${turn.parentCandidate} is not stored`,
          );
        }
      }
      this.prep(
        "INSERT INTO turns (problem_id, trajectory, turn, parent_turn, parent_candidate, messages, history, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ).run(
        key.problemId,
        key.trajectory,
        turn.index,
        turn.parentTurn,
        turn.parentCandidate,
        JSON.stringify(turn.messages satisfies ChatMessage[]),
        turn.history,
        turn.startedAt,
        turn.finishedAt,
      );
      const insC =
        this.prep(`INSERT INTO candidates (problem_id, trajectory, turn, candidate, raw_answer, code,
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
      this.prep(
        "UPDATE trajectories SET status = 'running', started_at = COALESCE(started_at, ?) WHERE problem_id = ? AND trajectory = ? AND status IN ('pending', 'failed')",
      ).run(turn.startedAt, key.problemId, key.trajectory);
      return true;
    });
  }

  /**
   * Marks a trajectory done or failed, with its submission and (optionally) that submission's
   * hidden grade, in one transaction. Finishing a done trajectory again changes nothing.
   */
  finishTrajectory(key: TrajectoryKey, f: FinishTrajectory): void {
    this.tx(() => {
      if (f.submitted) {
        const c = this.prep(
          "SELECT 1 AS x FROM candidates WHERE problem_id = ? AND trajectory = ? AND turn = ? AND candidate = ?",
        ).get(key.problemId, key.trajectory, f.submitted.turn, f.submitted.candidate);
        if (!c) {
          throw new RunStoreError(
            `${key.problemId}#${key.trajectory}: submitted turn ${f.submitted.turn} candidate ${f.submitted.candidate} is not stored`,
          );
        }
      }
      const changed = this.prep(
        "UPDATE trajectories SET status = ?, submitted_turn = ?, submitted_candidate = ?, error = ?, finished_at = ? WHERE problem_id = ? AND trajectory = ? AND status != 'done'",
      ).run(
        f.status,
        f.submitted?.turn ?? null,
        f.submitted?.candidate ?? null,
        f.error ?? null,
        f.finishedAt ?? nowIso(),
        key.problemId,
        key.trajectory,
      ).changes;
      if (changed === 0) {
        const exists = this.prep(
          "SELECT 1 AS x FROM trajectories WHERE problem_id = ? AND trajectory = ?",
        ).get(key.problemId, key.trajectory);
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
      this.prep(`INSERT OR IGNORE INTO grades (problem_id, trajectory, turn, candidate, version, verdict, passed,
          total, tests, infrastructure_failure, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
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
    return this.tx(() => {
      if (!this.prep("SELECT 1 AS x FROM grade_versions WHERE version = ?").get(version)) {
        throw new RunStoreError(`grade version ${version} does not exist (call beginGradeVersion)`);
      }
      const c = this.prep(
        "SELECT code FROM candidates WHERE problem_id = ? AND trajectory = ? AND turn = ? AND candidate = ?",
      ).get(key.problemId, key.trajectory, turn, candidate) as Row | undefined;
      if (!c || c.code === null) {
        throw new RunStoreError(
          `${key.problemId}#${key.trajectory} turn ${turn} candidate ${candidate}: no stored code`,
        );
      }
      return this.insertGrade(key, turn, candidate, grade, version, gradedAt);
    });
  }

  /** Opens a new grade version (e.g. for `rejudge`); grades under it supersede older ones. */
  beginGradeVersion(note: string): number {
    return this.tx(() => {
      const v = num((this.prep("SELECT MAX(version) + 1 AS v FROM grade_versions").get() as Row).v);
      this.prep("INSERT INTO grade_versions (version, created_at, note) VALUES (?, ?, ?)").run(
        v,
        nowIso(),
        note,
      );
      return v;
    });
  }

  gradeVersions(): { version: number; createdAt: string; note: string }[] {
    return (this.prep("SELECT * FROM grade_versions ORDER BY version").all() as Row[]).map((r) => ({
      version: num(r.version),
      createdAt: r.created_at as string,
      note: r.note as string,
    }));
  }

  /**
   * Stored codes to grade again, in run order: each done trajectory's submission, or with
   * `all` every candidate that has code. Paged, so a rejudge of a large run streams.
   */
  *storedCodes(opts: PageOptions & { all?: boolean } = {}): Generator<StoredCode> {
    const where = opts.all
      ? "c.code IS NOT NULL"
      : "t.status = 'done' AND c.turn = t.submitted_turn AND c.candidate = t.submitted_candidate AND c.code IS NOT NULL";
    const stmt = this.prep(`
      SELECT p.ordinal, t.problem_id, t.trajectory, c.turn, c.candidate, c.code,
        (c.turn IS t.submitted_turn AND c.candidate IS t.submitted_candidate) AS submitted, ${GRADE_COLS}
      FROM trajectories t
      JOIN problems p ON p.problem_id = t.problem_id
      JOIN candidates c ON c.problem_id = t.problem_id AND c.trajectory = t.trajectory
      ${LATEST_GRADE_JOIN("c.turn", "c.candidate")}
      WHERE ${where} AND (p.ordinal, t.trajectory, c.turn, c.candidate) > (?, ?, ?, ?)
      ORDER BY p.ordinal, t.trajectory, c.turn, c.candidate LIMIT ?`);
    const pageSize = opts.pageSize ?? 500;
    let after = [-1, -1, -1, -1];
    for (;;) {
      const rows = stmt.all(...after, pageSize) as Row[];
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
      if (rows.length < pageSize) return;
      const l = rows[rows.length - 1]!;
      after = [num(l.ordinal), num(l.trajectory), num(l.turn), num(l.candidate)];
    }
  }

  /** Per-problem counts, one page at a time in run order; `after` is the last ordinal seen. */
  problemSummaries(opts: { after?: number; limit?: number } = {}): ProblemSummary[] {
    const rows = this.prep(`
      SELECT p.ordinal, p.problem_id, p.title, p.difficulty, p.tags,
        COUNT(*) AS total,
        SUM(t.status = 'pending') AS pending, SUM(t.status = 'running') AS running,
        SUM(t.status = 'done') AS done, SUM(t.status = 'failed') AS failed,
        SUM(g.version IS NOT NULL) AS graded, SUM(g.verdict = 'accepted') AS accepted
      FROM problems p
      JOIN trajectories t ON t.problem_id = p.problem_id
      ${LATEST_GRADE_JOIN("t.submitted_turn", "t.submitted_candidate")}
      WHERE p.ordinal > ?
      GROUP BY p.ordinal ORDER BY p.ordinal LIMIT ?`).all(opts.after ?? -1, opts.limit ?? 500) as Row[];
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
    const limit = opts.pageSize ?? 500;
    let after = -1;
    for (;;) {
      const page = this.problemSummaries({ after, limit });
      yield* page;
      if (page.length < limit) return;
      after = page[page.length - 1]!.ordinal;
    }
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
    const stmt = this.prep(`${TRAJECTORY_SELECT}
      WHERE ${[...conds, "(p.ordinal, t.trajectory) > (?, ?)"].join(" AND ")}
      ORDER BY p.ordinal, t.trajectory LIMIT ?`);
    for (const r of this.paged((o, t, n) => stmt.all(...params, o, t, n) as Row[], opts.pageSize)) {
      yield trajectoryOf(r);
    }
  }

  /**
   * Every trajectory with the facts metrics need, in (problem id, trajectory) order: two
   * streaming scans in primary-key order merged here, with no JSON parsed. Reading a large run
   * this way is many times faster than a `trajectoryDetail` per trajectory.
   */
  *trajectoryFacts(): Generator<TrajectoryFacts> {
    const trajectories = this.db
      .prepare(
        "SELECT problem_id, trajectory, status, submitted_turn, submitted_candidate FROM trajectories ORDER BY problem_id, trajectory",
      )
      .iterate() as IterableIterator<Row>;
    const candidates = this.db
      .prepare(`
      SELECT c.problem_id, c.trajectory, c.turn, c.candidate, c.code, c.public_verdict, c.prompt_tokens,
        c.completion_tokens, c.selected,
        (SELECT g.verdict FROM grades g WHERE g.problem_id = c.problem_id AND g.trajectory = c.trajectory
          AND g.turn = c.turn AND g.candidate = c.candidate ORDER BY g.version DESC LIMIT 1) AS hidden_verdict
      FROM candidates c ORDER BY c.problem_id, c.trajectory, c.turn, c.candidate`)
      .iterate() as IterableIterator<Row>;
    let c = candidates.next();
    // Both scans are ordered by the same key; SQLite compares TEXT with memcmp (BINARY).
    const before = (a: Row, pid: string, traj: number) => {
      const ap = a.problem_id as string;
      return ap === pid ? num(a.trajectory) < traj : Buffer.compare(Buffer.from(ap), Buffer.from(pid)) < 0;
    };
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
          facts.candidates.push({
            turn: num(r.turn),
            candidate: num(r.candidate),
            code: (r.code as string | null) ?? null,
            publicVerdict: (r.public_verdict as Verdict | null) ?? null,
            promptTokens: num(r.prompt_tokens),
            completionTokens: num(r.completion_tokens),
            selected: num(r.selected) === 1,
            hiddenVerdict: (r.hidden_verdict as Verdict | null) ?? null,
          });
          c = candidates.next();
        }
        yield facts;
      }
    } finally {
      trajectories.return?.();
      candidates.return?.();
    }
  }

  /** One trajectory with its turns, candidates and per-turn grades; undefined if not planned. */
  trajectoryDetail(key: TrajectoryKey): TrajectoryDetail | undefined {
    const r = this.prep(`${TRAJECTORY_SELECT} WHERE t.problem_id = ? AND t.trajectory = ?`).get(
      key.problemId,
      key.trajectory,
    ) as Row | undefined;
    if (!r) return undefined;
    const cands = new Map<number, Candidate[]>();
    for (const c of this.prep(
      "SELECT * FROM candidates WHERE problem_id = ? AND trajectory = ? ORDER BY turn, candidate",
    ).all(key.problemId, key.trajectory) as Row[]) {
      const list = cands.get(num(c.turn)) ?? [];
      list.push(candidateOf(c));
      cands.set(num(c.turn), list);
    }
    const turns: Turn[] = (
      this.prep("SELECT * FROM turns WHERE problem_id = ? AND trajectory = ? ORDER BY turn").all(
        key.problemId,
        key.trajectory,
      ) as Row[]
    ).map((u) => ({
      index: num(u.turn),
      parentTurn: numOrNull(u.parent_turn),
      parentCandidate: numOrNull(u.parent_candidate),
      messages: JSON.parse(u.messages as string),
      history: u.history as Turn["history"],
      candidates: cands.get(num(u.turn)) ?? [],
      startedAt: u.started_at as string,
      finishedAt: u.finished_at as string,
    }));
    const turnGrades = (
      this.prep(`
      SELECT g.turn, g.candidate, ${GRADE_COLS} FROM grades g
      WHERE g.problem_id = ? AND g.trajectory = ? AND g.version = (SELECT MAX(version) FROM grades g2
        WHERE g2.problem_id = g.problem_id AND g2.trajectory = g.trajectory AND g2.turn = g.turn AND g2.candidate = g.candidate)
      ORDER BY g.turn, g.candidate`).all(key.problemId, key.trajectory) as Row[]
    ).map((g) => ({ turn: num(g.turn), candidate: num(g.candidate), grade: gradeOf(g)! }));
    return { ...trajectoryOf(r), turns, turnGrades };
  }
}
