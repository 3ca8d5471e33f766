import { BackgroundNormaliser, normalisedCacheFile } from "../core/normalize.js";
import { InfrastructureError, Judge, type JudgeService } from "../judge/index.js";
import type { TestCase } from "../judge/types.js";
import { type ChatModel, type ManagedModel, createModel } from "../models/index.js";
import { type Problem, allTests, loadFlags, loadProblems, sourceFormat } from "../problems/index.js";
import {
  type Executor,
  Sandbox,
  type SandboxLimits,
  pythonAvailable,
  pythonLabel,
} from "../sandbox/index.js";
import {
  type Gate,
  type StrategyOutcome,
  type Verifier,
  hiddenTests,
  judgeTests,
  playTrajectory,
  retriedOnInfrastructureFailure,
  summarize,
} from "../strategies/index.js";
import { problemLimits, sandboxComputeExpected } from "../validate/validate.js";
import type { Verifier as ManagedVerifier } from "../verifiers/index.js";
import { type RunConfig, problemFilters } from "./config.js";
import { RunStore } from "./store.js";
import type { TestSummary, TrajectoryKey, Turn } from "./trajectory.js";
import { turnVerifier, usesVerifier, verifierFor } from "./verifier.js";

/** A counting semaphore: at most `limit` holders; waiters queue in arrival order. */
export class Semaphore {
  private active = 0;
  private waiters: (() => void)[] = [];
  constructor(readonly limit: number) {}
  get inUse(): number {
    return this.active;
  }
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) next();
    else this.active--;
  }
  gate: Gate = async (fn) => {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  };
}

/** The run stopped before its end for a reason the user must act on (e.g. the model went away). */
export class RunAbortedError extends Error {
  override name = "RunAbortedError";
}

export interface RunProgress {
  total: number;
  /** Trajectories finished (done or failed), including those finished before a resume. */
  finished: number;
  /** Finished in this process (for rates and ETA). */
  finishedHere: number;
  accepted: number;
  /** Problems with at least one accepted submission. */
  solvedProblems: number;
  problems: number;
  promptTokens: number;
  completionTokens: number;
  modelErrors: number;
  failed: number;
  startedAt: number;
}

export interface RunOptions {
  /** Executor to use (the caller closes it); default: a sandbox started from the config. */
  sandbox?: Executor;
  /**
   * Judges the run's programs (the caller closes it); default: a local Judge over `sandbox`.
   * The sandbox still computes expected outputs at load (HumanEval+, MBPP+).
   */
  judge?: JudgeService;
  /** Model to use (the caller closes it); default: createModel(config.model) with the config's cache. */
  model?: ChatModel;
  verifier?: Verifier;
  /** Called after every finished trajectory and turn. */
  onProgress?: (p: RunProgress) => void;
  /** Problems to run instead of loading `config.benchmark` (tests, benchmarks). */
  problems?: Problem[];
  /** Also retry trajectories that failed (default false). */
  retryFailed?: boolean;
  log?: (line: string) => void;
  /** Stop scheduling new trajectories when this fires; running ones finish. */
  signal?: AbortSignal;
  /**
   * Normalise each turn's Python code through Python's ast while the run goes on, into the run
   * folder's `normalised.jsonl`, so similarity metrics need not parse afterwards (default true).
   */
  normaliseCodes?: boolean;
}

export interface RunResult {
  folder: string;
  progress: RunProgress;
  wallMs: number;
}

/** The model a run config names, with its response cache as configured. */
export function modelFor(config: RunConfig): ManagedModel {
  return createModel(config.model, {
    cache: config.cache.enabled ? (config.cache.dir ? { dir: config.cache.dir } : true) : false,
    // The run's own gate bounds requests; the adaptive limiter must not sit below it.
    concurrency: { initial: config.concurrency.model, max: Math.max(512, config.concurrency.model) },
  });
}

export function limitsFor(config: RunConfig, p: Problem): SandboxLimits {
  const base = problemLimits(p);
  return {
    ...base,
    timeMs: Math.max(1, Math.round(base.timeMs * config.sandbox.timeLimitScale)),
    ...(config.sandbox.memoryMb !== undefined ? { memoryMb: config.sandbox.memoryMb } : {}),
  };
}

/** The run's problems, with HumanEval+/MBPP+ expected outputs computed in the sandbox. */
export function problemsFor(
  config: RunConfig,
  sandbox: Executor,
  log?: (m: string) => void,
): Promise<Problem[]> {
  return loadProblems(config.benchmark.source, problemFilters(config), {
    ...(config.benchmark.format ? { format: config.benchmark.format } : {}),
    ...(config.benchmark.release ? { release: config.benchmark.release } : {}),
    computeExpected: sandboxComputeExpected(sandbox),
    ...(log ? { log } : {}),
  });
}

