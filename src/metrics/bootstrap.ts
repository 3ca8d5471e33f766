import { randInt, seededRng } from "./rng.js";
import type { Estimate } from "./types.js";

export interface BootstrapOptions {
  /** Default 10,000. */
  resamples?: number;
  /** Default 0: the same seed gives the same interval. */
  seed?: number;
  /** Two-sided coverage, default 0.95. */
  confidence?: number;
}

/** Linear interpolation between order statistics (the usual "type 7" quantile). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Mean of per-problem values with a percentile bootstrap interval (resampling problems). */
export function bootstrapMean(values: readonly number[], opts: BootstrapOptions = {}): Estimate {
  const n = values.length;
  if (n === 0) return { value: Number.NaN, low: Number.NaN, high: Number.NaN };
  const resamples = opts.resamples ?? 10_000;
  const conf = opts.confidence ?? 0.95;
  const rng = seededRng(opts.seed ?? 0);
  const v = Float64Array.from(values);
  let sum = 0;
  for (const x of v) sum += x;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[randInt(rng, n)]!;
    means[r] = s / n;
  }
  means.sort();
  const alpha = (1 - conf) / 2;
  return { value: sum / n, low: quantileSorted(means, alpha), high: quantileSorted(means, 1 - alpha) };
}
