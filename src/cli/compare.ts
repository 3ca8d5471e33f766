import type { Command } from "commander";
import {
  type MetricsInput,
  type PairedMetric,
  type RunComparison,
  type VerifierMetrics,
  compareInputs,
  consecutiveSimilarities,
  metricsInputFromStore,
  normalisedCacheFile,
  normalisedCodes,
  pairedMetric,
  verifierMetricsFromStore,
  verifierSummaryRows,
} from "../metrics/index.js";
import { configSummary, openRunFolder } from "../runs/index.js";
import { CliError } from "./errors.js";

export interface LoadedRun {
  folder: string;
  summary: string;
  input: MetricsInput;
  /** Verifier metrics over every stored candidate; null unless the run is best-of-N. */
  verifier: VerifierMetrics | null;
}

/**
 * Says on stderr that a run's metrics leave out `count` finished trajectories whose grade the
 * sandbox failed to give, and how to grade them again (compare and sweep).
 */
export function warnInfrastructureExcluded(what: string, folder: string, count: number | undefined): void {
  if (!count) return;
  process.stderr.write(
    `codeloop: ${what}: ${count} finished trajectories left out of every metric: the sandbox failed while grading their submission (not the program's verdict); 'codeloop rejudge ${folder}' grades them again\n`,
  );
}

/** A run folder's metrics input; a clear error when the folder is not a run. */
export function loadRun(folder: string, role: string, seed = 0): LoadedRun {
  const { store } = openRunFolder(folder, { error: (m) => new CliError(`${role}: ${m}`) });
  try {
    const input = metricsInputFromStore(store);
    warnInfrastructureExcluded(`${role} ${folder}`, folder, input.infrastructureExcluded);
    return {
      folder,
      summary: configSummary(store.config),
      input,
      verifier:
        store.config.strategy.candidatesPerTurn > 1 ? verifierMetricsFromStore(store, { seed }) : null,
    };
  } finally {
    store.close();
  }
}

/**
 * Mean similarity of consecutive codes per problem (null for a problem without a pair), after
 * Python ast normalisation.
 */
