import { Judge, type JudgeResult } from "../judge/judge.js";
import type { PyValue } from "../judge/pyvalue.js";
import type { JudgeService } from "../judge/service.js";
import type { TestCase, Verdict } from "../judge/types.js";
import {
  type ComputeExpected,
  type Problem,
  type ReferenceSolution,
  allTests,
  judgeFor,
  kattisTimeLimit,
  loadFlags,
} from "../problems/index.js";
import { DEFAULT_LIMITS, type Executor, type SandboxLimits, pythonLabel } from "../sandbox/index.js";

/** Languages the sandbox can run; other reference solutions are counted as skipped. */
const RUNNABLE = new Set(["python", "cpp"]);

/** Limits for a problem's programs, from its own time and memory limits. */
export function problemLimits(p: Problem): SandboxLimits {
  return {
    ...DEFAULT_LIMITS,
    timeMs: Math.round(p.limits.timeLimitSec * 1000),
    memoryMb: p.limits.memoryLimitMb,
  };
}

/**
 * The real `computeExpected` for HumanEval+/MBPP+: runs the canonical solution on every input
 * in the sandbox (one request for the whole list) and returns what it returned. The canonical
 * solution gets generous limits (EvalPlus computed its outputs without any); an input it still
 * fails on gives null, and the loader leaves that test out with a warning.
 */
export function sandboxComputeExpected(sandbox: Executor): ComputeExpected {
  return async (problem, code, argsList) => {
    const entryPoint = problem.pendingExpected?.entryPoint;
    if (!entryPoint) throw new Error(`problem ${problem.id} has no entry point for expected outputs`);
    const base = problemLimits(problem);
    const limits = {
      ...base,
      timeMs: Math.max(base.timeMs, 20_000),
      memoryMb: Math.max(base.memoryMb, 4096),
    };
    const runs = await sandbox.run({
      program: { kind: "python", source: code },
      mode: "function",
      entryPoint,
      tests: argsList.map((args) => ({ args })),
      limits,
    });
    if (runs.some((r) => r.record.verdict === "sandbox_error")) {
      throw new Error(`the sandbox failed while running the canonical solution of ${problem.id}`);
    }
    return runs.map((r): PyValue | null =>
      r.record.verdict === "ok" && r.record.returnValue ? r.record.returnValue : null,
    );
  };
}

export interface SolutionRun {
  verdict: Verdict;
  /**
   * Verdict per test, in test order. Solutions expected to pass run every test; solutions
   * expected to fail stop at their first failing test, so their list can be shorter than total.
   */
  tests: Verdict[];
  passed: number;
  total: number;
  /** The program's own CPU time, summed over tests, and its slowest test. */
  cpuMs: number;
  maxTestCpuMs: number;
  message?: string;
}

export interface SolutionReport {
  index: number;
  language: string;
  /** What the dataset says the solution does. */
  label: string;
  /** What ran it: "PyPy 7.3.11 (Python 3.9.16)", "CPython 3.11.7", "C++17 (g++)". */
  runtime: string;
  /** Expected outcome: accepted for correct solutions, rejected for the rest. */
  expect: "accepted" | "rejected";
  /** One entry per repeat. */
  runs: SolutionRun[];
  /** Every repeat gave the expected outcome. */
  ok: boolean;
  path?: string;
}

export interface ProblemFlag {
  kind:
    | "needs-checker"
    | "interactive"
    | "gold-rejected"
    | "incorrect-accepted"
    | "flaky"
    | "infrastructure"
    | "slow-gold"
    /** The problem cannot be judged at all (its output validator does not build). */
    | "unjudgeable";
  reason: string;
}

export interface ProblemReport {
  id: string;
  title: string;
  timeLimitSec: number;
  timeLimitOrigin: string;
  tests: number;
  solutions: SolutionReport[];
  skippedSolutions: number;
  /** Tests whose verdict changed between repeats, per solution index. */
  flakyTests: { solution: number; tests: number[] }[];
  flags: ProblemFlag[];
  /** The problem cannot be judged (known at load, or its validator does not build). */
  unjudgeable?: boolean;
}

export interface ValidateReport {
  problems: number;
  /** Problems that cannot be judged, counted apart (their solutions are not run). */
  unjudgeable: number;
  /** The Python runtime that judged Python solutions. */
  python: string;
  solutionsRun: number;
  correctAccepted: number;
  correctTotal: number;
  incorrectRejected: number;
  incorrectTotal: number;
  /** Solutions with at least one test that flipped between repeats. */
  flaky: number;
  skippedSolutions: Record<string, number>;
  testsRun: number;
  wallSeconds: number;
  testsPerSecond: number;
  /** The programs' own CPU time (rusage of each test's process), summed. */
  cpuSecondsTotal: number;
  workers: number;
  mode: string;
  isolation: string;
  repeat: number;
  infrastructureFailures: number;
  perProblem: ProblemReport[];
}

