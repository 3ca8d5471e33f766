import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { writeReport } from "../report/index.js";
import { RunAbortedError, RunConfigError, RunStoreError } from "../runs/index.js";
import {
  type CellAxes,
  type CellResult,
  type CellStatus,
  SweepConfigError,
  type SweepPlan,
  SweepStateError,
  axesOf,
  cellResult,
  comparisonCsv,
  comparisonTable,
  inspectSweep,
  loadSweep,
  runSweep,
  sweepConfigJsonSchemaText,
} from "../sweep/index.js";
import { warnInfrastructureExcluded } from "./compare.js";
import { CliError } from "./errors.js";
import { checkModelReachable, checkVerifierReady, progressPrinter, stopOnCtrlC } from "./run.js";

function sweepError(err: unknown): never {
  if (
    err instanceof SweepConfigError ||
    err instanceof SweepStateError ||
    err instanceof RunStoreError ||
    err instanceof RunConfigError ||
    err instanceof RunAbortedError
  ) {
    throw new CliError(err.message);
  }
  throw err;
}

function axesText(axes: CellAxes): string {
  return Object.entries(axes)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

function nonNegInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(`${flag}: expected a non-negative integer, got "${v}"`);
  return n;
}

function stateText(s: CellStatus): string {
  if (s.state === "new") return "new";
  const failed = s.failed ? `, ${s.failed} failed` : "";
  return `${s.state} (${(s.done ?? 0) + (s.failed ?? 0)}/${s.total} trajectories${failed})`;
}

