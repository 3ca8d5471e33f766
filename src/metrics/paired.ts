import { quantileSorted } from "./bootstrap.js";
import { type BudgetAxis, budgetValuesPerProblem, geometricGrid, trajectoryCost } from "./budget.js";
import { DEFAULT_N_AT_K, type NAtKOptions, type NAtKSetting, nAtKPerProblem } from "./nk.js";
import { passAtKPerProblem } from "./passk.js";
import { randInt, seededRng } from "./rng.js";
import type { MetricsInput } from "./types.js";

/**
 * Paired bootstrap of the difference between two runs on the same problems. Each resample
 * draws problem indices with replacement and uses the same indices for both runs, so what is
 * resampled is the per-problem difference b_i - a_i: problems that are hard (or easy) for both
 * runs move both means together and cancel, which is what makes the test paired.
 */

export interface PairedBootstrapOptions {
  /** Default 10,000. */
  resamples?: number;
  /** Default 0: the same seed gives the same interval and p-value. */
  seed?: number;
  /** Two-sided coverage of the interval, default 0.95. */
  confidence?: number;
}

export interface PairedDifference {
  /** Problems in the comparison (pairs). */
  problems: number;
  /** Mean of run A's per-problem values. */
  a: number;
  /** Mean of run B's per-problem values. */
  b: number;
  /** b - a. */
  diff: number;
  /** Percentile bootstrap interval of the difference. */
  low: number;
  high: number;
  /**
   * Two-sided bootstrap p-value: twice the smaller share of resampled differences on either
   * side of zero (resamples exactly at zero count for both sides), with the usual +1 correction
   * so a finite number of resamples never reports 0 (smallest value 2 / (resamples + 1)).
   */
  p: number;
  resamples: number;
}

/** Differences closer to zero than this are zero (sums of floats that cancel exactly on paper). */
const ZERO = 1e-12;

function checkPairs(a: readonly number[], b: readonly number[]): void {
  if (a.length !== b.length) {
    throw new RangeError(`paired bootstrap: runs have ${a.length} and ${b.length} values; pairs are needed`);
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) {
      throw new RangeError(`paired bootstrap: value ${i} is not a finite number (${a[i]}, ${b[i]})`);
    }
  }
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}

/** Interval and p-value from a bootstrap distribution of differences (sorted in place). */
function summarise(
  dist: Float64Array,
  opts: PairedBootstrapOptions,
): { low: number; high: number; p: number } {
  dist.sort();
  const alpha = (1 - (opts.confidence ?? 0.95)) / 2;
  let le = 0;
  let ge = 0;
  for (const d of dist) {
    if (d <= ZERO) le++;
    if (d >= -ZERO) ge++;
  }
  const r = dist.length;
  return {
    low: quantileSorted(dist, alpha),
    high: quantileSorted(dist, 1 - alpha),
    p: Math.min(1, (2 * (Math.min(le, ge) + 1)) / (r + 1)),
  };
}

function checkOptions(opts: PairedBootstrapOptions): number {
  const resamples = opts.resamples ?? 10_000;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`paired bootstrap: resamples must be a positive integer (got ${resamples})`);
  }
  const c = opts.confidence ?? 0.95;
  if (!(c > 0 && c < 1)) throw new RangeError(`paired bootstrap: confidence must be in (0, 1) (got ${c})`);
  return resamples;
}

/**
 * Paired bootstrap of mean(b) - mean(a), where a[i] and b[i] are the two runs' values on the
 * same problem i.
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  opts: PairedBootstrapOptions = {},
): PairedDifference {
  return bootstrapDifference(a, b, opts, (rng, n, dist) => {
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) d[i] = b[i]! - a[i]!;
    for (let r = 0; r < dist.length; r++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += d[randInt(rng, n)]!;
      dist[r] = s / n;
    }
  });
}

/** Checks, the empty case and the summary around one way of filling the resampled differences. */
function bootstrapDifference(
  a: readonly number[],
  b: readonly number[],
  opts: PairedBootstrapOptions,
  fill: (rng: () => number, n: number, dist: Float64Array) => void,
): PairedDifference {
  checkPairs(a, b);
  const resamples = checkOptions(opts);
  const n = a.length;
  if (n === 0) {
    const nan = Number.NaN;
    return { problems: 0, a: nan, b: nan, diff: nan, low: nan, high: nan, p: nan, resamples };
  }
  const dist = new Float64Array(resamples);
  fill(seededRng(opts.seed ?? 0), n, dist);
  const ma = mean(a);
  const mb = mean(b);
  return { problems: n, a: ma, b: mb, diff: mb - ma, ...summarise(dist, opts), resamples };
}

/**
 * The same statistic with the two runs resampled independently (as if they had been run on
 * different problems). For comparison only: it ignores the pairing, so its interval is wider
 * whenever the runs' per-problem values are positively correlated.
 */
