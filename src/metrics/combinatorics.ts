/** log(i!) for i <= n, grown on demand: binomials as differences of logs stay exact to ~1e-13. */
const logFact: number[] = [0];

function logFactorial(n: number): number {
  for (let i = logFact.length; i <= n; i++) logFact.push(logFact[i - 1]! + Math.log(i));
  return logFact[n]!;
}

/** log C(n, r); -Infinity when r is out of range (the binomial is 0). */
export function logChoose(n: number, r: number): number {
  if (r < 0 || r > n) return Number.NEGATIVE_INFINITY;
  return logFactorial(n) - logFactorial(r) - logFactorial(n - r);
}

/** C(bad, r) / C(pool, r): chance that r draws without replacement from `pool` all land in `bad`. */
export function allFromRatio(bad: number, pool: number, r: number): number {
  if (r <= 0) return 1;
  if (r > bad) return 0;
  let p = 1;
  for (let i = 0; i < r; i++) p *= (bad - i) / (pool - i);
  return p;
}
