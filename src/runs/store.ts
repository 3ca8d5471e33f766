/**
 * The run store's public face: one `RunStore` per open run folder. The work is done by role in
 * the store-*.ts files beside this one (folder, schema, writer, reader, one keyset pager); this
 * class only opens the folder and hands each call to the writer or the reader, so callers see
 * one object and the on-disk format lives in store-schema.ts alone.
 */
import type { RunConfig } from "./config.js";
import {
  appendRunLog,
  createRunFolder,
  isRunFolder,
  openRunDb,
  readRunFolderConfig,
} from "./store-folder.js";
import { StoreReader } from "./store-reader.js";
import { nowIso } from "./store-rows.js";
import { type Db, StoreSql } from "./store-sql.js";
import type {
  CreateRunOptions,
  FinishTrajectory,
  GradeVersion,
  PageOptions,
  PlannedProblem,
  ProblemSummary,
  ResumePoint,
  StaleGrades,
  StatusCounts,
  StoredCode,
  TrajectoryFacts,
} from "./store-types.js";
import { StoreWriter } from "./store-writer.js";
import type {
  Run,
  TestSummary,
  Trajectory,
  TrajectoryDetail,
  TrajectoryKey,
  TrajectoryStatus,
  Turn,
} from "./trajectory.js";

export { RUN_FILES, STORE_SCHEMA_VERSION } from "./store-schema.js";
export {
  type CandidateFacts,
  type CreateRunOptions,
  type FinishTrajectory,
  type GradeVersion,
  type PageOptions,
  type PlannedProblem,
  type ProblemSummary,
  type ResumePoint,
  type StaleGrades,
  type StatusCounts,
  type StoredCode,
  type TrajectoryFacts,
  RunStoreError,
} from "./store-types.js";

/**
 * One run = one folder: `config.json` (the resolved config, written once), `run.db` (SQLite in
 * WAL mode) and `run.log`. Writes are transactions keyed by (problem, trajectory, turn,
 * candidate), so a process killed at any moment leaves either a whole turn or nothing, and a
 * resumed writer cannot store anything twice.
 */
export class RunStore {
  private readonly sql: StoreSql;
  private readonly writer: StoreWriter;
  private readonly reader: StoreReader;

  private constructor(
    readonly dir: string,
    readonly config: RunConfig,
    readonly run: Run,
    db: Db,
  ) {
    this.sql = new StoreSql(db);
    this.writer = new StoreWriter(this.sql, config);
    this.reader = new StoreReader(this.sql);
  }

  /** Creates a run folder (which must not hold a run yet) and returns its store. */
  static create(dir: string, config: RunConfig, opts: CreateRunOptions = {}): RunStore {
    createRunFolder(dir, config);
    const store = RunStore.openDb(dir, config, opts);
    store.log(`created run ${store.run.id} (${store.run.name})`);
    return store;
  }

  /** Opens an existing run folder. */
  static open(dir: string): RunStore {
    const { config, writtenHash } = readRunFolderConfig(dir);
    return RunStore.openDb(dir, config, { writtenHash });
  }

  /** Whether a folder holds a run. */
  static isRunFolder(dir: string): boolean {
    return isRunFolder(dir);
  }

  private static openDb(dir: string, config: RunConfig, opts: CreateRunOptions): RunStore {
    const { db, run } = openRunDb(dir, config, opts);
    return new RunStore(dir, config, run, db);
  }

  close(): void {
    this.sql.close();
  }

  /** Appends a timestamped line to run.log (synchronously, so it survives a kill right after). */
  log(message: string): void {
    appendRunLog(this.dir, message);
  }

  // Writes (store-writer.ts).

  /** Records the problems left out of the run and why (replacing an earlier list). */
  recordExcluded(problems: readonly { id: string; reasons: string[] }[]): void {
    this.writer.recordExcluded(problems);
  }

  /** A fact about how the run was made (the Python runtime that judged it, ...). */
  setFact(key: string, value: string): void {
    this.writer.setFact(key, value);
  }

  /**
   * Registers problems and their `trajectoriesPerProblem` pending trajectories, in order.
   * Idempotent: a resumed run plans the same problems again and nothing changes.
   */
  planProblems(problems: readonly PlannedProblem[]): void {
    this.writer.planProblems(problems);
  }