export function unpairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  opts: PairedBootstrapOptions = {},
): PairedDifference {
  return bootstrapDifference(a, b, opts, (rng, n, dist) => {
    const va = Float64Array.from(a);
    const vb = Float64Array.from(b);
    for (let r = 0; r < dist.length; r++) {
      let sa = 0;
      let sb = 0;
      for (let i = 0; i < n; i++) sa += va[randInt(rng, n)]!;
      for (let i = 0; i < n; i++) sb += vb[randInt(rng, n)]!;
      dist[r] = (sb - sa) / n;
    }
  });
}

/**
 * Pairs two per-problem value lists keyed by problem id: only ids where both runs have a value
 * (not null) are kept, in A's order.
 */
export function pairByProblem(
  idsA: readonly string[],
  valuesA: readonly (number | null)[],
  idsB: readonly string[],
  valuesB: readonly (number | null)[],
): { ids: string[]; a: number[]; b: number[] } {
  const byB = new Map<string, number | null>();
  idsB.forEach((id, i) => byB.set(id, valuesB[i] ?? null));
  const ids: string[] = [];
  const a: number[] = [];
  const b: number[] = [];
  idsA.forEach((id, i) => {
    const va = valuesA[i];
    const vb = byB.get(id);
    if (va === null || va === undefined || vb === null || vb === undefined) return;
    ids.push(id);
    a.push(va);
    b.push(vb);
  });
  return { ids, a, b };
}

export interface CompareOptions extends PairedBootstrapOptions {
  /** pass@k values of k (default 1, 10, 100). */
  passAtK?: readonly number[];
  /** pass n@k settings (default 1@3, 10@30, 33@100, 100@300). */
  nAtK?: readonly NAtKSetting[];
  nAtKOptions?: NAtKOptions;
  /** Budgets of the equal-budget comparison per axis (default: `sharedBudgets`). */
  budgets?: { calls?: readonly number[]; tokens?: readonly number[] };
  /** Orderings sampled per problem for the budget values (default 2000, as the curves). */
  budgetPermutations?: number;
}

export interface PairedMetric extends PairedDifference {
  /** "pass@1", "pass 1@3", "similarity", "solved ≤ 6 calls", "solved ≤ 4,000 tokens". */
  metric: string;
  kind: "pass@k" | "n@k" | "similarity" | "budget";
  n?: number;
  k?: number;
  /** For kind "budget": the axis and the budget per problem. */
  axis?: BudgetAxis;
  budget?: number;
}

/** Where a run's sample runs out on the common problems, per axis (see `sharedBudgets`). */
export interface BudgetReach {
  /** The mean cost of one trajectory over the common problems. */
  trajectory: number;
  /** The smallest total cost of a problem's trajectories over the common problems. */
  total: number;
}

export interface RunComparison {
  /** Problems both runs contain. */
  common: number;
  onlyA: string[];
  onlyB: string[];
  /** One entry per metric some common problem has a value for in both runs. */
  metrics: PairedMetric[];
  /**
   * The two runs at equal budget: per budget of LLM calls and of tokens per problem, the paired
   * difference of the budget curves' per-problem values (P(solved within the budget)), over the
   * common problems with finished trajectories in both runs.
   */
  atBudget: {
    budgets: { calls: number[]; tokens: number[] };
    reach: { a: Record<BudgetAxis, BudgetReach>; b: Record<BudgetAxis, BudgetReach> } | null;
    metrics: PairedMetric[];
  };
}

/** Problem ids of A and B: the common ones and those only one run has. */
export function problemOverlap(
  a: MetricsInput,
  b: MetricsInput,
): { common: number; onlyA: string[]; onlyB: string[] } {
  const idsA = new Set(a.problems.map((p) => p.id));
  const idsB = new Set(b.problems.map((p) => p.id));
  return {
    common: [...idsA].filter((id) => idsB.has(id)).length,
    onlyA: [...idsA].filter((id) => !idsB.has(id)),
    onlyB: [...idsB].filter((id) => !idsA.has(id)),
  };
}

/** Paired comparison of one per-problem metric; undefined when no problem has both values. */
export function pairedMetric(
  a: MetricsInput,
  valuesA: readonly (number | null)[],
  b: MetricsInput,
  valuesB: readonly (number | null)[],
  opts: PairedBootstrapOptions,
): PairedDifference | undefined {
  const pairs = pairByProblem(
    a.problems.map((p) => p.id),
    valuesA,
    b.problems.map((p) => p.id),
    valuesB,
  );
  if (pairs.ids.length === 0) return undefined;
  return pairedBootstrap(pairs.a, pairs.b, opts);
}

/** The problems of both runs that both have trajectories of, in A's order (same ids, same positions). */
function commonWithTrajectories(
  a: MetricsInput,
  b: MetricsInput,
): [MetricsInput["problems"], MetricsInput["problems"]] {
  const byB = new Map(b.problems.map((p) => [p.id, p]));
  const pa: MetricsInput["problems"] = [];
  const pb: MetricsInput["problems"] = [];
  for (const p of a.problems) {
    const q = byB.get(p.id);
    if (!q || p.trajectories.length === 0 || q.trajectories.length === 0) continue;
    pa.push(p);
    pb.push(q);
  }
  return [pa, pb];
}

