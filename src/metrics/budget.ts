import { randInt, seededRng } from "./rng.js";
import type { ProblemRecord, TrajectoryRecord } from "./types.js";

/**
 * Budget curves: the chance a problem is solved (some trajectory's submission passes the hidden
 * tests) when trajectories are taken in random order while their cost fits the budget, averaged
 * over problems. Cost is LLM calls (the paper's axis) or tokens (what users pay for).
 */

export type BudgetAxis = "calls" | "tokens";

export interface BudgetPoint {
  budget: number;
  value: number;
}

export interface BudgetCurveOptions {
  /** Budgets to evaluate; default a geometric grid over the data's range. */
  budgets?: number[];
  /** Orderings sampled per problem (default 2000). */
  permutations?: number;
  seed?: number;
}

export function trajectoryCost(t: TrajectoryRecord, axis: BudgetAxis): number {
  let c = 0;
  for (const u of t.turns) c += axis === "calls" ? u.llmCalls : u.tokens;
  return c;
}

/** Geometric grid from lo to hi (integers, deduplicated, ascending). */
export function geometricGrid(lo: number, hi: number, points: number): number[] {
  const a = Math.max(1, lo);
  const b = Math.max(a, hi);
  const out = new Set<number>();
  for (let i = 0; i < points; i++) {
    out.add(Math.round(a * (b / a) ** (points === 1 ? 0 : i / (points - 1))));
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * Per sampled ordering, the cost spent up to and including the first hidden-correct trajectory
 * (Infinity if none): the ordering solves the problem at every budget at least that large,
 * because trajectories are taken while they fit and prefix costs only grow.
 */
function costsToSolve(
  ts: readonly TrajectoryRecord[],
  axis: BudgetAxis,
  perms: number,
  seed: number,
): Float64Array {
  const rng = seededRng(seed);
  const N = ts.length;
  const cost = ts.map((t) => trajectoryCost(t, axis));
  const hid = ts.map((t) => t.hiddenPass);
  const idx = new Int32Array(N);
  const out = new Float64Array(perms);
  const anyHit = hid.some((h) => h);
  for (let i = 0; i < N; i++) idx[i] = i;
  for (let p = 0; p < perms; p++) {
    if (!anyHit) {
      out[p] = Number.POSITIVE_INFINITY;
      continue;
    }
    // No reset between orderings: each step picks uniformly among the items not yet taken,
    // whatever their arrangement, so the prefix is a uniform draw without replacement.
    let used = 0;
    for (let pos = 0; pos < N; pos++) {
      const j = pos + randInt(rng, N - pos);
      const t = idx[j]!;
      idx[j] = idx[pos]!;
      idx[pos] = t;
      used += cost[t]!;
      if (hid[t]) break;
    }
    out[p] = used;
  }
  return out.sort();
}

/** The default budgets of a curve: a geometric grid from the cheapest trajectory to the largest problem's total. */
export function defaultBudgets(problems: readonly ProblemRecord[], axis: BudgetAxis, points = 24): number[] {
  let minCost = Number.POSITIVE_INFINITY;
  let maxTotal = 0;
  for (const p of problems) {
    let total = 0;
    for (const t of p.trajectories) {
      const c = trajectoryCost(t, axis);
      total += c;
      if (c > 0) minCost = Math.min(minCost, c);
    }
    maxTotal = Math.max(maxTotal, total);
  }
  return geometricGrid(Number.isFinite(minCost) ? minCost : 1, maxTotal, points);
}

/**
 * Per problem and budget, the chance that problem is solved within the budget (the sampled
 * share of orderings): `values[b][p]`, null for a problem without trajectories. Problem p's
 * orderings are seeded with seed + (its position among the problems that have trajectories),
 * so the mean over the problems is exactly `budgetCurve`'s value.
 */
export function budgetValuesPerProblem(
  problems: readonly ProblemRecord[],
  axis: BudgetAxis,
  budgets: readonly number[],
  opts: Omit<BudgetCurveOptions, "budgets"> = {},
): (number | null)[][] {
  const perms = opts.permutations ?? 2000;
  const out = budgets.map(() => new Array<number | null>(problems.length).fill(null));
  let pi = 0;
  problems.forEach((p, i) => {
    if (p.trajectories.length === 0) return;
    const sorted = costsToSolve(p.trajectories, axis, perms, (opts.seed ?? 0) + pi++);
    budgets.forEach((b, bi) => {
      // Count of sampled orderings solved within b: binary search in the sorted costs.
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! <= b) lo = mid + 1;
        else hi = mid;
      }
      out[bi]![i] = lo / perms;
    });
  });
  return out;
}

/**
 * The curve averaged over the problems that have trajectories. A trajectory costs the sum over
 * all its turns (every node of a tree search, every candidate of best-of-N), so runs of
 * different shapes are on one axis.
 */
export function budgetCurve(
  allProblems: readonly ProblemRecord[],
  axis: BudgetAxis,
  opts: BudgetCurveOptions = {},
): BudgetPoint[] {
  // A problem without trajectories has no ordering to sample; it is not part of the curve.
  const problems = allProblems.filter((p) => p.trajectories.length > 0);
  if (problems.length === 0) return [];
  const budgets = opts.budgets ?? defaultBudgets(problems, axis);
  const values = budgetValuesPerProblem(problems, axis, budgets, opts);
  return budgets.map((b, i) => {
    let sum = 0;
    for (const v of values[i]!) sum += v!;
    return { budget: b, value: sum / problems.length };
  });
}
