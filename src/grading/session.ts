import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import type { JudgeService } from "../judge/index.js";
import { type GradeJob, type GradeProgress, type GradeStats, gradeSamples } from "./grade.js";
import { type GradingSummary, summarizeVerdicts } from "./summary.js";
import { JUDGE_VERSION, type ResumeResult, VerdictWriter, resumeVerdicts, verdictKey } from "./verdicts.js";

export interface GradeFileOptions {
  judge: JudgeService;
  /** The Python runtime's label (`pythonLabel(sandbox.python)`). */
  python: string;
  /** The verdicts file: resumed when it exists, appended to as samples finish. */
  out: string;
  jobs: readonly GradeJob[];
  /** Problems whose lines an earlier run wrote stay in the file untouched (outside the filters). */
  untouched?: ReadonlySet<string>;
  /** Problem ids in the source's order, for the summary. */
  order?: readonly string[];
  concurrency?: number;
  onProgress?: (p: GradeProgress) => void;
  /** Called once the resume is known, before any sample is judged. */
  onResume?: (r: ResumeResult, toJudge: number) => void;
  signal?: AbortSignal;
}

export interface GradeFileResult extends GradingSummary {
  judgeVersion: string;
  python: string;
  out: string;
  /** Samples in the input (skipped ones excluded), kept from an earlier run, and judged now. */
  samplesTotal: number;
  reused: number;
  judged: number;
  stopped: boolean;
  wallSeconds: number;
  samplesPerSecond: number;
  testsRun: number;
  testsPerSecond: number;
  cpuSecondsTotal: number;
}

/**
 * Grades jobs into a verdicts file: keeps what an earlier (possibly killed) run already wrote
 * for the same samples and judge, judges the rest with every verdict appended as it is known,
 * then summarises the whole file's worth of verdicts. Rates count this run's work only.
 */
export async function gradeToFile(opts: GradeFileOptions): Promise<GradeFileResult> {
  const resume = resumeVerdicts(
    opts.out,
    opts.jobs.map((j) => ({
      problemId: j.sample.problemId,
      index: j.sample.index,
      language: j.sample.language,
      codeSha256: j.codeSha256,
    })),
    { judgeVersion: JUDGE_VERSION, python: opts.python },
    opts.untouched,
  );
  const todo = opts.jobs.filter((j) => !resume.kept.has(verdictKey(j.sample.problemId, j.sample.index)));
  opts.onResume?.(resume, todo.length);
  const fresh: Parameters<VerdictWriter["append"]>[0][] = [];
  const writer = new VerdictWriter(opts.out);
  let stats: GradeStats;
  try {
    stats = await gradeSamples(todo, {
      judge: opts.judge,
      python: opts.python,
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onVerdict: (v) => {
        writer.append(v);
        fresh.push(v);
      },
    });
  } finally {
    writer.close();
  }
  const summary = summarizeVerdicts([...resume.kept.values(), ...fresh], opts.order ?? []);
  const secs = stats.wallMs / 1000;
  const rate = (n: number) => (secs > 0 ? Number((n / secs).toFixed(1)) : 0);
  return {
    judgeVersion: JUDGE_VERSION,
    python: opts.python,
    out: opts.out,
    samplesTotal: opts.jobs.length,
    reused: resume.kept.size,
    judged: stats.judged,
    stopped: stats.stopped,
    wallSeconds: Number(secs.toFixed(2)),
    samplesPerSecond: rate(stats.judged),
    testsRun: stats.testsRun,
    testsPerSecond: rate(stats.testsRun),
    cpuSecondsTotal: Number((stats.cpuMsTotal / 1000).toFixed(2)),
    ...summary,
  };
}

/** `x.verdicts.jsonl` -> `x.verdicts.summary.json` (any other name gets `.summary.json` added). */
export function summaryFileFor(out: string): string {
  return `${out.replace(/\.jsonl$/, "")}.summary.json`;
}

/** Writes JSON through a temporary file and a rename: a reader never sees half a summary. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
