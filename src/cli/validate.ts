import type { Command } from "commander";
import { sourceFormat } from "../problems/index.js";
import { pythonLabel } from "../sandbox/index.js";
import {
  type ProblemReport,
  type ValidateReport,
  sandboxComputeExpected,
  validateProblems,
} from "../validate/index.js";
import { CliError } from "./errors.js";
import { type FilterOptions, filtersOf, load, loadOptions, withFilters } from "./problems.js";
import {
  type SandboxCliOptions,
  defaultPythonFor,
  positiveNumber,
  startSandbox,
  withSandboxOptions,
} from "./sandbox-options.js";
import { queueError, queueJudgeFor, withQueueOptions } from "./worker.js";

interface ValidateCliOptions extends FilterOptions, SandboxCliOptions {
  repeat: string;
  unknownTimeLimit: string;
  json?: boolean;
  queue?: string;
  queueCapacity?: string;
}

function formatReport(r: ValidateReport): string {
  const pct = (a: number, b: number) => (b ? ` (${((100 * a) / b).toFixed(1)}%)` : "");
  const lines = [
    `problems            ${r.problems}${r.unjudgeable ? ` (${r.unjudgeable} unjudgeable, solutions not run)` : ""}`,
    `python runtime      ${r.python}`,
    `solutions run       ${r.solutionsRun}${
      Object.keys(r.skippedSolutions).length
        ? ` (skipped: ${Object.entries(r.skippedSolutions)
            .map(([k, v]) => `${v} ${k}`)
            .join(", ")})`
        : ""
    }`,
    `correct accepted    ${r.correctAccepted} / ${r.correctTotal}${pct(r.correctAccepted, r.correctTotal)}`,
    `incorrect rejected  ${r.incorrectRejected} / ${r.incorrectTotal}${pct(r.incorrectRejected, r.incorrectTotal)}`,
    `flaky               ${r.flaky}${r.repeat > 1 ? "" : " (use --repeat to detect)"}`,
    `tests run           ${r.testsRun} in ${r.wallSeconds.toFixed(1)} s (${r.testsPerSecond} tests/s)`,
    `program CPU time    ${r.cpuSecondsTotal.toFixed(1)} s; ${r.workers} workers (${r.mode}, ${r.isolation}): floor ${(r.cpuSecondsTotal / r.workers).toFixed(1)} s, wall/floor ${(r.wallSeconds / (r.cpuSecondsTotal / r.workers)).toFixed(2)}`,
  ];
  if (r.infrastructureFailures)
    lines.push(`SANDBOX FAILURES    ${r.infrastructureFailures} (not counted against solutions)`);
  const flagged = r.perProblem.filter((p) => p.flags.length);
  if (flagged.length) {
    lines.push("", `${flagged.length} problem(s) flagged:`);
    for (const p of flagged) {
      lines.push(`  ${p.id}${p.solutions.every((s) => s.ok) ? "" : " [MISMATCH]"}`);
      for (const f of p.flags) lines.push(`    ${f.kind}: ${f.reason}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function progressLine(p: ProblemReport, done: number, total: number): string {
  const bad = p.solutions.filter((s) => !s.ok).length;
  return `[${done}/${total}] ${p.id}: ${p.solutions.length - bad}/${p.solutions.length} solutions as expected${p.flags.length ? ` (${p.flags.map((f) => f.kind).join(", ")})` : ""}`;
}

/** Adds `problems validate` to the `problems` command. */
export function registerValidate(problems: Command): void {
  withQueueOptions(withSandboxOptions(withFilters(problems.command("validate <source>")), true))
    .description(
      "run every reference solution through the sandbox and judge: correct ones must be accepted, incorrect and too-slow ones rejected",
    )
    .option("--repeat <n>", "judge each solution n times to find flaky tests", "1")
    .option(
      "--unknown-time-limit <s>",
      "time limit for problems whose dataset gives none (gold is measured, slow gold flagged)",
      "30",
    )
    .option("--json", "print the full report (per-problem verdict lists) as JSON")
    .action(async (source: string, opts: ValidateCliOptions) => {
      const repeat = positiveNumber("--repeat", opts.repeat, true)!;
      const unknownTimeLimitSec = positiveNumber("--unknown-time-limit", opts.unknownTimeLimit)!;
      const filters = filtersOf(opts);
      const format = await sourceFormat(source, loadOptions(opts));
      const judge = await queueJudgeFor(opts);
      const sb = await startSandbox(opts, undefined, defaultPythonFor(format, opts.python));
      try {
        const problems = await load(source, filters, {
          ...loadOptions(opts),
          computeExpected: sandboxComputeExpected(sb),
        });
        if (problems.length === 0) throw new CliError(`no problems in ${source} match the filters`);
        process.stderr.write(
          `validating ${problems.length} problems with ${judge ? `${judge.slots} queue worker slot(s)` : `${sb.size} ${sb.mode} workers`}; Python programs run on ${pythonLabel(sb.python)}...\n`,
        );
        let lastPrint = 0;
        const report = await validateProblems(sb, problems, {
          ...(judge ? { judge } : {}),
          repeat,
          unknownTimeLimitSec,
          onProblem: (p, done, total) => {
            const now = Date.now();
            if (p.flags.length || done === total || now - lastPrint > 5000 || process.stderr.isTTY) {
              lastPrint = now;
              process.stderr.write(`${progressLine(p, done, total)}\n`);
            }
          },
        });
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
        if (report.infrastructureFailures) process.exitCode = 3;
      } catch (err) {
        queueError(err, "run the same command again when the queue is back");
        throw err;
      } finally {
        await judge?.close();
        await sb.close();
      }
    });
}