export interface ValidateOptions {
  /** Judge every solution this many times (flaky-test detection). */
  repeat?: number;
  /** Judge calls in flight; default twice the sandbox's workers, so no worker idles. */
  concurrency?: number;
  /** Called after each problem. */
  onProblem?: (report: ProblemReport, done: number, total: number) => void;
  /**
   * Time limit (s) used when the dataset gives none (origin "default", e.g. CodeContests rows
   * with a null time_limit): gold solutions are not the ones to blame for a limit codeloop
   * made up, so validate measures them under this generous limit and flags those slower than
   * the default that runs use. Default 30 s.
   */
  unknownTimeLimitSec?: number;
  /**
   * Judges the solutions instead of a local Judge over `sandbox` (e.g. a QueueJudge); the
   * sandbox still computes expected outputs and names the runtime. Concurrency then defaults
   * to its capacity.
   */
  judge?: JudgeService;
}

function expectation(s: ReferenceSolution): "accepted" | "rejected" {
  return s.verdict === "accepted" ? "accepted" : "rejected";
}

/** Consecutive runs of tests of one kind (HumanEval+/MBPP+ mix function and assert tests). */
function splitByKind(tests: TestCase[]): TestCase[][] {
  const groups: TestCase[][] = [];
  for (const t of tests) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.kind === t.kind) last.push(t);
    else groups.push([t]);
  }
  return groups;
}

function chunks<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function summarize(results: JudgeResult[], total: number): SolutionRun {
  const tests: Verdict[] = [];
  let cpuMs = 0;
  let maxTestCpuMs = 0;
  let message: string | undefined;
  for (const r of results) {
    if (r.compile) {
      return {
        verdict: "compile_error",
        tests: new Array(total).fill("compile_error"),
        passed: 0,
        total,
        cpuMs: 0,
        maxTestCpuMs: 0,
        message: r.compile.stderr.split("\n").slice(0, 3).join(" "),
      };
    }
    for (const t of r.tests) {
      tests.push(t.verdict);
      cpuMs += t.record.cpuMs;
      maxTestCpuMs = Math.max(maxTestCpuMs, t.record.cpuMs);
      if (t.verdict !== "accepted" && message === undefined)
        message = `test ${tests.length}: ${t.message ?? t.verdict}`;
    }
  }
  const bad = tests.find((v) => v !== "accepted");
  return {
    verdict: bad ?? "accepted",
    tests,
    passed: tests.filter((v) => v === "accepted").length,
    total,
    cpuMs,
    maxTestCpuMs,
    message,
  };
}

/**
 * Runs every reference solution of every problem through the sandbox and judge: correct ones
 * must be accepted, incorrect and too-slow ones rejected. Kattis problems whose time limit is
 * time_multiplier x the slowest accepted submission get it measured here first.
 */
