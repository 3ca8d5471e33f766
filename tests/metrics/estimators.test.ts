import { describe, expect, it } from "vitest";
import {
  bootstrapMean,
  budgetCurve,
  nAtKPerProblem,
  nAtMTrajectories,
  passAtK,
  quadrants,
  seededRng,
} from "../../src/metrics/index.js";
import type { ProblemRecord, TrajectoryRecord } from "../../src/metrics/index.js";

/** All orderings of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const p of permutations(n - 1))
    for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}

function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, acc: number[]) => {
    if (acc.length === k) return void out.push(acc);
    for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

function traj(turns: number, pub: boolean, hidden: boolean, calls = 1, tokens = 100): TrajectoryRecord {
  return {
    turns: Array.from({ length: turns }, (_, i) => ({
      code: `x = ${i}`,
      publicPass: i === turns - 1 ? pub : false,
      hiddenPass: null,
      llmCalls: calls,
      tokens,
    })),
    submittedTurn: turns - 1,
    hiddenPass: hidden,
  };
}

function randomTrajectories(rng: () => number, n: number, maxTurns: number): TrajectoryRecord[] {
  return Array.from({ length: n }, () =>
    traj(
      1 + Math.floor(rng() * maxTurns),
      rng() < 0.4,
      rng() < 0.35,
      1 + Math.floor(rng() * 2),
      50 + Math.floor(rng() * 300),
    ),
  );
}

/** The n@k rule spelled out on one ordering, written independently of the library. */
function bruteSolved(
  ts: TrajectoryRecord[],
  order: number[],
  n: number,
  k: number,
  cost: (t: TrajectoryRecord) => number,
) {
  let used = 0;
  const taken: TrajectoryRecord[] = [];
  for (const i of order) {
    const t = ts[i]!;
    if (used + cost(t) > k) break;
    used += cost(t);
    taken.push(t);
  }
  const isPub = (t: TrajectoryRecord) => t.turns[t.submittedTurn!]!.publicPass;
  const ranked = [...taken.filter(isPub), ...taken.filter((t) => !isPub(t))];
  return ranked.slice(0, n).some((t) => t.hiddenPass);
}

function bruteNAtK(ts: TrajectoryRecord[], n: number, k: number, cost: (t: TrajectoryRecord) => number) {
  const perms = permutations(ts.length);
  return perms.filter((o) => bruteSolved(ts, o, n, k, cost)).length / perms.length;
}

describe("passAtK", () => {
  it("matches enumeration of all k-subsets", () => {
    for (let n = 1; n <= 8; n++)
      for (let c = 0; c <= n; c++)
        for (let k = 1; k <= n; k++) {
          const subs = subsets(n, k);
          // The first c samples are the correct ones.
          const hit = subs.filter((s) => s.some((i) => i < c)).length / subs.length;
          expect(passAtK(n, c, k)).toBeCloseTo(hit, 12);
        }
  });

  it("stays exact for n = 10^6", () => {
    expect(Math.abs(passAtK(1_000_000, 1, 1000) / 0.001 - 1)).toBeLessThan(1e-13);
    // c = 2, k = 2: 1 - (n-2)(n-3)/(n(n-1)) = (4n-6)/(n(n-1)), tiny yet relatively exact.
    const n = 1_000_000;
    expect(Math.abs(passAtK(n, 2, 2) / ((4 * n - 6) / (n * (n - 1))) - 1)).toBeLessThan(1e-12);
    expect(passAtK(1_000_000, 0, 500_000)).toBe(0);
    expect(passAtK(1_000_000, 999_999, 2)).toBe(1);
    // 1 - C(n-c,k)/C(n,k) with c = 10, k = 10^5: fail = prod over the 10 "correct" slots.
    let fail = 1;
    for (let i = 0; i < 10; i++) fail *= (1_000_000 - 100_000 - i) / (1_000_000 - i);
    expect(passAtK(1_000_000, 10, 100_000)).toBeCloseTo(1 - fail, 10);
    expect(() => passAtK(5, 6, 1)).toThrow(RangeError);
  });
});

