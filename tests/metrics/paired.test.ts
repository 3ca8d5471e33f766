import { describe, expect, it } from "vitest";
import {
  compareInputs,
  pairByProblem,
  pairedBootstrap,
  unpairedBootstrap,
} from "../../src/metrics/paired.js";
import { seededRng } from "../../src/metrics/rng.js";

/** Every one of the n^n resamples of n paired problems, each with its mean difference. */
function enumerate(a: number[], b: number[]): number[] {
  const n = a.length;
  const out: number[] = [];
  const idx = new Array<number>(n).fill(0);
  for (;;) {
    let s = 0;
    for (const i of idx) s += b[i]! - a[i]!;
    out.push(s / n);
    let pos = 0;
    while (pos < n && ++idx[pos]! === n) idx[pos++] = 0;
    if (pos === n) break;
  }
  return out.sort((x, y) => x - y);
}

/** Exact inverse CDF of the enumerated distribution (every resample equally likely). */
function exactQuantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function exactP(sorted: number[]): number {
  const eps = 1e-12;
  const le = sorted.filter((d) => d <= eps).length / sorted.length;
  const ge = sorted.filter((d) => d >= -eps).length / sorted.length;
  return Math.min(1, 2 * Math.min(le, ge));
}

const cases: { name: string; a: number[]; b: number[] }[] = [
  { name: "B better on 3 of 4 problems (pass/fail)", a: [0, 0, 1, 0], b: [1, 1, 1, 0] },
  { name: "mixed signs, fractional values", a: [0.2, 0.9, 0.5, 0.1, 0.4], b: [0.6, 0.7, 0.9, 0.3, 0.4] },
  { name: "B worse on one of three", a: [1, 0.5, 0], b: [0, 0.5, 0] },
];

describe("paired bootstrap", () => {
  for (const c of cases) {
    it(`agrees with brute-force enumeration of all resamples: ${c.name}`, () => {
      const exact = enumerate(c.a, c.b);
      const r = pairedBootstrap(c.a, c.b, { resamples: 200_000, seed: 11 });
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      expect(r.problems).toBe(c.a.length);
      expect(r.a).toBeCloseTo(mean(c.a), 12);
      expect(r.b).toBeCloseTo(mean(c.b), 12);
      expect(r.diff).toBeCloseTo(mean(c.b) - mean(c.a), 12);
      // The bootstrap distribution's mean is the observed difference.
      expect(mean(exact)).toBeCloseTo(r.diff, 12);
      // Percentile bounds fall between the exact quantiles just below and above 2.5% / 97.5%
      // (a discrete distribution: a bound sits on an atom or interpolates two neighbours).
      const band = 0.004;
      expect(r.low).toBeGreaterThanOrEqual(exactQuantile(exact, 0.025 - band) - 1e-12);
      expect(r.low).toBeLessThanOrEqual(exactQuantile(exact, 0.025 + band) + 1e-12);
      expect(r.high).toBeGreaterThanOrEqual(exactQuantile(exact, 0.975 - band) - 1e-12);
      expect(r.high).toBeLessThanOrEqual(exactQuantile(exact, 0.975 + band) + 1e-12);
      expect(Math.abs(r.p - exactP(exact))).toBeLessThan(0.006);
    });
  }

  it("the p-value is small when every resample favours B, and 1 for identical runs", () => {
    const a = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const b = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5];
    const r = pairedBootstrap(a, b, { resamples: 999 });
    expect(r.p).toBeCloseTo(2 / 1000, 12);
    expect(r.low).toBeGreaterThan(0.8);
    const same = pairedBootstrap(b, b, { resamples: 999 });
    expect(same).toMatchObject({ diff: 0, low: 0, high: 0, p: 1 });
  });

  it("pairing matters: correlated runs give a much tighter interval than resampling them independently", () => {
    // Problems of very different difficulty; B is A plus a small, noisy improvement.
    const rng = seededRng(5);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 200; i++) {
      const base = rng();
      a.push(base);
      b.push(Math.min(1, Math.max(0, base + 0.03 + (rng() - 0.5) * 0.04)));
    }
    const paired = pairedBootstrap(a, b, { resamples: 4000, seed: 1 });
    const unpaired = unpairedBootstrap(a, b, { resamples: 4000, seed: 1 });
    expect(paired.diff).toBeCloseTo(unpaired.diff, 12);
    const wp = paired.high - paired.low;
    const wu = unpaired.high - unpaired.low;
    expect(wp * 5).toBeLessThan(wu);
    // The paired test sees the improvement; the unpaired one cannot tell it from noise.
    expect(paired.low).toBeGreaterThan(0);
    expect(paired.p).toBeLessThan(0.01);
    expect(unpaired.low).toBeLessThan(0);
    expect(unpaired.p).toBeGreaterThan(0.05);
  });

  it("is reproducible under a seed and changes with it", () => {
    const a = [0.1, 0.4, 0.35, 0.8, 0.05, 0.6, 0.3];
    const b = [0.2, 0.3, 0.5, 0.9, 0.05, 0.7, 0.2];
    const r1 = pairedBootstrap(a, b, { seed: 42, resamples: 500 });
    const r2 = pairedBootstrap(a, b, { seed: 42, resamples: 500 });
    const r3 = pairedBootstrap(a, b, { seed: 43, resamples: 500 });
    expect(r2).toEqual(r1);
    expect([r3.low, r3.high, r3.p]).not.toEqual([r1.low, r1.high, r1.p]);
    expect(r3.diff).toBe(r1.diff);
  });

  it("a wider confidence gives a wider interval; defaults are 10,000 resamples", () => {
    const a = [0, 1, 0, 1, 0, 0, 1, 0];
    const b = [1, 1, 0, 1, 1, 0, 1, 1];
    const r95 = pairedBootstrap(a, b);
    const r99 = pairedBootstrap(a, b, { confidence: 0.99 });
    expect(r95.resamples).toBe(10_000);
    expect(r99.low).toBeLessThanOrEqual(r95.low);
    expect(r99.high).toBeGreaterThanOrEqual(r95.high);
    expect(r99.high - r99.low).toBeGreaterThan(r95.high - r95.low);
  });

  it("refuses unpaired input and bad options", () => {
    expect(() => pairedBootstrap([1, 2], [1])).toThrow(/2 and 1 values/);
    expect(() => pairedBootstrap([1, Number.NaN], [1, 2])).toThrow(/not a finite number/);
    expect(() => pairedBootstrap([1], [1], { resamples: 0 })).toThrow(/resamples/);
    expect(() => pairedBootstrap([1], [1], { confidence: 1 })).toThrow(/confidence/);
    expect(pairedBootstrap([], []).problems).toBe(0);
  });
});

