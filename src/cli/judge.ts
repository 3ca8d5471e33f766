import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import {
  type GradeFileResult,
  type GradeProgress,
  type ResumeResult,
  SamplesError,
  VerdictsFileError,
  gradeToFile,
  planGrading,
  readSamples,
  summaryFileFor,
  writeJsonAtomic,
} from "../grading/index.js";
import { Judge } from "../judge/judge.js";
import {
  type Problem,
  ProblemLoadError,
  allTests,
  computeExpectedOutputs,
  defaultCacheDir,
} from "../problems/index.js";
import { pythonForFormat } from "../runs/index.js";
import { type PythonRuntime, pythonLabel } from "../sandbox/index.js";
import { sandboxComputeExpected } from "../validate/index.js";
import { CliError } from "./errors.js";
import { type FilterOptions, filtersOf, load, loadOptions, withFilters } from "./problems.js";
import { type ProgressPrinter, progressPrinterFor } from "./progress.js";
import { stopOnCtrlC } from "./run.js";
import { type SandboxCliOptions, startSandbox, withSandboxOptions } from "./sandbox-options.js";
import { queueError, queueJudgeFor, withQueueOptions } from "./worker.js";

interface JudgeCliOptions extends FilterOptions, SandboxCliOptions {
  queue?: string;
  queueCapacity?: string;
  queueName?: string;
  secretFile?: string;
  out?: string;
  extract?: boolean;
  json?: boolean;
}

/** `samples.jsonl` -> `samples.verdicts.jsonl`, beside the input. */
export function defaultOut(samples: string): string {
  return `${samples.replace(/\.jsonl$/, "")}.verdicts.jsonl`;
}

/** Whether any filter that selects problems was given (--seed alone selects nothing). */
function filtering(o: FilterOptions): boolean {
  return [o.split, o.ids, o.difficulty, o.from, o.to, o.tags, o.limit, o.sample].some((v) => v !== undefined);
}

