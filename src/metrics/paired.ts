import { quantileSorted } from "./bootstrap.js";
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
}

export interface PairedMetric extends PairedDifference {
  /** "pass@1", "pass 1@3", "similarity". */
  metric: string;
  kind: "pass@k" | "n@k" | "similarity";
  n?: number;
  k?: number;
}

export interface RunComparison {
  /** Problems both runs contain. */
  common: number;
  onlyA: string[];
  onlyB: string[];
  /** One entry per metric some common problem has a value for in both runs. */
  metrics: PairedMetric[];
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

/**
 * Paired bootstrap per metric for two runs matched by problem id: pass@k where both runs have
 * k trajectories of a problem, pass n@k where both budgets (each run with its own turns per
 * trajectory) buy enough trajectories. Every metric uses the same seed, so the same resampled
 * problems whenever its problem set is the same.
 */
export function compareInputs(a: MetricsInput, b: MetricsInput, opts: CompareOptions = {}): RunComparison {
  const boot: PairedBootstrapOptions = {
    ...(opts.resamples !== undefined ? { resamples: opts.resamples } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.confidence !== undefined ? { confidence: opts.confidence } : {}),
  };
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
  return { ...problemOverlap(a, b), metrics };
}
