import type { ProblemRecord } from "./types.js";

/**
 * Unbiased pass@k (Chen et al. 2021): 1 - C(n-c,k)/C(n,k). The ratio is a product of
 * min(c,k) factors, (1 - c/(n-i)) for i < k or equivalently (1 - k/(n-i)) for i < c, never a
 * factorial; summing their log1p and finishing with expm1 keeps relative precision even when
 * the result is tiny, for n up to 10^6 and beyond.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 0 || c < 0 || k < 1) {
    throw new RangeError(`passAtK: need integers n >= 0, c >= 0, k >= 1 (got ${n}, ${c}, ${k})`);
  }
  if (c > n) throw new RangeError(`passAtK: c (${c}) exceeds n (${n})`);
  if (k > n) throw new RangeError(`passAtK: k (${k}) exceeds n (${n})`);
  if (n - c < k) return 1;
  if (c === 0) return 0;
  const [terms, x] = c < k ? [c, k] : [k, c];
  let logFail = 0;
  for (let i = 0; i < terms; i++) logFail += Math.log1p(-x / (n - i));
  return -Math.expm1(logFail);
}

/** Per-problem pass@k from trajectory submissions; problems with fewer than k trajectories are skipped. */
export function passAtKPerProblem(problems: readonly ProblemRecord[], k: number): (number | null)[] {
  return problems.map((p) => {
    const n = p.trajectories.length;
    if (n < k) return null;
    let c = 0;
    for (const t of p.trajectories) if (t.hiddenPass) c++;
    return passAtK(n, c, k);
  });
}

/** pass@k averaged over the problems that have at least k trajectories (null when none does). */
export function meanPassAtK(problems: readonly ProblemRecord[], k: number): number | null {
  const vals = passAtKPerProblem(problems, k).filter((v): v is number => v !== null);
  if (vals.length === 0) return null;
  return vals.reduce((s, v) => s + v, 0) / vals.length;
}
