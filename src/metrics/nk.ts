import { allFromRatio, logChoose } from "./combinatorics.js";
import { type Rng, randInt, seededRng } from "./rng.js";
import type { ProblemRecord, TrajectoryRecord } from "./types.js";

/**
 * pass n@k (AlphaCode), multi-turn flavour. The rule, per problem:
 *  - Trajectories are taken in sampling order. Every turn's program counts toward the budget k:
 *    with `cost: "max-turns"` (the paper's convention) each trajectory costs T = maxTurns
 *    programs, so k buys floor(k/T) trajectories; with `cost: "actual"` a trajectory costs its
 *    stored turns, and trajectories are taken while the next one still fits (no partial ones).
 *  - Each taken trajectory offers one program: its submission (normally the last turn's code).
 *  - Up to n are submitted: first the programs that pass the public tests, in trajectory order;
 *    if fewer than n do, the remaining slots go to the others, again in trajectory order.
 *  - Solved if any submitted program passes the hidden tests.
 * The reported value is the expectation over uniformly random orderings of the trajectories:
 * exact (hypergeometric) under "max-turns", a seeded Monte Carlo over orderings under "actual".
 */

export type BudgetCost = "max-turns" | "actual";

export interface NAtKSetting {
  n: number;
  k: number;
}

export const DEFAULT_N_AT_K: readonly NAtKSetting[] = [
  { n: 1, k: 3 },
  { n: 10, k: 30 },
  { n: 33, k: 100 },
  { n: 100, k: 300 },
];

export interface NAtKOptions {
  cost?: BudgetCost;
  /** Orderings sampled per problem under cost "actual" (default 2000). */
  permutations?: number;
  seed?: number;
}

/** Whether the submission passes public tests (a trajectory without submission offers a failing program). */
export function submissionPublicPass(t: TrajectoryRecord): boolean {
  if (t.submittedTurn === null) return false;
  return t.turns[t.submittedTurn]?.publicPass ?? false;
}

/** Programs a trajectory costs under cost "actual" (at least one: a request was made). */
export function programsOf(t: TrajectoryRecord): number {
  return Math.max(1, t.turns.length);
}

/** Trajectory counts by (public pass, hidden pass). */
export interface Quadrants {
  /** public pass, hidden pass */
  pp: number;
  /** public pass, hidden fail */
  pf: number;
  /** public fail, hidden pass */
  fp: number;
  /** public fail, hidden fail */
  ff: number;
}

export function quadrants(ts: readonly TrajectoryRecord[]): Quadrants {
  const q: Quadrants = { pp: 0, pf: 0, fp: 0, ff: 0 };
  for (const t of ts) {
    const pub = submissionPublicPass(t);
    if (pub) t.hiddenPass ? q.pp++ : q.pf++;
    else t.hiddenPass ? q.fp++ : q.ff++;
  }
  return q;
}

/**
 * Exact P(solved) when m trajectories are drawn uniformly without replacement and up to n are
 * submitted by the rule above. Sums over x, the public-passing trajectories drawn.
 */
export function nAtMTrajectories(q: Quadrants, n: number, m: number): number {
  const P = q.pp + q.pf;
  const F = q.fp + q.ff;
  const N = P + F;
  if (m > N) throw new RangeError(`nAtMTrajectories: ${m} trajectories asked, ${N} available`);
  const s = Math.min(n, m);
  const logTotal = logChoose(N, m);
  let fail = 0;
  for (let x = Math.max(0, m - F); x <= Math.min(P, m); x++) {
    const px = Math.exp(logChoose(P, x) + logChoose(F, m - x) - logTotal);
    if (px === 0) continue;
    // Within a random ordering, the public-passers drawn come in random order, so the first s
    // of them (or all x) are a uniform subset of the P; likewise the non-passers filling in.
    const failGiven =
      x >= s ? allFromRatio(q.pf, P, s) : allFromRatio(q.pf, P, x) * allFromRatio(q.ff, F, s - x);
    fail += px * failGiven;
  }
  return Math.min(1, Math.max(0, 1 - fail));
}

/** The rule applied to one ordering (indices into ts): solved or not. */
export function solvedInOrder(
  ts: readonly TrajectoryRecord[],
  order: readonly number[],
  n: number,
  k: number,
  cost: BudgetCost,
  maxTurns: number,
): boolean {
  let used = 0;
  const pub: boolean[] = [];
  const rest: boolean[] = [];
  for (const i of order) {
    const t = ts[i]!;
    const c = cost === "max-turns" ? maxTurns : programsOf(t);
    if (used + c > k) break;
    used += c;
    (submissionPublicPass(t) ? pub : rest).push(t.hiddenPass);
  }
  const submitted = [...pub.slice(0, n), ...rest.slice(0, Math.max(0, n - pub.length))];
  return submitted.some((h) => h);
}

/** Monte Carlo over orderings with a lazily drawn permutation (stops once the budget is spent). */
function nAtKSampled(
  ts: readonly TrajectoryRecord[],
  n: number,
  k: number,
  rng: Rng,
  permutations: number,
): number {
  const N = ts.length;
  const idx = new Int32Array(N);
  const pubFlag = new Uint8Array(N);
  const hid = new Uint8Array(N);
  const cost = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const t = ts[i]!;
    pubFlag[i] = submissionPublicPass(t) ? 1 : 0;
    hid[i] = t.hiddenPass ? 1 : 0;
    cost[i] = programsOf(t);
  }
  let solved = 0;
  for (let p = 0; p < permutations; p++) {
    for (let i = 0; i < N; i++) idx[i] = i;
    let used = 0;
    let pubSeen = 0;
    let restSeen = 0;
    let pubHit = false;
    // Rank among the non-passers of the first hidden-correct one (they fill leftover slots).
    let restHitRank = Number.POSITIVE_INFINITY;
    for (let pos = 0; pos < N; pos++) {
      const j = pos + randInt(rng, N - pos);
      const t = idx[j]!;
      idx[j] = idx[pos]!;
      idx[pos] = t;
      if (used + cost[t]! > k) break;
      used += cost[t]!;
      if (pubFlag[t]) {
        if (pubSeen < n && hid[t]) pubHit = true;
        pubSeen++;
      } else {
        if (hid[t] && restHitRank === Number.POSITIVE_INFINITY) restHitRank = restSeen;
        restSeen++;
      }
      if (pubHit) break;
    }
    if (pubHit || restHitRank < n - Math.min(n, pubSeen)) solved++;
  }
  return solved / permutations;
}

/**
 * Expected pass n@k per problem; null where the budget is not available (fewer trajectories
 * than it buys under "max-turns", or less than k programs in total under "actual").
 */
export function nAtKPerProblem(
  problems: readonly ProblemRecord[],
  setting: NAtKSetting,
  maxTurns: number,
  opts: NAtKOptions = {},
): (number | null)[] {
  const { n, k } = setting;
  if (!(n >= 1 && k >= 1 && n <= k)) throw new RangeError(`n@k needs 1 <= n <= k (got ${n}@${k})`);
  const cost = opts.cost ?? "max-turns";
  const rng = seededRng(opts.seed ?? 0);
  const perms = opts.permutations ?? 2000;
  return problems.map((p) => {
    const ts = p.trajectories;
    if (cost === "max-turns") {
      const m = Math.floor(k / maxTurns);
      if (m < 1 || m > ts.length) return null;
      return nAtMTrajectories(quadrants(ts), n, m);
    }
    let total = 0;
    for (const t of ts) total += programsOf(t);
    if (total < k) return null;
    return nAtKSampled(ts, n, k, rng, perms);
  });
}