/**
 * A code's hidden grade as the run's config asks: on `gradingTests`, under the problem's
 * limits, stopping at the first failed test. Runs, rejudge and reselect grade through it. An
 * infrastructure failure is tried once more; a second one is stored as such (metrics leave it
 * out, `codeloop rejudge` grades it again), never as the program's failure.
 */
export async function gradeSubmission(
  judge: JudgeService,
  config: RunConfig,
  p: Problem,
  code: string,
): Promise<TestSummary> {
  return summarize(
    await retriedOnInfrastructureFailure(() =>
      judgeTests(judge, p, gradingTests(config, p), code, config.language, limitsFor(config, p), true),
    ),
  );
}

/** The tests a submission is graded on (`grading.tests`): all of them, or the hidden ones. */
export function gradingTests(config: RunConfig, p: Problem): TestCase[] {
  return config.grading.tests === "hidden" ? hiddenTests(p) : allTests(p);
}

/**
 * The runtime a benchmark format prefers: PyPy for Kattis packages (Kattis judges Python 3
 * with PyPy and calibrates its time limits for it) when it is installed, with one warning when
 * it is not; undefined (the sandbox's default interpreter) elsewhere.
 */
export function pythonForFormat(format: string | undefined, warn?: (m: string) => void): "pypy" | undefined {
  if (format !== "kattis") return undefined;
  if (pythonAvailable("pypy")) return "pypy";
  warn?.(
    "warning: Kattis time limits are calibrated for PyPy, which is not installed (apt-get install pypy3, or set CODELOOP_PYPY): Python programs run on CPython",
  );
  return undefined;
}

/**
 * The Python runtime of a run: `sandbox.python`, where auto means pythonForFormat of the
 * benchmark (PyPy for Kattis packages when installed), CPython otherwise.
 */
export async function pythonFor(config: RunConfig, log?: (m: string) => void): Promise<"cpython" | "pypy"> {
  if (config.sandbox.python !== "auto") return config.sandbox.python;
  const format = config.benchmark.format ?? (await sourceFormat(config.benchmark.source, { offline: true }));
  return pythonForFormat(format, log) ?? "cpython";
}

/** The sandbox a run config asks for (workers, mode, isolation, Python runtime). */
export async function sandboxFor(config: RunConfig, log?: (m: string) => void): Promise<Sandbox> {
  return Sandbox.create({
    ...(config.sandbox.workers !== undefined ? { workers: config.sandbox.workers } : {}),
    mode: config.sandbox.mode,
    ...(config.sandbox.isolation !== undefined ? { isolation: config.sandbox.isolation } : {}),
    subprocesses: config.sandbox.subprocesses,
    // auto's CPython is the sandbox's default interpreter ($CODELOOP_PYTHON or python3), not a
    // demand that it be CPython: a user who points CODELOOP_PYTHON at PyPy gets PyPy.
    ...(await pythonFor(config, log).then((rt) =>
      config.sandbox.python === "auto" && rt === "cpython" ? {} : { python: rt },
    )),
  });
}

/**
 * Leaves out the problems flagged at load with a kind the config excludes; returns the kept
 * ones and the excluded ones with their reasons.
 */
export function excludeFlagged(
  config: RunConfig,
  problems: Problem[],
): { kept: Problem[]; excluded: { id: string; reasons: string[] }[] } {
  const kinds = new Set<string>(config.benchmark.exclude);
  const kept: Problem[] = [];
  const excluded: { id: string; reasons: string[] }[] = [];
  for (const p of problems) {
    const hits = loadFlags(p).filter((f) => kinds.has(f.kind));
    if (hits.length === 0) kept.push(p);
    else excluded.push({ id: p.id, reasons: hits.map((f) => `${f.kind}: ${f.reason}`) });
  }
  return { kept, excluded };
}

/**
 * Runs (or resumes) a run folder: plans every problem's trajectories, plays the unfinished
 * ones with bounded model and sandbox concurrency, stores every turn as it completes, and
 * grades each submission on the hidden tests. A killed run resumes from its committed turns.
 */