describe("pass n@k", () => {
  it("max-turns: exact value equals enumeration of all orderings", () => {
    const rng = seededRng(7);
    for (let trial = 0; trial < 25; trial++) {
      const N = 2 + (trial % 5);
      const ts = randomTrajectories(rng, N, 3);
      const T = 3;
      for (let m = 1; m <= N; m++)
        for (let n = 1; n <= m + 1; n++) {
          const k = m * T + (trial % T);
          const brute = bruteNAtK(ts, n, k, () => T);
          expect(nAtMTrajectories(quadrants(ts), n, m)).toBeCloseTo(brute, 12);
          const p: ProblemRecord = { id: "p", difficulty: null, tags: [], trajectories: ts };
          if (n <= k) expect(nAtKPerProblem([p], { n, k }, T)[0]).toBeCloseTo(brute, 12);
        }
    }
  });

  it("max-turns equals a brute-force sum over subsets for a larger case", () => {
    // 9 trajectories, m = 4: check against the average over all C(9,4) subsets with ordered filling.
    const rng = seededRng(3);
    const ts = randomTrajectories(rng, 9, 1);
    const m = 4;
    const n = 2;
    let total = 0;
    let count = 0;
    for (const s of subsets(9, m)) {
      // Within a subset every ordering is equally likely; enumerate them.
      for (const o of permutations(m)) {
        total += bruteSolved(
          ts,
          o.map((i) => s[i]!),
          n,
          m,
          () => 1,
        )
          ? 1
          : 0;
        count++;
      }
    }
    expect(nAtMTrajectories(quadrants(ts), n, m)).toBeCloseTo(total / count, 12);
  });

  it("actual cost: sampled estimate is close to enumeration", () => {
    const rng = seededRng(11);
    for (let trial = 0; trial < 6; trial++) {
      const ts = randomTrajectories(rng, 6, 3);
      const p: ProblemRecord = { id: "p", difficulty: null, tags: [], trajectories: ts };
      for (const [n, k] of [
        [1, 3],
        [2, 6],
        [3, 9],
      ] as const) {
        const brute = bruteNAtK(ts, n, k, (t) => t.turns.length);
        const est = nAtKPerProblem([p], { n, k }, 3, {
          cost: "actual",
          permutations: 20_000,
          seed: trial,
        })[0]!;
        expect(Math.abs(est - brute)).toBeLessThan(0.02);
      }
    }
  });

  it("skips problems whose budget exceeds their trajectories", () => {
    const p: ProblemRecord = { id: "p", difficulty: null, tags: [], trajectories: [traj(3, true, true)] };
    expect(nAtKPerProblem([p], { n: 1, k: 6 }, 3)).toEqual([null]);
    expect(nAtKPerProblem([p], { n: 1, k: 3 }, 3)).toEqual([1]);
  });
});

describe("budget curves", () => {
  it("match enumeration of orderings by calls and by tokens", () => {
    const rng = seededRng(5);
    const ts = randomTrajectories(rng, 6, 3);
    ts[0]!.hiddenPass = true;
    const p: ProblemRecord = { id: "p", difficulty: null, tags: [], trajectories: ts };
    for (const axis of ["calls", "tokens"] as const) {
      const cost = (t: TrajectoryRecord) =>
        t.turns.reduce((s, u) => s + (axis === "calls" ? u.llmCalls : u.tokens), 0);
      const budgets = axis === "calls" ? [1, 2, 4, 8, 16] : [100, 300, 800, 2000];
      const curve = budgetCurve([p], axis, { budgets, permutations: 20_000, seed: 1 });
      for (const { budget, value } of curve) {
        const perms = permutations(6);
        const brute = perms.filter((o) => bruteSolved(ts, o, 6, budget, cost)).length / perms.length;
        expect(Math.abs(value - brute)).toBeLessThan(0.02);
      }
    }
  });
});

describe("bootstrap", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const rng = seededRng(1);
    const vals = Array.from({ length: 50 }, () => rng());
    const a = bootstrapMean(vals, { seed: 42 });
    expect(bootstrapMean(vals, { seed: 42 })).toEqual(a);
    expect(bootstrapMean(vals, { seed: 43 })).not.toEqual(a);
    expect(a.low).toBeLessThan(a.value);
    expect(a.high).toBeGreaterThan(a.value);
  });

  it("approximates the exact bootstrap distribution of a tiny sample", () => {
    // With 4 values there are 4^4 equally likely resamples: enumerate their means exactly.
    const vals = [0, 0.25, 1, 1];
    const means: number[] = [];
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++)
        for (let c = 0; c < 4; c++)
          for (let d = 0; d < 4; d++) means.push((vals[a]! + vals[b]! + vals[c]! + vals[d]!) / 4);
    means.sort((x, y) => x - y);
    const cdf = (x: number) => means.filter((m) => m <= x).length / means.length;
    const e = bootstrapMean(vals, { seed: 9, resamples: 20_000, confidence: 0.8 });
    expect(e.value).toBeCloseTo(0.5625, 12);
    // The interval's ends sit near the exact 10% and 90% points of the resampling distribution.
    expect(cdf(e.low)).toBeGreaterThan(0.05);
    expect(cdf(e.low - 1e-9)).toBeLessThan(0.15);
    expect(cdf(e.high)).toBeGreaterThan(0.85);
    expect(cdf(e.high - 1e-9)).toBeLessThan(0.95);
  });
});