export async function similarityPerProblem(run: LoadedRun): Promise<(number | null)[]> {
  // The run folder's normalisation cache, shared with codeloop report (not kept if read-only).
  const normalised = await normalisedCodes(run.input, { cacheFile: normalisedCacheFile(run.folder) });
  return run.input.problems.map((p) => {
    const v = consecutiveSimilarities([p], normalised);
    return v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length;
  });
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag}: expected a positive integer, got "${v}"`);
  return n;
}

function nonNegInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(`${flag}: expected a non-negative integer, got "${v}"`);
  return n;
}

function budgetList(flag: string, v: string): number[] {
  const list = v.split(",").map((x) => x.trim());
  for (const x of list) positiveInt(flag, x);
  return [...new Set(list.map(Number))].sort((x, y) => x - y);
}

function confidenceOf(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new CliError(`--confidence: expected a number between 0 and 1, got "${v}"`);
  return n;
}

/** Values of pass metrics in percent, similarity as a ratio. */
function fmt(m: PairedMetric, v: number, signed = false): string {
  if (!Number.isFinite(v)) return "-";
  const s = m.kind === "similarity" ? v.toFixed(3) : (v * 100).toFixed(1);
  return signed && v >= 0 ? `+${s}` : s;
}

function pValue(p: number): string {
  if (!Number.isFinite(p)) return "-";
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/** An aligned text table: first column left-aligned, the others right-aligned. */
export function alignTable(rows: string[][], leftColumns = 1): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function listIds(ids: string[]): string {
  if (ids.length === 0) return "0";
  const shown = ids.slice(0, 5).join(", ");
  return `${ids.length} (${shown}${ids.length > 5 ? ", ..." : ""})`;
}

export function comparisonText(
  a: LoadedRun,
  b: LoadedRun,
  cmp: RunComparison,
  opts: { resamples: number; seed: number; confidence: number },
): string {
  const pct = Math.round(opts.confidence * 1000) / 10;
  const head = [
    `A: ${a.folder} (${a.summary})`,
    `B: ${b.folder} (${b.summary})`,
    `problems in both: ${cmp.common}; only in A: ${listIds(cmp.onlyA)}; only in B: ${listIds(cmp.onlyB)}`,
    `paired bootstrap over problems: ${opts.resamples} resamples, seed ${opts.seed}; pass rates in %, differences in points`,
    ...budgetNote(cmp),
    "",
  ];
  const rows = [["metric", "problems", "A", "B", "B-A", `${pct}% CI`, "p"]];
  for (const m of [...cmp.metrics, ...cmp.atBudget.metrics]) {
    rows.push([
      m.metric,
      String(m.problems),
      fmt(m, m.a),
      fmt(m, m.b),
      fmt(m, m.diff, true),
      `[${fmt(m, m.low, true)}, ${fmt(m, m.high, true)}]`,
      pValue(m.p),
    ]);
  }
  return `${head.join("\n")}\n${alignTable(rows)}\n${verifierText(a, b)}`;
}

const compact = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: 0 });

/** What the equal-budget rows are, and how far each run's sample reaches. */
function budgetNote(cmp: RunComparison): string[] {
  const { reach, budgets } = cmp.atBudget;
  if (!reach || cmp.atBudget.metrics.length === 0) return [];
  const axis = (x: "calls" | "tokens") =>
    `${budgets[x].map(compact).join(" / ") || "none"} ${x} (per trajectory A ${compact(reach.a[x].trajectory)}, B ${compact(reach.b[x].trajectory)}; smallest problem total A ${compact(reach.a[x].total)}, B ${compact(reach.b[x].total)})`;
  return [
    "solved ≤ B calls/tokens: the budget curves at equal budget, P(solved) when a problem's trajectories are taken in random order while their cost (all their turns: every node of a tree) fits B",
    `budgets: ${axis("calls")}; ${axis("tokens")}`,
  ];
}

/**
 * The two runs' verifier metrics side by side (unpaired: each over its own candidates), when
 * either run is best-of-N; "" otherwise.
 */
export function verifierText(a: LoadedRun, b: LoadedRun): string {
  if (!a.verifier && !b.verifier) return "";
  const ra = verifierSummaryRows(a.verifier);
  const rb = verifierSummaryRows(b.verifier);
  const labels = [...new Set([...ra.keys(), ...rb.keys()])];
  const rows = [["verifier metric", "A", "B"], ...labels.map((l) => [l, ra.get(l) ?? "–", rb.get(l) ?? "–"])];
  const notes = [
    ...(a.verifier?.notes ?? []).map((n) => `A: ${n}`),
    ...(b.verifier?.notes ?? []).map((n) => `B: ${n}`),
  ];
  return `\nverifier metrics of best-of-N candidates with hidden grades (each run on its own; AUC interval: percentile bootstrap over problems; top-1 and best-of-N pass rates in %, best-of-N on first turns)\n${alignTable(rows)}\n${notes.map((n) => `${n}\n`).join("")}`;
}

export function registerCompare(program: Command): void {
  program
    .command("compare <runA> <runB>")
    .description(
      "paired bootstrap test per metric (pass@k, pass n@k, code similarity, solve rate at equal budgets of calls and tokens) between two runs; verifier metrics side by side when either is best-of-N",
    )
    .option("--json", "print the comparison as JSON")
    .option("--resamples <n>", "bootstrap resamples", "10000")
    .option("--seed <s>", "bootstrap seed", "0")
    .option("--confidence <c>", "interval coverage", "0.95")
    .option("--no-similarity", "skip the consecutive-code similarity (needs Python)")
    .option(
      "--budgets-calls <list>",
      "LLM-call budgets per problem to compare at (comma-separated; default: a few both runs reach)",
    )
    .option(
      "--budgets-tokens <list>",
      "token budgets per problem to compare at (comma-separated; default: a few both runs reach)",
    )
    .action(
      async (
        runA: string,
        runB: string,
        opts: {
          json?: boolean;
          resamples: string;
          seed: string;
          confidence: string;
          similarity: boolean;
          budgetsCalls?: string;
          budgetsTokens?: string;
        },
      ) => {
        const boot = {
          resamples: positiveInt("--resamples", opts.resamples),
          seed: nonNegInt("--seed", opts.seed),
          confidence: confidenceOf(opts.confidence),
        };
        const budgets = {
          ...(opts.budgetsCalls !== undefined
            ? { calls: budgetList("--budgets-calls", opts.budgetsCalls) }
            : {}),
          ...(opts.budgetsTokens !== undefined
            ? { tokens: budgetList("--budgets-tokens", opts.budgetsTokens) }
            : {}),
        };
        const a = loadRun(runA, "run A", boot.seed);
        const b = loadRun(runB, "run B", boot.seed);
        const cmp = compareInputs(a.input, b.input, { ...boot, budgets });
        if (cmp.common === 0) {
          throw new CliError(
            `${runA} and ${runB} have no problems in common (A: ${a.input.problems.length} problems, B: ${b.input.problems.length})`,
          );
        }
        if (opts.similarity && a.input.maxTurns > 1 && b.input.maxTurns > 1) {
          try {
            const sa = await similarityPerProblem(a);
            const sb = await similarityPerProblem(b);
            const r = pairedMetric(a.input, sa, b.input, sb, boot);
            if (r) cmp.metrics.push({ metric: "similarity", kind: "similarity", ...r });
          } catch (err) {
            process.stderr.write(
              `codeloop: similarity left out: ${(err as Error).message.split("\n")[0]} (--no-similarity skips it)\n`,
            );
          }
        }
        if (cmp.metrics.length + cmp.atBudget.metrics.length === 0) {
          throw new CliError(
            `no metric can be compared: none of the ${cmp.common} common problems has finished trajectories in both runs`,
          );
        }
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                a: { folder: a.folder, config: a.summary },
                b: { folder: b.folder, config: b.summary },
                ...boot,
                ...cmp,
                ...(a.verifier || b.verifier ? { verifier: { a: a.verifier, b: b.verifier } } : {}),
              },
              null,
              2,
            )}\n`,
          );
        } else {
          process.stdout.write(comparisonText(a, b, cmp, boot));
        }
      },
    );
}