function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "--";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** One progress line, in the style of `codeloop run`'s; `bar` adds the text bar for terminals. */
export function judgeProgressLine(p: GradeProgress, bar: boolean, now = Date.now()): string {
  const frac = p.total > 0 ? p.done / p.total : 1;
  const elapsed = now - p.startedAt;
  const rate = elapsed > 0 ? (p.done * 1000) / elapsed : 0;
  const left = p.total - p.done;
  const eta = p.done > 0 ? (elapsed / p.done) * left : Number.NaN;
  const width = 24;
  const filled = Math.round(frac * width);
  const head = bar ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ` : "";
  const infra = p.infrastructure ? `, ${p.infrastructure} sandbox failures` : "";
  return `${head}${p.done}/${p.total} samples (${Math.floor(frac * 100)}%) ${rate.toFixed(1)} samples/s elapsed ${duration(elapsed)} ETA ${left === 0 ? "0s" : duration(eta)} | accepted ${p.accepted}${infra}`;
}

/** A redrawn line on a terminal; otherwise a timestamped line at each 5 % and at the end. */
function progressPrinter(): ProgressPrinter<GradeProgress> {
  let lastStep = -1;
  return progressPrinterFor<GradeProgress>({
    line: judgeProgressLine,
    finished: (p) => p.done >= p.total,
    // Plain log lines: one at each 5 % of the samples.
    logNow: (p) => {
      const step = p.total > 0 ? Math.floor((p.done / p.total) * 20) : 20;
      if (step === lastStep) return false;
      lastStep = step;
      return true;
    },
  });
}

function resumeMessage(r: ResumeResult, toJudge: number, out: string): string {
  const d = r.dropped;
  const why = [
    d.changed && `${d.changed} changed`,
    d.infrastructure && `${d.infrastructure} sandbox failures`,
    d.otherJudge && `${d.otherJudge} from another judge version or Python runtime`,
    d.notInSamples && `${d.notInSamples} not in the samples`,
    d.duplicate && `${d.duplicate} duplicates`,
    d.truncated && "a cut-off last line",
  ].filter(Boolean);
  const left = r.preserved ? `; ${r.preserved} lines of problems outside the filters left as they are` : "";
  return `resuming ${out}: ${r.kept.size} verdicts kept, ${toJudge} samples to judge${why.length ? ` (dropped: ${why.join(", ")})` : ""}${left}`;
}

function formatSummary(r: GradeFileResult): string {
  const ks = r.ks;
  const rows = [["PROBLEM", "SAMPLES", "ACCEPTED", ...ks.map((k) => `PASS@${k}`)]];
  for (const p of r.perProblem) {
    rows.push([
      p.problemId,
      String(p.n) + (p.infrastructure ? ` (+${p.infrastructure} failed)` : ""),
      String(p.c),
      ...ks.map((k) => (p.passAtK[String(k)] ?? Number.NaN).toFixed(3)),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const table = rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd(),
  );
  const overall = ks.map((k) => `pass@${k} ${r.passAtK[String(k)]!.toFixed(3)}`).join(", ");
  const verdicts = Object.entries(r.verdicts)
    .sort((a, b) => b[1]! - a[1]!)
    .map(([v, n]) => `${v} ${n}`)
    .join(", ");
  return [
    ...table,
    "",
    `overall     ${r.problems} problems, ${r.samples} samples${overall ? `: ${overall}` : ""}`,
    `verdicts    ${verdicts || "(none)"}`,
    `judged      ${r.judged} now, ${r.reused} kept from ${r.out}; ${r.testsRun} tests in ${r.wallSeconds} s (${r.samplesPerSecond} samples/s, ${r.testsPerSecond} tests/s) with ${r.python}`,
    "",
  ].join("\n");
}

/** `codeloop judge`: grades a samples file made by another pipeline; see docs/judge.md. */
export function registerJudge(program: Command): void {
  withQueueOptions(withSandboxOptions(withFilters(program.command("judge <source> <samples>")), true))
    .description(
      "grade code generated elsewhere (JSONL samples: task_id/problem_id/id + solution/code/completion) on every test of its problem; verdicts JSONL and pass@k",
    )
    .option("--out <file>", "verdicts JSONL, resumed when it exists (default: <samples>.verdicts.jsonl)")
    .option("--extract", "the code field is a raw model answer: take the program out of it as runs do")
    .option("--json", "print the summary as JSON instead of a table")
    .action(async (source: string, samplesFile: string, opts: JudgeCliOptions) => {
      const out = opts.out ?? defaultOut(samplesFile);
      if (resolve(out) === resolve(samplesFile)) {
        throw new CliError(`--out ${out} is the samples file itself: choose another verdicts file`);
      }
      if (!existsSync(dirname(resolve(out)))) {
        throw new CliError(`--out ${out}: the folder ${dirname(resolve(out))} does not exist`);
      }
      const filters = filtersOf(opts);
      const lopts = loadOptions(opts);
      let read: Awaited<ReturnType<typeof readSamples>>;
      try {
        read = await readSamples(samplesFile);
      } catch (err) {
        if (err instanceof SamplesError) throw new CliError(err.message);
        throw err;
      }
      const samples = read.samples;
      const problems = await load(source, filters, lopts);
      if (problems.length === 0) throw new CliError(`no problems in ${source} match the filters`);
      // Ids the filters left out are skipped; only ids the source lacks altogether are errors.
      const loaded = new Set(problems.map((p) => p.id));
      const missing = [...new Set(samples.map((s) => s.problemId).filter((id) => !loaded.has(id)))];
      const outside =
        missing.length > 0 && filtering(opts)
          ? new Set((await load(source, { ids: missing }, lopts)).map((p) => p.id))
          : new Set<string>();
      const plan = planGrading(samples, problems, {
        extract: opts.extract === true,
        outsideFilters: outside,
      });
      // Malformed lines and ids no problem has are listed together, by line.
      const issues = [...read.issues, ...plan.issues];
      if (issues.length > 0) throw new CliError(new SamplesError(samplesFile, issues).message);
      if (plan.skipped.length > 0) {
        const n = new Set(plan.skipped.map((s) => s.problemId)).size;
        process.stderr.write(
          `skipping ${plan.skipped.length} samples of ${n} problems the filters leave out\n`,
        );
      }
      if (plan.unjudgeable.length > 0) {
        const reasons = new Map(plan.unjudgeable.map((u) => [u.sample.problemId, u.reason]));
        process.stderr.write(
          `codeloop: warning: not judging ${plan.unjudgeable.length} samples of ${reasons.size} unjudgeable problem(s), left out of pass@k: ${[
            ...reasons,
          ]
            .slice(0, 10)
            .map(([id, why]) => `${id} (${why})`)
            .join("; ")}${reasons.size > 10 ? "; ..." : ""}\n`,
        );
      }
      if (plan.jobs.length === 0)
        throw new CliError(
          plan.unjudgeable.length > 0
            ? "no samples to judge: every sample's problem is filtered out or unjudgeable"
            : "no samples to judge: every sample's problem is filtered out",
        );
      const needed = new Set(plan.jobs.map((j) => j.problem.id));
      const used = problems.filter((p) => needed.has(p.id));
      const kattis = used.filter((p) => p.benchmark === "kattis").length;
      // Kattis judges Python with PyPy; its time limits assume it.
      const defaultPython: PythonRuntime | undefined =
        kattis === used.length ? pythonForFormat("kattis") : undefined;
      const sb = await startSandbox(opts, undefined, defaultPython);
      const ctrlC = stopOnCtrlC();
      let queued: Awaited<ReturnType<typeof queueJudgeFor>> = undefined;
      try {
        // With --queue the samples are judged by `codeloop worker` processes; the local sandbox
        // still computes expected outputs (HumanEval+, MBPP+).
        queued = await queueJudgeFor(opts);
        const python = pythonLabel(sb.python);
        if (kattis > 0 && sb.python.runtime !== "pypy") {
          process.stderr.write(
            `codeloop: warning: ${kattis} Kattis problem${kattis === 1 ? "" : "s"} judged with ${python}, not PyPy as Kattis does: Python samples may exceed time limits set for PyPy (install pypy3 or pass --python pypy)\n`,
          );
        }
        await computeExpected(used, sb, opts.cacheDir);
        const empty = used.filter((p) => allTests(p).length === 0).map((p) => p.id);
        if (empty.length > 0) {
          throw new CliError(
            `no tests left to grade on for ${empty.slice(0, 20).join(", ")} (see 'codeloop problems show')`,
          );
        }
        process.stderr.write(
          `judging ${plan.jobs.length} samples of ${used.length} problems on all their tests with ${python}, ${sb.size} ${sb.mode} workers (${sb.isolation.kind}); verdicts to ${out}\n`,
        );
        const progress = progressPrinter();
        let result: GradeFileResult;
        try {
          result = await gradeToFile({
            judge: queued ?? new Judge(sb),
            python,
            out,
            jobs: plan.jobs,
            order: used.map((p) => p.id),
            untouched: new Set(plan.skipped.map((s) => s.problemId)),
            signal: ctrlC.signal,
            onResume: (r, toJudge) => {
              if (r.kept.size > 0 || r.rewritten || r.preserved)
                process.stderr.write(`${resumeMessage(r, toJudge, out)}\n`);
            },
            onProgress: (p) => progress.update(p),
          });
        } catch (err) {
          if (err instanceof VerdictsFileError) throw new CliError(err.message);
          queueError(
            err,
            `judge again with the same command when the queue is back (verdicts so far are kept in ${out})`,
          );
          throw err;
        } finally {
          progress.end();
        }
        const summaryFile = summaryFileFor(out);
        const report = {
          source,
          samplesFile,
          summaryFile,
          skipped: plan.skipped.length,
          workers: sb.size,
          mode: sb.mode,
          isolation: sb.isolation.kind,
          ...result,
        };
        writeJsonAtomic(summaryFile, report);
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatSummary(result));
        process.stderr.write(`wrote ${out} and ${summaryFile}\n`);
        if (result.infrastructure > 0) {
          process.stderr.write(
            `codeloop: warning: the sandbox failed twice on ${result.infrastructure} samples: recorded with "infrastructure": true and left out of pass@k; run the same command again to judge them again\n`,
          );
          process.exitCode = 3;
        }
        if (result.stopped) {
          process.stderr.write(
            `codeloop: stopped with ${result.samplesTotal - result.reused - result.judged} samples left: run the same command again to continue\n`,
          );
          process.exitCode = 130;
        }
      } finally {
        ctrlC.dispose();
        await queued?.close();
        await sb.close();
      }
    });
}

/** HumanEval+/MBPP+ expected outputs for the problems judged only (cached after the first time). */
async function computeExpected(
  problems: Problem[],
  sb: Parameters<typeof sandboxComputeExpected>[0],
  cacheDir?: string,
) {
  if (!problems.some((p) => p.pendingExpected)) return;
  let last = Date.now();
  try {
    await computeExpectedOutputs(problems, sandboxComputeExpected(sb), cacheDir ?? defaultCacheDir(), {
      concurrency: Math.max(4, sb.size * 2),
      onProgress: (done, total) => {
        if (done === total || Date.now() - last > 5000) {
          last = Date.now();
          process.stderr.write(
            `expected outputs: ${done}/${total} problems (canonical solutions run once, then cached)\n`,
          );
        }
      },
    });
  } catch (err) {
    if (err instanceof ProblemLoadError) throw new CliError(err.message);
    throw err;
  }
}