function reachOf(problems: MetricsInput["problems"], axis: BudgetAxis): BudgetReach {
  let sum = 0;
  let count = 0;
  let total = Number.POSITIVE_INFINITY;
  for (const p of problems) {
    let t = 0;
    for (const x of p.trajectories) {
      const c = trajectoryCost(x, axis);
      t += c;
      sum += c;
      count++;
    }
    total = Math.min(total, t);
  }
  return { trajectory: count ? sum / count : 0, total: Number.isFinite(total) ? total : 0 };
}

/**
 * Budgets both runs reach, per axis: from one trajectory of the dearer run (its mean cost) up
 * to the smallest problem total of either run (beyond it some problem's sample is used up and
 * its value stops growing for want of trajectories, not of budget), at most `points` of them on
 * a geometric grid that ends at that upper bound. [] when either run spent nothing.
 */
export function sharedBudgets(a: BudgetReach, b: BudgetReach, points = 3): number[] {
  const hi = Math.floor(Math.min(a.total, b.total));
  if (hi < 1) return [];
  const lo = Math.min(hi, Math.max(1, Math.ceil(Math.max(a.trajectory, b.trajectory))));
  return geometricGrid(lo, hi, points);
}

const budgetLabel = (axis: BudgetAxis, budget: number) =>
  `solved ≤ ${budget.toLocaleString("en-US")} ${axis === "calls" ? (budget === 1 ? "call" : "calls") : "tokens"}`;

/**
 * The equal-budget part of `compareInputs`: the runs' budget-curve values per common problem at
 * the same budgets of calls and of tokens, paired by problem and bootstrapped over problems.
 * The runs may differ in everything else (turns, tree or chain, programs per trajectory): a
 * trajectory costs the sum over its turns.
 */
export function compareAtBudget(
  a: MetricsInput,
  b: MetricsInput,
  opts: CompareOptions = {},
): RunComparison["atBudget"] {
  const boot = bootOptions(opts);
  const [pa, pb] = commonWithTrajectories(a, b);
  if (pa.length === 0) return { budgets: { calls: [], tokens: [] }, reach: null, metrics: [] };
  const axes: BudgetAxis[] = ["calls", "tokens"];
  const reach = {
    a: { calls: reachOf(pa, "calls"), tokens: reachOf(pa, "tokens") },
    b: { calls: reachOf(pb, "calls"), tokens: reachOf(pb, "tokens") },
  };
  const budgets = { calls: [] as number[], tokens: [] as number[] };
  const metrics: PairedMetric[] = [];
  for (const axis of axes) {
    budgets[axis] = [...(opts.budgets?.[axis] ?? sharedBudgets(reach.a[axis], reach.b[axis]))];
    if (budgets[axis].length === 0) continue;
    const bopts = { permutations: opts.budgetPermutations, seed: opts.seed };
    const va = budgetValuesPerProblem(pa, axis, budgets[axis], bopts);
    const vb = budgetValuesPerProblem(pb, axis, budgets[axis], bopts);
    budgets[axis].forEach((budget, i) => {
      const r = pairedBootstrap(va[i] as number[], vb[i] as number[], boot);
      metrics.push({ metric: budgetLabel(axis, budget), kind: "budget", axis, budget, ...r });
    });
  }
  return { budgets, reach, metrics };
}

function bootOptions(opts: PairedBootstrapOptions): PairedBootstrapOptions {
  return {
    ...(opts.resamples !== undefined ? { resamples: opts.resamples } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.confidence !== undefined ? { confidence: opts.confidence } : {}),
  };
}

/**
 * Paired bootstrap per metric for two runs matched by problem id: pass@k where both runs have
 * k trajectories of a problem, pass n@k where both budgets (each run with its own turns per
 * trajectory) buy enough trajectories; and the two runs at equal budgets of calls and tokens
 * (`compareAtBudget`). Every metric uses the same seed, so the same resampled problems whenever
 * its problem set is the same.
 */
export function compareInputs(a: MetricsInput, b: MetricsInput, opts: CompareOptions = {}): RunComparison {
  const boot = bootOptions(opts);
  const metrics: PairedMetric[] = [];
  for (const k of opts.passAtK ?? [1, 10, 100]) {
    const r = pairedMetric(a, passAtKPerProblem(a.problems, k), b, passAtKPerProblem(b.problems, k), boot);
    if (r) metrics.push({ metric: `pass@${k}`, kind: "pass@k", k, ...r });
  }
  for (const s of opts.nAtK ?? DEFAULT_N_AT_K) {
    const r = pairedMetric(
      a,
      nAtKPerProblem(a.problems, s, a.maxTurns, opts.nAtKOptions),
      b,
      nAtKPerProblem(b.problems, s, b.maxTurns, opts.nAtKOptions),
      boot,
    );
    if (r) metrics.push({ metric: `pass ${s.n}@${s.k}`, kind: "n@k", n: s.n, k: s.k, ...r });
  }
  return { ...problemOverlap(a, b), metrics, atBudget: compareAtBudget(a, b, opts) };
}
