import type { Command } from "commander";
import { pyRepr } from "../judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../judge/types.js";
import {
  BENCHMARK_FORMATS,
  type BenchmarkFormat,
  FilterError,
  HubError,
  type LoadOptions,
  type Problem,
  type ProblemFilters,
  ProblemLoadError,
  loadProblems,
  testCounts,
  writeNativeJsonl,
} from "../problems/index.js";
import { CliError } from "./errors.js";

export interface SourceOptions {
  format?: string;
  release?: string;
  offline?: boolean;
  cacheDir?: string;
}

export interface FilterOptions extends SourceOptions {
  split?: string;
  ids?: string;
  difficulty?: string;
  from?: string;
  to?: string;
  tags?: string;
  limit?: string;
  sample?: string;
  seed?: string;
}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(`--${name} must be a non-negative integer, got '${v}'`);
  return n;
}

export function loadOptions(o: SourceOptions): LoadOptions {
  if (o.format !== undefined && !BENCHMARK_FORMATS.includes(o.format as BenchmarkFormat)) {
    throw new CliError(`--format must be one of ${BENCHMARK_FORMATS.join(", ")}, got '${o.format}'`);
  }
  return {
    format: o.format as BenchmarkFormat | undefined,
    release: o.release,
    offline: o.offline,
    cacheDir: o.cacheDir,
    log: (m) => process.stderr.write(`${m}\n`),
  };
}

export function filtersOf(o: FilterOptions): ProblemFilters {
  return {
    split: o.split,
    ids: list(o.ids),
    difficulty: list(o.difficulty),
    contestDateFrom: o.from,
    contestDateTo: o.to,
    tags: list(o.tags),
    limit: int("limit", o.limit),
    sample: int("sample", o.sample),
    seed: o.seed === undefined ? undefined : int("seed", o.seed),
  };
}

/** Load errors are the user's to fix: one line, exit code 2. */
export async function load(
  source: string,
  filters: ProblemFilters,
  options: LoadOptions,
): Promise<Problem[]> {
  try {
    return await loadProblems(source, filters, options);
  } catch (err) {
    if (err instanceof ProblemLoadError || err instanceof HubError || err instanceof FilterError) {
      throw new CliError(err.message);
    }
    throw err;
  }
}

export function withSourceOptions(cmd: Command): Command {
  return cmd
    .option("--format <format>", `skip detection: ${BENCHMARK_FORMATS.join(", ")}`)
    .option("--release <tag>", "LiveCodeBench release: release_vN (cumulative), vN or vA_vB")
    .option("--offline", "hf: sources: use only the local cache")
    .option("--cache-dir <dir>", "dataset cache (default CODELOOP_CACHE_DIR or ~/.cache/codeloop/datasets)");
}

export function withFilters(cmd: Command): Command {
  return withSourceOptions(cmd)
    .option("--split <split>", "train, valid, test, ...")
    .option("--ids <ids>", "comma-separated problem ids")
    .option(
      "--difficulty <levels>",
      "comma-separated: easy, medium, hard, unknown or the dataset's own labels",
    )
    .option("--from <date>", "contest date on or after YYYY-MM-DD")
    .option("--to <date>", "contest date on or before YYYY-MM-DD")
    .option("--tags <tags>", "comma-separated tags, all required")
    .option("--sample <n>", "random subset of n problems (see --seed)")
    .option("--seed <n>", "seed of --sample", "0")
    .option("--limit <n>", "at most n problems");
}

