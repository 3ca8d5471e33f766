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

/**
 * Resampled problem indices, drawn once per (n, resamples, seed) and shared by every metric of
 * that size: the draws are the same for all of them anyway (same seed, same n), and reading them
 * back costs far less than generating them again. Pass one to `bootstrapMean` calls that belong
 * together (one `computeMetrics`).
 */
export class BootstrapDraws {
  private readonly byKey = new Map<string, Int32Array>();

  /** Indices of resample r are entries r*n .. r*n+n-1. */
  get(n: number, resamples: number, seed: number): Int32Array {
    const key = `${n}/${resamples}/${seed}`;
    let d = this.byKey.get(key);
    if (!d) {
      const rng = seededRng(seed);
      d = new Int32Array(n * resamples);
      for (let i = 0; i < d.length; i++) d[i] = randInt(rng, n);
      this.byKey.set(key, d);
    }
    return d;
  }
}

/** Mean of per-problem values with a percentile bootstrap interval (resampling problems). */
export function bootstrapMean(
  values: readonly number[],
  opts: BootstrapOptions = {},
  draws: BootstrapDraws = new BootstrapDraws(),
): Estimate {
  const n = values.length;
  if (n === 0) return { value: Number.NaN, low: Number.NaN, high: Number.NaN };
  const resamples = opts.resamples ?? 10_000;
  const conf = opts.confidence ?? 0.95;
  const idx = draws.get(n, resamples, opts.seed ?? 0);
  const v = Float64Array.from(values);
  let sum = 0;
  for (const x of v) sum += x;
  const means = new Float64Array(resamples);
  for (let r = 0, at = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[idx[at++]!]!;
    means[r] = s / n;
  }
  means.sort();
  const alpha = (1 - conf) / 2;
  return { value: sum / n, low: quantileSorted(means, alpha), high: quantileSorted(means, 1 - alpha) };
}