/** The cells of a plan and what is on disk for them (--dry-run). */
function cellsText(cells: CellStatus[]): string {
  const axes = axesOf(cells.map((c) => c.cell));
  const rows = [
    ["cell", ...axes, "state", "folder"],
    ...cells.map((c) => [
      c.cell.name,
      ...axes.map((a) => String(c.cell.axes[a] ?? "")),
      stateText(c),
      c.folder,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((x, i) => x.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

function resumeCommand(file: string, out: string | undefined): string {
  return `codeloop sweep ${file}${out !== undefined ? ` --out ${out}` : ""}`;
}

export function registerSweep(program: Command): void {
  program
    .command("sweep [sweep-config]")
    .description(
      "run a grid of runs (reasoning x instruction x feedback x turns x model) from a sweep config, then compare the cells",
    )
    .option("--out <folder>", "sweep folder (default: runs/<sweep name>)")
    .option(
      "--resume",
      "continue the sweep in the folder (an error if there is none); re-running without it also continues",
    )
    .option("--retry-failed", "also retry failed trajectories of finished cells")
    .option("--dry-run", "validate the config and list the cells and their state; run nothing")
    .option("--json", "print the cells' results as JSON on stdout")
    .option("--resamples <n>", "bootstrap resamples for the table's intervals", "10000")
    .option("--seed <s>", "bootstrap seed", "0")
    .option("--schema", "print the sweep config's JSON Schema and exit")
    .action(
      async (
        file: string | undefined,
        opts: {
          out?: string;
          resume?: boolean;
          retryFailed?: boolean;
          dryRun?: boolean;
          json?: boolean;
          resamples: string;
          seed: string;
          schema?: boolean;
        },
      ) => {
        if (opts.schema) {
          process.stdout.write(sweepConfigJsonSchemaText());
          return;
        }
        if (file === undefined) throw new CliError("missing sweep config (see docs/sweep.md)");
        const resamples = nonNegInt("--resamples", opts.resamples);
        if (resamples < 1)
          throw new CliError(`--resamples: expected a positive integer, got "${opts.resamples}"`);
        const seed = nonNegInt("--seed", opts.seed);
        let plan: SweepPlan;
        try {
          plan = await loadSweep(file);
        } catch (err) {
          sweepError(err);
        }
        const folder = opts.out ?? join("runs", plan.name);
        let state: ReturnType<typeof inspectSweep>;
        try {
          state = inspectSweep(plan, folder);
        } catch (err) {
          sweepError(err);
        }
        if (opts.resume && !state.manifest) {
          throw new CliError(
            `nothing to resume: ${folder} holds no sweep (no sweep.json); run without --resume to start it`,
          );
        }
        const count = (s: string) => state.cells.filter((c) => c.state === s).length;
        process.stderr.write(
          `codeloop: sweep ${plan.name}: ${state.cells.length} cells (${count("finished")} finished, ${count("partial")} partly done, ${count("new")} new) in ${folder}\n`,
        );
        if (state.removed.length > 0) {
          process.stderr.write(
            `codeloop: cells no longer in the grid are left on disk and out of the table: ${state.removed.join(", ")}\n`,
          );
        }
        if (opts.dryRun) {
          process.stdout.write(cellsText(state.cells));
          return;
        }
        // Every model the remaining cells need must answer before anything runs.
        const pending = state.cells.filter(
          (c) => c.state !== "finished" || (opts.retryFailed && (c.failed ?? 0) > 0),
        );
        const checked = new Set<string>();
        for (const c of pending) {
          const key = JSON.stringify(c.cell.config.model);
          if (!checked.has(key)) {
            checked.add(key);
            await checkModelReachable(c.cell.config);
          }
          const vkey = JSON.stringify(["verifier", c.cell.config.strategy.verifier ?? null]);
          if (!checked.has(vkey)) {
            checked.add(vkey);
            await checkVerifierReady(c.cell.config);
          }
        }
        process.stderr.write(`codeloop: if stopped, continue with: ${resumeCommand(file, opts.out)}\n`);
        const stop = stopOnCtrlC();
        let printer: ReturnType<typeof progressPrinter> | undefined;
        let stopped: boolean;
        try {
          const r = await runSweep(plan, state, {
            signal: stop.signal,
            ...(opts.retryFailed ? { retryFailed: true } : {}),
            onCellStart: (e) => {
              const what =
                e.action === "skip"
                  ? `finished earlier (${stateText(e.status)}), skipped`
                  : e.action === "resume"
                    ? `resuming (${stateText(e.status)})`
                    : "starting";
              process.stderr.write(
                `codeloop: cell ${e.position}/${e.count} ${e.status.cell.name} (${axesText(e.status.cell.axes)}): ${what}\n`,
              );
              if (e.action !== "skip") printer = progressPrinter();
            },
            onProgress: (p) => printer?.update(p),
            onCellEnd: (e) => {
              printer?.end();
              printer = undefined;
              const p = e.result?.progress;
              const cache = e.cache
                ? `; responses: ${e.cache.hits} from the cache, ${e.cache.misses} requested`
                : "";
              if (p) {
                process.stderr.write(
                  `codeloop: cell ${e.position}/${e.count} ${e.status.cell.name}: ${p.finished}/${p.total} trajectories, ${p.accepted} accepted, ${p.solvedProblems}/${p.problems} problems solved, ${p.failed} failed${cache}\n`,
                );
              }
            },
            log: (m) => process.stderr.write(`${m}\n`),
          });
          stopped = r.stopped;
        } catch (err) {
          printer?.end();
          sweepError(err);
        } finally {
          stop.dispose();
        }
        if (stopped) {
          process.stderr.write(`codeloop: sweep stopped; continue with: ${resumeCommand(file, opts.out)}\n`);
          process.exitCode = 130;
          return;
        }
        const results: CellResult[] = state.cells.map((c) =>
          cellResult({ name: c.cell.name, folder: c.folder, axes: c.cell.axes }, { resamples, seed }),
        );
        for (const r of results)
          warnInfrastructureExcluded(`cell ${r.name}`, r.folder, r.infrastructureExcluded);
        const csv = join(folder, "sweep.csv");
        writeFileSync(csv, comparisonCsv(results));
        const report = await writeSweepReport(
          state.cells.map((c) => c.folder),
          folder,
          plan.name,
          { resamples, seed },
        );
        process.stderr.write(`codeloop: wrote ${csv}${report ? ` and ${report}` : ""}\n`);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ name: plan.name, folder, csv, report: report ?? null, cells: results }, null, 2)}\n`,
          );
        } else {
          process.stdout.write(comparisonTable(results));
        }
      },
    );
}

/**
 * The HTML report of every cell (src/report) with the comparison table and heatmap across the
 * grid; undefined (with a warning) when it cannot be written, since the table and CSV stand alone.
 */
async function writeSweepReport(
  cellFolders: string[],
  folder: string,
  name: string,
  bootstrap: { resamples: number; seed: number },
): Promise<string | undefined> {
  const html = join(folder, "report.html");
  try {
    await writeReport(
      cellFolders,
      { html },
      { title: `sweep ${name}`, bootstrap, log: (m) => process.stderr.write(`codeloop: report: ${m}\n`) },
    );
    return html;
  } catch (err) {
    process.stderr.write(
      `codeloop: the HTML report was not written: ${(err as Error).message}; the table and sweep.csv are complete\n`,
    );
    return undefined;
  }
}