export async function runRun(
  target: { folder: string; config?: RunConfig },
  opts: RunOptions = {},
): Promise<RunResult> {
  const t0 = Date.now();
  // The verifier rules read scores: the config's verifier unless the caller brings one. It is
  // built before a new run's folder exists, so a bad reference leaves nothing behind.
  const buildVerifier = (c: RunConfig): ManagedVerifier | undefined => {
    if (opts.verifier || !usesVerifier(c)) return undefined;
    try {
      return verifierFor(c);
    } catch (err) {
      throw new RunAbortedError(`strategy.verifier: ${(err as Error).message}`);
    }
  };
  let ownVerifier = target.config ? buildVerifier(target.config) : undefined;
  let opened: RunStore | undefined;
  try {
    opened = target.config ? RunStore.create(target.folder, target.config) : RunStore.open(target.folder);
    if (!target.config) ownVerifier = buildVerifier(opened.config);
  } catch (err) {
    opened?.close();
    await ownVerifier?.close();
    throw err;
  }
  const store = opened;
  const config = store.config;
  const derivedFrom = store.facts().derivedFrom;
  if (derivedFrom !== undefined) {
    store.close();
    await ownVerifier?.close();
    throw new RunAbortedError(
      `${target.folder} was made by codeloop reselect (${derivedFrom}), not by a run: it has no model turns to continue; re-run the same codeloop reselect to finish it`,
    );
  }
  let verifier: Verifier | undefined = opts.verifier;
  if (ownVerifier) {
    // Scores of one run come from one verifier: a changed model file behind the same
    // reference (its id holds the file's hash) would mix two rankings in one run.
    const before = store.facts().verifier;
    if (before !== undefined && before !== ownVerifier.id) {
      await ownVerifier.close();
      store.close();
      throw new RunAbortedError(
        `${target.folder}: the run's candidates were scored by ${before}, but strategy.verifier now gives ${ownVerifier.id}; start a new run (or reselect this one with the new verifier: codeloop reselect)`,
      );
    }
    store.setFact("verifier", ownVerifier.id);
    verifier = turnVerifier(
      ownVerifier,
      `continue with codeloop run --resume ${target.folder}`,
      (m) => new RunAbortedError(m),
    );
  }
  const log = opts.log ?? (() => {});
  let sandbox: Executor | undefined;
  let model: ChatModel | undefined;
  let normaliser: BackgroundNormaliser | undefined;
  try {
    sandbox = opts.sandbox ?? (await sandboxFor(config, log));
    model = opts.model ?? modelFor(config);
    normaliser =
      opts.normaliseCodes !== false && config.language === "python"
        ? await BackgroundNormaliser.open(normalisedCacheFile(target.folder), { log })
        : undefined;
  } catch (err) {
    // Nothing ran yet: close what was opened, in reverse.
    if (!opts.model) await model?.close();
    if (!opts.sandbox) await sandbox?.close();
    await ownVerifier?.close();
    store.close();
    throw err;
  }
  try {
    store.log(target.config ? "run started" : "run resumed");
    const loaded = opts.problems ?? (await problemsFor(config, sandbox, log));
    if (loaded.length === 0) throw new Error(`no problems in ${config.benchmark.source} match the filters`);
    const { kept: problems, excluded } = excludeFlagged(config, loaded);
    store.recordExcluded(excluded);
    store.setFact("python", pythonLabel(sandbox.python));
    if (excluded.length > 0) {
      const names = excluded.map((e) => e.id);
      const msg = `excluded ${excluded.length} problem(s) flagged ${config.benchmark.exclude.join("/")} (benchmark.exclude): ${names.slice(0, 20).join(", ")}${names.length > 20 ? `, ... (${names.length - 20} more)` : ""}`;
      log(`warning: ${msg}`);
      store.log(msg);
    }
    if (problems.length === 0) {
      throw new Error(
        `every problem of ${config.benchmark.source} is excluded (benchmark.exclude: ${config.benchmark.exclude.join(", ")}); set benchmark.exclude: [] to keep them`,
      );
    }
    store.planProblems(
      problems.map((p) => ({
        id: p.id,
        ...(p.title ? { title: p.title } : {}),
        ...(p.metadata.difficulty ? { difficulty: String(p.metadata.difficulty) } : {}),
        tags: p.metadata.tags ?? [],
      })),
    );
    const byId = new Map(problems.map((p) => [p.id, p]));
    const judge = opts.judge ?? new Judge(sandbox);
    const modelSem = new Semaphore(config.concurrency.model);
    const sandboxSem = new Semaphore(config.concurrency.sandbox ?? judge.capacity);
    const verifierSem = new Semaphore(config.concurrency.verifier ?? 8);

    const counts = store.counts();
    const solved = new Set<string>();
    let acceptedBefore = 0;
    for (const s of iterateSummaries(store)) {
      acceptedBefore += s.accepted;
      if (s.accepted > 0) solved.add(s.problemId);
    }
    const progress: RunProgress = {
      total: counts.total,
      finished: counts.done + counts.failed,
      finishedHere: 0,
      accepted: acceptedBefore,
      solvedProblems: solved.size,
      problems: problems.length,
      promptTokens: 0,
      completionTokens: 0,
      modelErrors: 0,
      failed: counts.failed,
      startedAt: t0,
    };
    const report = () => opts.onProgress?.({ ...progress });
    // Turns in a row whose every request could not reach the model: past this many the server
    // is gone, and going on would only mark every remaining trajectory failed.
    const deadLimit = Math.max(16, 2 * config.concurrency.model);
    let deadTurns = 0;
    // Trajectories in a row failed by the sandbox (see play): past this many it is broken.
    const infraLimit = Math.max(8, 2 * config.concurrency.model);
    let infraInRow = 0;
    let lastInfraError = "";
    let lastDeadError = "";
    report();

    const grade = (p: Problem, code: string): Promise<TestSummary> =>
      sandboxSem.gate(() => gradeSubmission(judge, config, p, code));

    const play = async (key: TrajectoryKey, storedTurns: number, retry: boolean): Promise<void> => {
      const p = byId.get(key.problemId);
      if (!p)
        throw new Error(`problem ${key.problemId} is in the run but no longer in ${config.benchmark.source}`);
      const detail = storedTurns > 0 ? store.trajectoryDetail(key) : undefined;
      const stored = detail?.turns ?? [];
      if (detail && config.grading.gradeEveryTurn) {
        // A kill between a turn's write and its grades leaves them missing: grade them now.
        const graded = new Set(detail.turnGrades.map((g) => `${g.turn}/${g.candidate}`));
        for (const t of stored) {
          for (const c of t.candidates) {
            if (c.code !== null && !graded.has(`${t.index}/${c.index}`)) {
              store.writeGrade(key, t.index, c.index, await grade(p, c.code));
            }
          }
        }
      }
      // What follows a stored turn: progress, the dead-server count, normalising, grades.
      const afterWrite = async (turns: readonly Turn[]) => {
        for (const turn of turns) {
          const sel = turn.candidates.find((c) => c.selected) ?? turn.candidates[0];
          if (sel?.code) normaliser?.add(sel.code);
          const unreachable = turn.candidates.every(
            (c) => c.modelError?.kind === "connection" || c.modelError?.kind === "timeout",
          );
          if (unreachable) {
            deadTurns++;
            lastDeadError = turn.candidates[0]?.modelError?.message ?? "";
          } else deadTurns = 0;
          for (const c of turn.candidates) {
            progress.promptTokens += c.promptTokens;
            progress.completionTokens += c.completionTokens;
            if (c.modelError) progress.modelErrors++;
          }
          if (config.grading.gradeEveryTurn) {
            for (const c of turn.candidates) {
              if (c.code !== null) store.writeGrade(key, turn.index, c.index, await grade(p, c.code));
            }
          }
        }
        report();
      };
      // The sandbox failing twice on a turn's public tests (InfrastructureError, thrown before
      // the turn is stored) fails this trajectory, not the run: the model never saw feedback
      // built on the failure, and `--retry-failed` plays the turn again. Some such failures
      // repeat for one problem (a checker that fails on its own test's answer), so they must
      // not hold the run up; many in a row mean the sandbox itself is broken, and stop it.
      let infra = false;
      const outcome: StrategyOutcome = await playTrajectory(
        {
          problem: p,
          key,
          config,
          model,
          judge,
          limits: limitsFor(config, p),
          modelGate: modelSem.gate,
          sandboxGate: sandboxSem.gate,
          ...(verifier ? { verifier, verifierGate: verifierSem.gate } : {}),
          onTurn: async (turn: Turn) => {
            store.writeTurn(key, turn);
            await afterWrite([turn]);
          },
          onTurns: async (turns: readonly Turn[]) => {
            store.writeTurns(key, turns);
            await afterWrite(turns);
          },
        },
        stored,
        retry,
      ).catch((err: unknown) => {
        if (!(err instanceof InfrastructureError)) throw err;
        infra = true;
        lastInfraError = err.message;
        return { submitted: null, turns: [], error: err.message };
      });
      infraInRow = infra ? infraInRow + 1 : 0;
      const submitted = outcome.submitted;
      const g = submitted ? await grade(p, submitted.code) : undefined;
      // A trajectory cut short by model errors is failed even with a submission (kept, graded):
      // it did not play out as its strategy says, and `--retry-failed` can finish it.
      const failed = outcome.error !== undefined;
      store.finishTrajectory(key, {
        status: failed ? "failed" : "done",
        submitted: submitted ? { turn: submitted.turn, candidate: submitted.candidate } : null,
        ...(outcome.error ? { error: outcome.error } : {}),
        ...(g ? { grade: g } : {}),
      });
      if (retry) {
        // It was counted as finished (and failed) before this retry.
        progress.finished--;
        progress.failed--;
      }
      progress.finished++;
      progress.finishedHere++;
      if (failed) progress.failed++;
      if (g?.verdict === "accepted") {
        progress.accepted++;
        if (!solved.has(key.problemId)) {
          solved.add(key.problemId);
          progress.solvedProblems = solved.size;
        }
      }
      report();
    };

    // Backpressure: trajectories are pulled from the store's paged resume list only while
    // fewer than `window` are in flight, so memory stays bounded however large the run is.
    const window = config.concurrency.model * 2 + (config.concurrency.sandbox ?? judge.capacity);
    const points = store.resumePoints(opts.retryFailed ? { retryFailed: true } : {});
    let firstError: unknown;
    const worker = async () => {
      for (;;) {
        if (opts.signal?.aborted || firstError !== undefined) return;
        if (infraInRow >= infraLimit) {
          firstError ??= new RunAbortedError(
            `the sandbox failed on ${infraInRow} trajectories in a row (${lastInfraError}); check it with 'codeloop doctor', then continue with: codeloop run --resume ${target.folder} --retry-failed`,
          );
          return;
        }
        if (deadTurns >= deadLimit) {
          firstError ??= new RunAbortedError(
            `the model server stopped answering (${deadTurns} turns in a row failed: ${lastDeadError}); continue later with: codeloop run --resume ${target.folder} --retry-failed`,
          );
          return;
        }
        const next = points.next();
        if (next.done) return;
        const rp = next.value;
        try {
          await play(
            { problemId: rp.problemId, trajectory: rp.trajectory },
            rp.turns,
            rp.status === "failed",
          );
        } catch (err) {
          firstError ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
    if (firstError !== undefined) throw firstError;
    store.log(
      `run finished: ${progress.finished}/${progress.total} trajectories, ${progress.accepted} accepted`,
    );
    return { folder: target.folder, progress, wallMs: Date.now() - t0 };
  } finally {
    await normaliser?.close();
    await ownVerifier?.close();
    if (!opts.model) await model.close();
    if (!opts.sandbox) await sandbox.close();
    store.close();
  }
}

function* iterateSummaries(store: RunStore) {
  let after = -1;
  for (;;) {
    const page = store.problemSummaries({ after, limit: 500 });
    yield* page;
    if (page.length < 500) return;
    after = page[page.length - 1]!.ordinal;
  }
}

/** Grades stored code again under a new grade version (`codeloop rejudge`). */
export async function rejudgeRun(
  folder: string,
  opts: {
    all?: boolean;
    sandbox?: Executor;
    judge?: JudgeService;
    problems?: Problem[];
    note?: string;
    onGraded?: (n: number) => void;
    log?: (line: string) => void;
  } = {},
): Promise<{ version: number; graded: number; accepted: number; changed: number }> {
  const store = RunStore.open(folder);
  const config = store.config;
  const sandbox = opts.sandbox ?? (await sandboxFor(config, opts.log));
  try {
    const loaded = opts.problems ?? (await problemsFor(config, sandbox));
    // The problems the run played: the same exclusion as when it ran.
    const { kept: problems } = excludeFlagged(config, loaded);
    const byId = new Map(problems.map((p) => [p.id, p]));
    const judge = opts.judge ?? new Judge(sandbox);
    const sem = new Semaphore(config.concurrency.sandbox ?? judge.capacity);
    const version = store.beginGradeVersion(opts.note ?? "rejudge");
    let graded = 0;
    let accepted = 0;
    let changed = 0;
    const codes = store.storedCodes({ all: opts.all ?? false });
    const worker = async () => {
      for (;;) {
        const n = codes.next();
        if (n.done) return;
        const c = n.value;
        const p = byId.get(c.problemId);
        if (!p) continue;
        const r = await sem.gate(() => gradeSubmission(judge, config, p, c.code));
        store.writeGrade(c, c.turn, c.candidate, r, version);
        graded++;
        if (r.verdict === "accepted") accepted++;
        if (c.grade && c.grade.verdict !== r.verdict) changed++;
        opts.onGraded?.(graded);
      }
    };
    await Promise.all(Array.from({ length: sem.limit * 2 }, worker));
    store.log(
      `rejudge: grade version ${version}, ${graded} graded, ${accepted} accepted, ${changed} changed`,
    );
    return { version, graded, accepted, changed };
  } finally {
    if (!opts.sandbox) await sandbox.close();
    store.close();
  }
}
