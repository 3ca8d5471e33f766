import { join, resolve } from "node:path";
import type { Command } from "commander";
import {
  DEFAULT_MAX_TRAJECTORIES,
  ReportError,
  normaliseViewerUrl,
  runsCsvPath,
  writeReport,
} from "../report/index.js";
import { CliError } from "./errors.js";

interface ReportFlags {
  out?: string;
  json?: string | true;
  csv?: string | true;
  maxTrajectories?: string;
  title?: string;
  viewer?: string;
  seed?: string;
  resamples?: string;
}

function intFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new CliError(`${flag}: expected an integer >= ${min}, got "${value}"`);
  return Number(value);
}

export function registerReport(program: Command): Command {
  return program
    .command("report <run-folder...>")
    .description(
      "a self-contained HTML report of one or more runs (opens offline): summary, pass n@k and pass@k with bootstrap intervals, budget curves, difficulty and tag breakdown, code similarity, per-problem table with each trajectory's turns; with several runs a comparison table and heatmap",
    )
    .option("--out <file>", "HTML file to write (default: <first run folder>/report.html)")
    .option(
      "--json [file]",
      "also write the report's data as JSON (default file: <first run folder>/report.json)",
    )
    .option(
      "--csv [file]",
      "also write the per-problem table as CSV (default: <first run folder>/report.csv); with several runs, per-run metrics go to <file>.runs.csv",
    )
    .option(
      "--max-trajectories <n>",
      `trajectories per problem embedded with their turns (default ${DEFAULT_MAX_TRAJECTORIES}); the metrics always use all`,
    )
    .option("--title <text>", "page title")
    .option(
      "--viewer <url>",
      "link problems and trajectories to a running `codeloop view` at this URL (e.g. http://127.0.0.1:8377/)",
    )
    .option("--seed <n>", "bootstrap seed (default 0)")
    .option("--resamples <n>", "bootstrap resamples (default 10000)")
    .action(async (folders: string[], flags: ReportFlags) => {
      const first = folders[0]!;
      const html = resolve(flags.out ?? join(first, "report.html"));
      const json =
        flags.json === undefined
          ? undefined
          : resolve(flags.json === true ? join(first, "report.json") : flags.json);
      const csv =
        flags.csv === undefined
          ? undefined
          : resolve(flags.csv === true ? join(first, "report.csv") : flags.csv);
      let viewerUrl: string | undefined;
      try {
        viewerUrl = flags.viewer === undefined ? undefined : normaliseViewerUrl(flags.viewer);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      const maxTrajectoriesPerProblem = intFlag("--max-trajectories", flags.maxTrajectories, 0);
      const seed = intFlag("--seed", flags.seed, 0);
      const resamples = intFlag("--resamples", flags.resamples, 1);
      const started = Date.now();
      let data: Awaited<ReturnType<typeof writeReport>>;
      try {
        data = await writeReport(
          folders,
          { html, ...(json ? { json } : {}), ...(csv ? { csv } : {}) },
          {
            ...(flags.title !== undefined ? { title: flags.title } : {}),
            ...(viewerUrl !== undefined ? { viewerUrl } : {}),
            ...(maxTrajectoriesPerProblem !== undefined ? { maxTrajectoriesPerProblem } : {}),
            bootstrap: {
              ...(seed !== undefined ? { seed } : {}),
              ...(resamples !== undefined ? { resamples } : {}),
            },
            log: (m) => process.stderr.write(`report: ${m}\n`),
          },
        );
      } catch (err) {
        if (err instanceof ReportError) throw new CliError(err.message);
        throw err;
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `wrote ${html} (${data.runs.length} run(s), ${Object.keys(data.trajectories).length} trajectories embedded, ${secs} s)\n`,
      );
      if (json) process.stdout.write(`wrote ${json}\n`);
      if (csv) {
        process.stdout.write(`wrote ${csv}\n`);
        if (data.runs.length > 1) process.stdout.write(`wrote ${runsCsvPath(csv)}\n`);
      }
    });
}
