import { BootstrapDraws, type BootstrapOptions, bootstrapMean } from "./bootstrap.js";
import { type BudgetCurveOptions, type BudgetPoint, budgetCurve } from "./budget.js";
import { DEFAULT_N_AT_K, type NAtKOptions, type NAtKSetting, nAtKPerProblem } from "./nk.js";
import { type NormaliseOptions, normalizePythonCodes } from "./normalize.js";
import { passAtKPerProblem } from "./passk.js";
import {
  type RatioOptions,
  type SimilaritySummary,
  codesOf,
  consecutivePairs,
  pairRatios,
  summarise,
} from "./similarity.js";
import type { Estimate, MetricsInput, ProblemRecord } from "./types.js";

export interface MetricsOptions {
  passAtK?: number[];
  nAtK?: readonly NAtKSetting[];
  nAtKOptions?: NAtKOptions;
  bootstrap?: BootstrapOptions;
  budget?: BudgetCurveOptions;
}

export interface PassAtKResult extends Estimate {
  k: number;
  /** Problems with enough trajectories for k. */
  problems: number;
}

export interface NAtKResult extends Estimate {
  n: number;
  k: number;
  problems: number;
}

export interface GroupMetrics {
  problems: number;
  passAtK: PassAtKResult[];
  nAtK: NAtKResult[];
}

export interface Metrics extends GroupMetrics {
  byDifficulty: Record<string, GroupMetrics>;
  byTag: Record<string, GroupMetrics>;
  budget: { calls: BudgetPoint[]; tokens: BudgetPoint[] };
}

const DEFAULT_PASS_AT_K = [1, 10, 100];

/** Keeps the problems with a value, then bootstraps their mean; null when none has one. */
function estimate(
  values: readonly (number | null)[],
  rows: readonly number[],
  boot: BootstrapOptions,
  draws: BootstrapDraws,
) {
  const kept: number[] = [];
  for (const r of rows) {
    const v = values[r];
    if (v !== null && v !== undefined) kept.push(v);
  }
  if (kept.length === 0) return null;
  return { ...bootstrapMean(kept, boot, draws), problems: kept.length };
}

function group(
  rows: readonly number[],
  pak: Map<number, (number | null)[]>,
  nak: Map<NAtKSetting, (number | null)[]>,
  boot: BootstrapOptions,
  draws: BootstrapDraws,
): GroupMetrics {
  const passAtK: PassAtKResult[] = [];
  for (const [k, vals] of pak) {
    const e = estimate(vals, rows, boot, draws);
    if (e) passAtK.push({ k, ...e });
  }
  const nAtK: NAtKResult[] = [];
  for (const [s, vals] of nak) {
    const e = estimate(vals, rows, boot, draws);
    if (e) nAtK.push({ n: s.n, k: s.k, ...e });
  }
  return { problems: rows.length, passAtK, nAtK };
}

function groupRows(
  problems: readonly ProblemRecord[],
  keys: (p: ProblemRecord) => string[],
): Map<string, number[]> {
  const m = new Map<string, number[]>();
  problems.forEach((p, i) => {
    for (const key of keys(p)) {
      const list = m.get(key) ?? [];
      list.push(i);
      m.set(key, list);
    }
  });
  return m;
}

/**
 * All synchronous metrics of one run. Per-problem values are computed once and reused by the
 * overall figure and every breakdown; settings no problem can afford are left out.
 */
export function computeMetrics(input: MetricsInput, opts: MetricsOptions = {}): Metrics {
  const { problems, maxTurns } = input;
  const boot = opts.bootstrap ?? {};
  const draws = new BootstrapDraws();
  const pak = new Map<number, (number | null)[]>();
  for (const k of opts.passAtK ?? DEFAULT_PASS_AT_K) pak.set(k, passAtKPerProblem(problems, k));
  const nak = new Map<NAtKSetting, (number | null)[]>();
  for (const s of opts.nAtK ?? DEFAULT_N_AT_K)
    nak.set(s, nAtKPerProblem(problems, s, maxTurns, opts.nAtKOptions));
  const all = problems.map((_, i) => i);
  const byDifficulty: Record<string, GroupMetrics> = {};
  for (const [d, rows] of groupRows(problems, (p) => [p.difficulty ?? "unknown"])) {
    byDifficulty[d] = group(rows, pak, nak, boot, draws);
  }
  const byTag: Record<string, GroupMetrics> = {};
  for (const [t, rows] of groupRows(problems, (p) => p.tags)) byTag[t] = group(rows, pak, nak, boot, draws);
  return {
    ...group(all, pak, nak, boot, draws),
    byDifficulty,
    byTag,
    budget: {
      calls: budgetCurve(problems, "calls", opts.budget),
      tokens: budgetCurve(problems, "tokens", opts.budget),
    },
  };
}

/**
 * The normalised text of each code of a run that takes part in a pair: Python codes through
 * Python's ast (give the run's `normalisedCacheFile` as `cacheFile` to reuse what the run
 * normalised); other languages as raw text.
 */
export async function normalisedCodes(
  input: MetricsInput,
  opts: NormaliseOptions = {},
): Promise<(code: string) => string> {
  if ((input.language ?? "python") !== "python") return (c) => c;
  const codes = codesOf(input.problems);
  const norm = await normalizePythonCodes(codes, opts);
  const map = new Map<string, string>();
  codes.forEach((c, i) => map.set(c, norm[i]!));
  return (c) => map.get(c) ?? c;
}

/** Ratios of consecutive (normalised) codes of one run, in trajectory order. */
export async function runSimilarityRatios(
  input: MetricsInput,
  opts: NormaliseOptions & RatioOptions = {},
): Promise<number[]> {
  return pairRatios(consecutivePairs(input.problems, await normalisedCodes(input, opts)), opts);
}

/** Similarity distribution of one run (see `runSimilarityRatios`). */
export async function runSimilarity(
  input: MetricsInput,
  opts: NormaliseOptions & RatioOptions = {},
): Promise<SimilaritySummary> {
  return summarise(await runSimilarityRatios(input, opts));
}