function summary(p: Problem) {
  const verdicts: Record<string, number> = {};
  for (const s of p.solutions) verdicts[s.verdict] = (verdicts[s.verdict] ?? 0) + 1;
  return {
    id: p.id,
    title: p.title,
    benchmark: p.benchmark,
    split: p.split,
    difficulty: p.metadata.difficulty,
    difficultyRaw: p.metadata.difficultyRaw,
    tags: p.metadata.tags,
    contestDate: p.metadata.contestDate,
    judge: p.judge.kind,
    tests: testCounts(p),
    solutions: verdicts,
    limits: p.limits,
    warnings: p.warnings,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  "))
    .join("\n");
}

function formatList(ps: Problem[]): string {
  const rows = [["ID", "DIFFICULTY", "SPLIT", "TESTS pub/priv/gen", "SOLUTIONS", "TIME", "TITLE"]];
  for (const p of ps) {
    const c = testCounts(p);
    const diff = p.metadata.difficultyRaw
      ? `${p.metadata.difficulty} (${p.metadata.difficultyRaw})`
      : p.metadata.difficulty;
    rows.push([
      p.id,
      diff,
      p.split,
      `${c.public}/${c.private}/${c.generated}${c.pending ? ` +${c.pending} pending` : ""}`,
      String(p.solutions.length),
      `${p.limits.timeLimitSec}s${p.limits.timeLimitOrigin === "default" ? "*" : ""}`,
      p.title.length > 50 ? `${p.title.slice(0, 47)}...` : p.title,
    ]);
  }
  const note = ps.some((p) => p.limits.timeLimitOrigin === "default")
    ? "\n* default time limit (the dataset has none)"
    : "";
  return `${table(rows)}\n${ps.length} problem${ps.length === 1 ? "" : "s"}${note}\n`;
}

function clip(s: string, max = 400): string {
  return s.length > max ? `${s.slice(0, max)}... (${s.length} chars)` : s;
}

function formatTest(t: TestCase): string {
  const head = `  [${t.name ?? t.kind}]`;
  if (t.kind === "stdio")
    return `${head}\n    input:  ${JSON.stringify(clip(t.input))}\n    output: ${JSON.stringify(clip(t.output))}`;
  if (t.kind === "function") {
    return `${head} (${clip(t.args.map(pyRepr).join(", "), 200)}) -> ${clip(pyRepr(t.expected), 200)}`;
  }
  // A converted assert is judged in Node from the call's return value; its script is what prompts show.
  return `${head}${t.call ? " (converted: judged in Node)" : ""}\n${clip(t.script.trimEnd())
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n")}`;
}

function formatJudge(j: JudgeSpec): string {
  if (j.kind === "stdio") {
    const v = j.validator
      ? `, ${j.validator.protocol === "testlib" ? "testlib checker" : "validator"} ${j.validator.language} (${j.validator.sources.map((s) => s.path).join(", ")}) flags [${j.validator.flags.join(" ")}]`
      : "";
    return `stdio, compare ${JSON.stringify(j.compare)}${v}`;
  }
  if (j.kind === "function") {
    const { kind: _k, ...rest } = j;
    return `function ${JSON.stringify(rest)}`;
  }
  const parts = [
    j.entryPoint ? `entry point ${j.entryPoint}` : "",
    j.setup ? `setup ${JSON.stringify(j.setup)}` : "",
    j.context ? `context: ${j.context.split("\n").length} lines` : "",
  ].filter((x) => x !== "");
  return `assert${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

function formatShow(p: Problem, perGroup: number): string {
  const m = p.metadata;
  const c = testCounts(p);
  const lines = [
    `${p.id}: ${p.title}`,
    `benchmark   ${p.benchmark} (${p.split})`,
    `difficulty  ${m.difficulty}${m.difficultyRaw ? ` (${m.difficultyRaw})` : ""}${m.rating ? `, rating ${m.rating}` : ""}`,
  ];
  if (m.tags.length) lines.push(`tags        ${m.tags.join(", ")}`);
  if (m.source) lines.push(`source      ${m.source}`);
  if (m.contestDate) lines.push(`contest     ${m.contestDate}`);
  if (m.url) lines.push(`url         ${m.url}`);
  lines.push(
    `limits      ${p.limits.timeLimitSec} s (${p.limits.timeLimitOrigin}${p.limits.timeMultiplier ? `, multiplier ${p.limits.timeMultiplier}` : ""}), ${p.limits.memoryLimitMb} MB`,
  );
  lines.push(`judge       ${formatJudge(p.judge)}`);
  for (const j of p.extraJudges) lines.push(`            ${formatJudge(j)}`);
  lines.push(
    `tests       ${c.public} public, ${c.private} private, ${c.generated} generated${c.pending ? `, ${c.pending} pending` : ""}`,
  );
  const converted = m.extra?.assertsConverted;
  const asserts = m.extra?.assertsTotal;
  if (typeof converted === "number" && typeof asserts === "number" && asserts > 0) {
    const kept =
      typeof m.extra?.checkKeptAsScript === "string"
        ? `; check() kept as a script: ${m.extra.checkKeptAsScript}`
        : "";
    lines.push(
      `asserts     ${converted} of ${asserts} converted (judged in Node), ${asserts - converted} run as scripts${kept}`,
    );
  }
  const sols = p.solutions.map((s) => `${s.language}/${s.verdict}${s.path ? ` ${s.path}` : ""}`);
  lines.push(
    `solutions   ${sols.length ? sols.slice(0, 12).join(", ") + (sols.length > 12 ? `, ... ${sols.length - 12} more` : "") : "(none)"}`,
  );
  for (const w of p.warnings) lines.push(`warning     ${w}`);
  lines.push("", "statement:", p.statement.trimEnd());
  if (p.starterCode) lines.push("", "starter code:", p.starterCode.trimEnd());
  for (const group of ["public", "private", "generated"] as const) {
    const tests = p.tests[group];
    if (tests.length === 0) continue;
    lines.push("", `${group} tests (${Math.min(perGroup, tests.length)} of ${tests.length}):`);
    for (const t of tests.slice(0, perGroup)) lines.push(formatTest(t));
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Registers `problems list|show|export` and returns the `problems` command, so the validate
 * module can add `problems validate` to it reusing `withFilters`, `filtersOf` and `loadOptions`.
 */
export function registerProblems(program: Command): Command {
  const problems = program
    .command("problems")
    .description("benchmarks: list, show and export problems from local files or hf:<dataset>[@revision]");

  withFilters(problems.command("list <source>"))
    .description("list problems of a benchmark source (file, folder or hf:<dataset>[@revision])")
    .option("--json", "print one JSON summary per problem as a JSON array")
    .action(async (source: string, opts: FilterOptions & { json?: boolean }) => {
      const ps = await load(source, filtersOf(opts), loadOptions(opts));
      process.stdout.write(opts.json ? `${JSON.stringify(ps.map(summary), null, 2)}\n` : formatList(ps));
    });

  withSourceOptions(problems.command("show <source> <id>"))
    .description("show one problem: metadata, limits, judge spec, statement and a few tests")
    .option("--tests <n>", "tests shown per group", "3")
    .option("--json", "print the whole Problem as JSON")
    .action(async (source: string, id: string, opts: SourceOptions & { tests: string; json?: boolean }) => {
      const perGroup = int("tests", opts.tests)!;
      const [p] = await load(source, { ids: [id] }, loadOptions(opts));
      if (!p) throw new CliError(`no problem '${id}' in ${source}`);
      process.stdout.write(opts.json ? `${JSON.stringify(p, null, 2)}\n` : formatShow(p, perGroup));
    });

  withFilters(problems.command("export <source> <out>"))
    .description("write problems to codeloop's native JSONL format (see docs/benchmarks.md)")
    .action(async (source: string, out: string, opts: FilterOptions) => {
      const ps = await load(source, filtersOf(opts), loadOptions(opts));
      const n = await writeNativeJsonl(ps, out);
      process.stderr.write(`wrote ${n} problem${n === 1 ? "" : "s"} to ${out}\n`);
    });

  // `problems validate` (reference solutions through the sandbox and judge) goes here, added by
  // its own module on the returned command.
  return problems;
}