describe("pairByProblem", () => {
  it("keeps the problems both runs have a value for, matched by id", () => {
    const r = pairByProblem(
      ["p1", "p2", "p3", "p4"],
      [0.5, null, 1, 0],
      ["p4", "p3", "p2", "p9"],
      [1, 0, 0.25, 1],
    );
    expect(r).toEqual({ ids: ["p3", "p4"], a: [1, 0], b: [0, 1] });
  });
});

describe("compareInputs", () => {
  const traj = (pass: boolean, turns = 1) => ({
    turns: Array.from({ length: turns }, (_, i) => ({
      code: "x",
      publicPass: pass && i === turns - 1,
      hiddenPass: pass && i === turns - 1,
      llmCalls: 1,
      tokens: 10,
    })),
    submittedTurn: turns - 1,
    hiddenPass: pass,
  });
  const problem = (id: string, passes: boolean[], turns = 1) => ({
    id,
    difficulty: null,
    tags: [],
    trajectories: passes.map((p) => traj(p, turns)),
  });

  it("matches problems by id whatever their order, and buys n@k trajectories with each run's own turns", () => {
    const a = {
      feedbackKind: "binary",
      maxTurns: 1,
      problems: [
        problem("x", [true, false, false]),
        problem("y", [false, false, false]),
        problem("z", [true, true, true]),
      ],
    };
    const b = {
      feedbackKind: "binary",
      maxTurns: 3,
      problems: [
        problem("w", [true], 2),
        problem("y", [true, true, true], 2),
        problem("x", [true, true, true], 2),
      ],
    };
    const r = compareInputs(a, b, { resamples: 500 });
    expect(r).toMatchObject({ common: 2, onlyA: ["z"], onlyB: ["w"] });
    const pass1 = r.metrics.find((m) => m.metric === "pass@1")!;
    // x: 1/3 vs 1; y: 0 vs 1.
    expect(pass1).toMatchObject({ problems: 2, b: 1 });
    expect(pass1.a).toBeCloseTo(1 / 6, 12);
    // 1@3: three single-turn trajectories of A (x solved by one of them, y not), one of B.
    const n13 = r.metrics.find((m) => m.metric === "pass 1@3")!;
    expect(n13).toMatchObject({ problems: 2, a: 0.5, b: 1, diff: 0.5 });
    // Nothing affords pass@10 or 10@30 with three trajectories.
    expect(r.metrics.map((m) => m.metric)).toEqual(["pass@1", "pass 1@3"]);
  });
});