export async function validateProblems(
  sandbox: Executor,
  problems: Problem[],
  options: ValidateOptions = {},
): Promise<ValidateReport> {
  const judge = options.judge ?? new Judge(sandbox);
  const runtimeOf = (language: string) =>
    language === "python" ? pythonLabel(sandbox.python) : language === "cpp" ? "C++17 (g++)" : language;
  const repeat = Math.max(1, options.repeat ?? 1);
  const concurrency = Math.max(1, options.concurrency ?? (options.judge ? judge.capacity : sandbox.size * 2));
  const t0 = performance.now();
  const skipped: Record<string, number> = {};
  let testsRun = 0;
  let cpuMs = 0;
  let infra = 0;
  let done = 0;

  // A small pool of judge calls: enough in flight to keep every sandbox worker busy.
  let active = 0;
  const queue: (() => void)[] = [];
  const slot = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= concurrency) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };

  const runSolution = async (p: Problem, tests: TestCase[], s: ReferenceSolution, limits: SandboxLimits) => {
    const submission = { language: s.language, code: s.code };
    const judgeTests = (part: TestCase[], stop: boolean) =>
      judge.judge(judgeFor(p, part[0]!), part, submission, { limits, stopOnFirstFailure: stop });
    let results: JudgeResult[];
    if (expectation(s) === "rejected") {
      // A solution that should fail needs only its first failure to be rejected.
      results = await slot(async () => {
        const out: JudgeResult[] = [];
        for (const group of splitByKind(tests)) {
          const r = await judgeTests(group, true);
          out.push(r);
          if (r.verdict !== "accepted") break;
        }
        return out;
      });
    } else {
      // Every test runs; a large set is cut into one piece per worker so that one slow
      // solution does not keep a single worker busy while the others idle.
      const pieces = splitByKind(tests).flatMap((g) => chunks(g, Math.ceil(g.length / judge.slots)));
      results = await Promise.all(pieces.map((part) => slot(() => judgeTests(part, false))));
    }
    const run = summarize(results, tests.length);
    for (const r of results) {
      testsRun += r.tests.length;
      if (r.infrastructureFailure) infra++;
    }
    cpuMs += run.cpuMs;
    return run;
  };

  /** A problem the judge cannot judge: reported as such, and the rest of the set goes on. */
  const unjudgeable = (p: Problem, err: unknown): ProblemReport => ({
    unjudgeable: true,
    id: p.id,
    title: p.title,
    timeLimitSec: p.limits.timeLimitSec,
    timeLimitOrigin: p.limits.timeLimitOrigin,
    tests: allTests(p).length,
    solutions: [],
    skippedSolutions: p.solutions.length,
    flakyTests: [],
    flags: [{ kind: "unjudgeable", reason: err instanceof Error ? err.message : String(err) }],
  });

  const validateOne = async (p: Problem): Promise<ProblemReport> => {
    // Known at load: running its solutions would only measure the comparison's mistakes.
    if (p.metadata.unjudgeable) {
      const r = unjudgeable(p, `${p.metadata.unjudgeable} (solutions not run)`);
      r.flags.push(...loadFlags(p).filter((f) => f.kind !== "unjudgeable"));
      skipped.unjudgeable = (skipped.unjudgeable ?? 0) + p.solutions.length;
      return r;
    }
    const tests = allTests(p);
    let limits = problemLimits(p);
    const runnable = p.solutions
      .map((s, index) => ({ s, index }))
      .filter(({ s }) => RUNNABLE.has(s.language));
    for (const s of p.solutions) {
      if (!RUNNABLE.has(s.language)) skipped[s.language] = (skipped[s.language] ?? 0) + 1;
    }
    const runs = new Map<number, SolutionRun[]>();
    let timeLimitSec = p.limits.timeLimitSec;
    let timeLimitOrigin: string = p.limits.timeLimitOrigin;
    const kattisToMeasure =
      p.benchmark === "kattis" &&
      p.limits.timeLimitOrigin === "default" &&
      p.limits.timeMultiplier !== undefined;
    if (p.limits.timeLimitOrigin === "default" && !kattisToMeasure) {
      timeLimitSec = options.unknownTimeLimitSec ?? 30;
      timeLimitOrigin = `none in the dataset: validated with ${timeLimitSec} s (runs use the ${p.limits.timeLimitSec} s default)`;
      limits = { ...limits, timeMs: timeLimitSec * 1000 };
    }
    if (kattisToMeasure) {
      // Measure the accepted submissions under a generous limit, then derive the real one.
      const generous = { ...limits, timeMs: 30_000, wallMs: 60_000 };
      const accepted = runnable.filter(({ s }) => s.verdict === "accepted");
      const first = await Promise.all(accepted.map(({ s }) => runSolution(p, tests, s, generous)));
      accepted.forEach(({ index }, k) => runs.set(index, [first[k]!]));
      const slowest =
        Math.max(0, ...first.filter((r) => r.verdict === "accepted").map((r) => r.maxTestCpuMs)) / 1000;
      const measured = kattisTimeLimit(p.limits, slowest);
      timeLimitSec = measured.timeLimitSec;
      timeLimitOrigin = `measured (${measured.timeMultiplier ?? p.limits.timeMultiplier} x slowest accepted ${slowest.toFixed(3)} s)`;
      limits = { ...limits, timeMs: timeLimitSec * 1000 };
    }
    await Promise.all(
      runnable.map(async ({ s, index }) => {
        const have = runs.get(index) ?? [];
        const more = await Promise.all(
          Array.from({ length: repeat - have.length }, () => runSolution(p, tests, s, limits)),
        );
        runs.set(index, [...have, ...more]);
      }),
    );
    const solutions: SolutionReport[] = runnable.map(({ s, index }) => {
      const rs = runs.get(index)!;
      const want = expectation(s);
      const ok = rs.every((r) => (want === "accepted" ? r.verdict === "accepted" : r.verdict !== "accepted"));
      return {
        index,
        language: s.language,
        label: String(s.verdict),
        runtime: runtimeOf(s.language),
        expect: want,
        runs: rs,
        ok,
        path: s.path,
      };
    });
    const flakyTests: ProblemReport["flakyTests"] = [];
    for (const sol of solutions) {
      const flips: number[] = [];
      const judged = Math.min(...sol.runs.map((r) => r.tests.length));
      for (let t = 0; t < judged; t++) {
        if (new Set(sol.runs.map((r) => r.tests[t])).size > 1) flips.push(t + 1);
      }
      if (flips.length) flakyTests.push({ solution: sol.index, tests: flips });
    }
    const flags: ProblemFlag[] = loadFlags(p);
    for (const sol of solutions) {
      const last = sol.runs[sol.runs.length - 1]!;
      if (sol.expect === "accepted" && !sol.ok) {
        const wrong = last.tests.filter((v) => v === "wrong_answer").length;
        flags.push({
          kind: "gold-rejected",
          reason: `${sol.language} solution #${sol.index} (labelled accepted) got ${last.verdict} (${last.passed}/${last.total} tests passed)${wrong && last.verdict === "wrong_answer" ? ": probably several valid answers, needs a checker" : ""}${last.message ? `; first failure ${last.message}` : ""}`,
        });
      }
      if (sol.expect === "rejected" && !sol.ok) {
        flags.push({
          kind: "incorrect-accepted",
          reason: `${sol.language} solution #${sol.index} labelled ${sol.label} was accepted: tests too weak or limit too generous`,
        });
      }
      if (last.tests.includes("sandbox_error")) {
        flags.push({
          kind: "infrastructure",
          reason: `sandbox failures while judging solution #${sol.index}`,
        });
      }
    }
    if (p.limits.timeLimitOrigin === "default" && !kattisToMeasure) {
      const slowest = Math.max(
        0,
        ...solutions.filter((x) => x.expect === "accepted").flatMap((x) => x.runs.map((r) => r.maxTestCpuMs)),
      );
      if (slowest > p.limits.timeLimitSec * 1000) {
        flags.push({
          kind: "slow-gold",
          reason: `the dataset gives no time limit; the gold solution needs ${(slowest / 1000).toFixed(2)} s on its slowest test, above the ${p.limits.timeLimitSec} s default that runs use`,
        });
      }
    }
    if (flakyTests.length) {
      flags.push({
        kind: "flaky",
        reason: flakyTests
          .map((f) => `solution #${f.solution}: tests ${f.tests.join(", ")} changed verdict between repeats`)
          .join("; "),
      });
    }
    return {
      id: p.id,
      title: p.title,
      timeLimitSec,
      timeLimitOrigin,
      tests: tests.length,
      solutions,
      skippedSolutions: p.solutions.length - runnable.length,
      flakyTests,
      flags,
    };
  };

  // Largest work first (tests x solutions), so the run does not end on one long straggler.
  const work = (p: Problem) => allTests(p).length * Math.max(1, p.solutions.length);
  const order = problems.map((p, i) => ({ p, i })).sort((a, b) => work(b.p) - work(a.p));
  const reports: ProblemReport[] = new Array(problems.length);
  await Promise.all(
    order.map(async ({ p, i }) => {
      const r = await validateOne(p).catch((err: unknown) => {
        // A judge service out of reach (a QueueError: `resumable`) says nothing of the problem.
        if ((err as { resumable?: unknown } | null)?.resumable === true) throw err;
        return unjudgeable(p, err);
      });
      reports[i] = r;
      done++;
      options.onProblem?.(r, done, problems.length);
    }),
  );
  const perProblem = reports;
  const wallSeconds = (performance.now() - t0) / 1000;
  const all = perProblem.flatMap((p) => p.solutions);
  const correct = all.filter((s) => s.expect === "accepted");
  const incorrect = all.filter((s) => s.expect === "rejected");
  return {
    problems: problems.length,
    unjudgeable: perProblem.filter((p) => p.unjudgeable).length,
    python: pythonLabel(sandbox.python),
    solutionsRun: all.length,
    correctAccepted: correct.filter((s) => s.ok).length,
    correctTotal: correct.length,
    incorrectRejected: incorrect.filter((s) => s.ok).length,
    incorrectTotal: incorrect.length,
    flaky: perProblem.reduce((a, p) => a + p.flakyTests.length, 0),
    skippedSolutions: skipped,
    testsRun,
    wallSeconds: Number(wallSeconds.toFixed(3)),
    testsPerSecond: Number((testsRun / wallSeconds).toFixed(1)),
    cpuSecondsTotal: Number((cpuMs / 1000).toFixed(3)),
    workers: judge.slots,
    mode: sandbox.mode,
    isolation: sandbox.isolation.kind,
    repeat,
    infrastructureFailures: infra,
    perProblem,
  };
}