  /**
   * Stores one complete turn and its candidates in one transaction and marks the trajectory
   * running. Returns false, changing nothing, when the turn is already stored.
   */
  writeTurn(key: TrajectoryKey, turn: Turn): boolean {
    return this.writer.writeTurn(key, turn);
  }

  /**
   * Stores several whole turns of one trajectory in one transaction, in order (a turn may be
   * the parent of the next): a killed process leaves all of them or none. One result per turn.
   */
  writeTurns(key: TrajectoryKey, turns: readonly Turn[]): boolean[] {
    return this.writer.writeTurns(key, turns);
  }

  /**
   * Marks a trajectory done or failed, with its submission and (optionally) that submission's
   * hidden grade, in one transaction. Finishing a done trajectory again changes nothing.
   */
  finishTrajectory(key: TrajectoryKey, f: FinishTrajectory): void {
    this.writer.finishTrajectory(key, f);
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
    return this.writer.writeGrade(key, turn, candidate, grade, version, gradedAt);
  }

  /**
   * Opens a new grade version (e.g. for `rejudge`) made by `judgeVersion` (this codeloop's
   * judge by default); grades under it supersede older ones.
   */
  beginGradeVersion(note: string, judgeVersion?: string): number {
    return this.writer.beginGradeVersion(note, judgeVersion);
  }

  // Reads (store-reader.ts).

  /** Problems the run left out, with the reasons (flag kind and why). */
  excludedProblems(): { id: string; reasons: string[] }[] {
    return this.reader.excludedProblems();
  }

  facts(): Record<string, string> {
    return this.reader.facts();
  }

  counts(): StatusCounts {
    return this.reader.counts();
  }

  gradeVersions(): GradeVersion[] {
    return this.reader.gradeVersions();
  }

  /** Candidates with code but no verifier score. */
  unscoredCodes(): number {
    return this.reader.unscoredCodes();
  }

  /** Grade versions by another judge than `judgeVersion` that some code still has as its latest. */
  staleGrades(judgeVersion: string): StaleGrades[] {
    return this.reader.staleGrades(judgeVersion);
  }

  /**
   * Trajectories not done yet (pending, running, and with `retryFailed` failed ones), in run
   * order, with how many turns each has stored. A turn whose transaction never committed is
   * simply absent, so the count is where the trajectory continues.
   */
  resumePoints(opts: PageOptions & { retryFailed?: boolean } = {}): Generator<ResumePoint> {
    return this.reader.resumePoints(opts);
  }

  /**
   * Stored codes to grade again, in run order: each done trajectory's submission, or with
   * `all` every candidate that has code. Paged, so a rejudge of a large run streams.
   */
  storedCodes(opts: PageOptions & { all?: boolean } = {}): Generator<StoredCode> {
    return this.reader.storedCodes(opts);
  }

  /** Per-problem counts, one page at a time in run order; `after` is the last ordinal seen. */
  problemSummaries(opts: { after?: number; limit?: number } = {}): ProblemSummary[] {
    return this.reader.problemSummaries(opts);
  }

  /** Every problem's summary, streamed page by page. */
  iterateProblemSummaries(opts: PageOptions = {}): Generator<ProblemSummary> {
    return this.reader.iterateProblemSummaries(opts);
  }

  /** Trajectories (without turns) in run order, optionally of one problem or one status; paged. */
  trajectories(
    opts: PageOptions & { problemId?: string; status?: TrajectoryStatus } = {},
  ): Generator<Trajectory> {
    return this.reader.trajectories(opts);
  }

  /**
   * Every trajectory with the facts metrics need, in (problem id, trajectory) order, from two
   * streaming scans merged (many times faster than a `trajectoryDetail` per trajectory).
   */
  trajectoryFacts(): Generator<TrajectoryFacts> {
    return this.reader.trajectoryFacts();
  }

  /** One trajectory with its turns, candidates and per-turn grades; undefined if not planned. */
  trajectoryDetail(key: TrajectoryKey): TrajectoryDetail | undefined {
    return this.reader.trajectoryDetail(key);
  }
}
