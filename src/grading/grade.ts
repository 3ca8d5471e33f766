import { createHash } from "node:crypto";
import { type JudgeResult, type JudgeService, describeFailure } from "../judge/index.js";
import { type Problem, allTests, testCounts } from "../problems/index.js";
import { type ExtractionHow, entryPointOf, extractCode } from "../prompts/index.js";
import { judgeTests } from "../strategies/index.js";
import { problemLimits } from "../validate/index.js";
import type { Sample, SampleIssue } from "./samples.js";
import { JUDGE_VERSION, type TestGroup, type VerdictLine } from "./verdicts.js";

/** A sample matched with its problem, its code extracted when asked: ready to judge. */
export interface GradeJob {
  sample: Sample;
  problem: Problem;
  /** The program to judge; null when extraction found none (graded `no_code`). */
  code: string | null;
  codeSha256: string;
  extraction?: ExtractionHow | "none";
}

export interface PlanOptions {
  /** Pass each code field through the extraction runs use (a raw model answer). */
  extract?: boolean;
  /** Ids the source has but the filters left out: their samples are skipped, not errors. */
  outsideFilters?: ReadonlySet<string>;
}

export interface Plan {
  jobs: GradeJob[];
  /** Samples of problems the filters excluded. */
  skipped: Sample[];
  /**
   * Samples of problems that cannot be judged (a custom validator the package leaves out, a
   * checker without its header): any verdict would be the comparison's mistake, so none is
   * given and pass@k leaves them out.
   */
  unjudgeable: { sample: Sample; reason: string }[];
  issues: SampleIssue[];
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Matches samples to problems. Unknown ids, C++ for a problem graded by calling a Python
 * function, and problems without any test are issues naming the sample's line: a batch is
 * checked whole before anything runs, so a typo does not cost an hour of judging first.
 */
export function planGrading(
  samples: readonly Sample[],
  problems: readonly Problem[],
  opts: PlanOptions = {},
): Plan {
  const byId = new Map(problems.map((p) => [p.id, p]));
  const example = problems[0] ? ` (ids look like ${JSON.stringify(problems[0].id)})` : "";
  const jobs: GradeJob[] = [];
  const skipped: Sample[] = [];
  const unjudgeable: Plan["unjudgeable"] = [];
  const issues: SampleIssue[] = [];
  const noTests = new Set<string>();
  for (const s of samples) {
    const p = byId.get(s.problemId);
    if (!p) {
      if (opts.outsideFilters?.has(s.problemId)) skipped.push(s);
      else
        issues.push({ line: s.line, message: `unknown problem id ${JSON.stringify(s.problemId)}${example}` });
      continue;
    }
    if (p.metadata.unjudgeable) {
      unjudgeable.push({ sample: s, reason: p.metadata.unjudgeable });
      continue;
    }
    const kinds = new Set([p.judge.kind, ...allTests(p).map((t) => t.kind)]);
    if (s.language !== "python" && (kinds.size !== 1 || !kinds.has("stdio"))) {
      issues.push({
        line: s.line,
        message: `language ${s.language}: problem ${p.id} is graded by calling a Python function, so only Python can be judged`,
      });
      continue;
    }
    const c = testCounts(p);
    if (c.public + c.private + c.generated + c.pending === 0) {
      if (!noTests.has(p.id))
        issues.push({ line: s.line, message: `problem ${p.id} has no tests to grade on` });
      noTests.add(p.id);
      continue;
    }
    if (!opts.extract) {
      jobs.push({ sample: s, problem: p, code: s.code, codeSha256: sha256(s.code) });
      continue;
    }
    const entryPoint = entryPointOf(p);
    const ex = extractCode(s.code, s.language, entryPoint ? { entryPoint } : {});
    jobs.push({
      sample: s,
      problem: p,
      code: ex.code,
      codeSha256: sha256(ex.code ?? ""),
      extraction: ex.how,
    });
  }
  return { jobs, skipped, unjudgeable, issues };
}

export interface GradeProgress {
  done: number;
  total: number;
  accepted: number;
  infrastructure: number;
  testsRun: number;
  startedAt: number;
}

export interface GradeOptions {
  judge: JudgeService;
  /** The Python runtime's label, recorded in every line. */
  python: string;
  /** Judge calls in flight (default twice the sandbox's workers, so none idles between calls). */
  concurrency?: number;
  /** Called as each sample finishes, in completion order: append it to the verdicts file here. */
  onVerdict: (v: VerdictLine) => void;
  onProgress?: (p: GradeProgress) => void;
  /** Stop starting new samples when it fires; the ones in flight finish and are reported. */
  signal?: AbortSignal;
}

export interface GradeStats {
  judged: number;
  accepted: number;
  infrastructure: number;
  /** Every test run, retries included. */
  testsRun: number;
  cpuMsTotal: number;
  wallMs: number;
  /** The signal stopped it before every job was judged. */
  stopped: boolean;
}

function groupOf(p: Problem, test: number): TestGroup {
  if (test < p.tests.public.length) return "public";
  return test < p.tests.public.length + p.tests.private.length ? "private" : "generated";
}

function clip(s: string, n = 500): string {
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
}

/** The verdict line of a judge result. */
export function verdictLine(job: GradeJob, r: JudgeResult, python: string, wallMs: number): VerdictLine {
  let cpuMsTotal = 0;
  let cpuMsMax = 0;
  for (const t of r.tests) {
    cpuMsTotal += t.record.cpuMs;
    cpuMsMax = Math.max(cpuMsMax, t.record.cpuMs);
  }
  const bad = r.tests.find((t) => t.verdict !== "accepted");
  let firstFailure: VerdictLine["firstFailure"];
  if (bad) {
    firstFailure = {
      test: bad.index,
      group: groupOf(job.problem, bad.index),
      ...(bad.name !== undefined ? { name: bad.name } : {}),
      verdict: bad.verdict,
      ...(bad.message !== undefined ? { message: clip(bad.message) } : {}),
    };
  } else if (r.verdict === "compile_error" && r.compile) {
    firstFailure = { verdict: "compile_error", message: clip(describeFailure(r.compile)) };
  }
  return {
    problemId: job.sample.problemId,
    index: job.sample.index,
    language: job.sample.language,
    codeSha256: job.codeSha256,
    verdict: r.verdict,
    passed: r.passed,
    total: r.total,
    ...(firstFailure ? { firstFailure } : {}),
    cpuMsTotal: Math.round(cpuMsTotal),
    cpuMsMax: Math.round(cpuMsMax),
    wallMs: Math.round(wallMs),
    testsRun: r.tests.length,
    judgeVersion: JUDGE_VERSION,
    python,
    ...(job.extraction ? { extraction: job.extraction } : {}),
    ...(r.infrastructureFailure ? { infrastructure: true as const } : {}),
  };
}

/**
 * Grades one job on every test of its problem (public, private and generated), stopping at
 * the first failure, with the problem's own limits: the grading of `codeloop run` (the same
 * judgeTests), on all tests rather than the hidden ones since none were shown to the model
 * here. A sandbox failure is retried once before it is reported as infrastructure.
 */
export async function gradeJob(
  judge: JudgeService,
  job: GradeJob,
  python: string,
): Promise<{ line: VerdictLine; testsRun: number }> {
  const t0 = performance.now();
  const tests = allTests(job.problem);
  if (job.code === null) {
    const line: VerdictLine = {
      problemId: job.sample.problemId,
      index: job.sample.index,
      language: job.sample.language,
      codeSha256: job.codeSha256,
      verdict: "no_code",
      passed: 0,
      total: tests.length,
      firstFailure: { verdict: "no_code", message: "no code found in the answer" },
      cpuMsTotal: 0,
      cpuMsMax: 0,
      wallMs: 0,
      testsRun: 0,
      judgeVersion: JUDGE_VERSION,
      python,
      extraction: "none",
    };
    return { line, testsRun: 0 };
  }
  const limits = problemLimits(job.problem);
  const run = () => judgeTests(judge, job.problem, tests, job.code!, job.sample.language, limits, true);
  let r = await run();
  let testsRun = r.tests.length;
  if (r.infrastructureFailure) {
    r = await run();
    testsRun += r.tests.length;
  }
  return { line: verdictLine(job, r, python, performance.now() - t0), testsRun };
}

/**
 * Grades jobs with bounded concurrency, reporting each verdict as soon as it is known (in any
 * order), so that what was graded survives a kill. The first error thrown by the judge stops
 * the rest (the samples in flight finish first) and is rethrown.
 */
export async function gradeSamples(jobs: readonly GradeJob[], opts: GradeOptions): Promise<GradeStats> {
  const t0 = Date.now();
  const stats: GradeStats = {
    judged: 0,
    accepted: 0,
    infrastructure: 0,
    testsRun: 0,
    cpuMsTotal: 0,
    wallMs: 0,
    stopped: false,
  };
  const progress = (): GradeProgress => ({
    done: stats.judged,
    total: jobs.length,
    accepted: stats.accepted,
    infrastructure: stats.infrastructure,
    testsRun: stats.testsRun,
    startedAt: t0,
  });
  opts.onProgress?.(progress());
  let next = 0;
  let firstError: unknown;
  const lane = async () => {
    while (next < jobs.length && firstError === undefined) {
      if (opts.signal?.aborted) {
        stats.stopped = true;
        return;
      }
      const job = jobs[next++]!;
      try {
        const { line, testsRun } = await gradeJob(opts.judge, job, opts.python);
        opts.onVerdict(line);
        stats.judged++;
        stats.testsRun += testsRun;
        stats.cpuMsTotal += line.cpuMsTotal;
        if (line.infrastructure) stats.infrastructure++;
        else if (line.verdict === "accepted") stats.accepted++;
        opts.onProgress?.(progress());
      } catch (err) {
        firstError ??= err;
      }
    }
  };
  const lanes = Math.max(1, opts.concurrency ?? 2 * opts.judge.capacity);
  await Promise.all(Array.from({ length: Math.min(lanes, jobs.length) }, lane));
  stats.wallMs = Date.now() - t0;
  if (firstError !== undefined) throw firstError;
  return stats;
}
