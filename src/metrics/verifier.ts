/**
 * Verifier metrics of a best-of-N run, from its stored candidates and their hidden grades:
 * how well the learned verifier's scores rank right programs above wrong ones (ROC AUC), how
 * often its top-scored candidate of a turn is right (top-1), and what each selection rule would
 * have scored had it picked among n of the N candidates of a first turn (best-of-N curves).
 *
 * The accumulator sees one TrajectoryDetail at a time and keeps only numbers: per scored and
 * graded candidate a score, a label and a problem index (for the AUC and its bootstrap), and
 * running sums for everything else, so a run of 33,000 trajectories x 3 turns x 5 candidates
 * stays a few megabytes. Selections are replayed with `selectCandidate`, the function runs use.
 */
import { SELECTION_RULES } from "../runs/config.js";
import type { RunStore } from "../runs/store.js";
import {
  type Candidate,
  type HiddenGrade,
  type TrajectoryDetail,
  type Turn,
  gradeKey,
  latestGrades,
} from "../runs/trajectory.js";
import { selectCandidate } from "../strategies/index.js";
import { quantileSorted } from "./bootstrap.js";
import { allFromRatio } from "./combinatorics.js";
import { type Rng, randInt, seededRng } from "./rng.js";

/** A selection rule of best-of-N runs (`strategy.selection`). */
export type SelectionRule = (typeof SELECTION_RULES)[number];

/** The rules the curves replay, plus the oracle (any accepted candidate among the n). */
export type BestOfNRule = SelectionRule | "oracle";

export interface VerifierCounts {
  /** Candidates of every stored turn. */
  candidates: number;
  withCode: number;
  /** Candidates with a (finite) verifier score. */
  scored: number;
  /** Candidates whose latest hidden grade exists and is not an infrastructure failure. */
  graded: number;
  scoredAndGraded: number;
  /** Latest hidden grades that were infrastructure failures (left out of every metric). */
  infrastructureFailures: number;
  /** Scored and graded candidates whose grade is accepted (the AUC's positives). */
  acceptedScoredAndGraded: number;
}

export interface VerifierAuc {
  /** ROC AUC of scores against accepted (positive) vs not; null when one class is empty. */
  value: number | null;
  /** 95% percentile bootstrap interval over problems; null without a value or with one problem. */
  low: number | null;
  high: number | null;
  positives: number;
  negatives: number;
  /** Problems that contributed a scored and graded candidate (the bootstrap's units). */
  problems: number;
  interval: "percentile bootstrap over problems";
  resamples: number;
  seed: number;
}

export interface Top1Row {
  rule: "verifier" | "public-tests+verifier" | "public-tests";
  /** Turns where the rule's pick (among the turn's scored and graded candidates) is accepted. */
  accepted: number;
  turns: number;
  rate: number | null;
}

export interface VerifierTop1 {
  /** Turns with >= 2 scored and graded candidates, at least one of them accepted. */
  turns: number;
  /** The verifier's, PT+LV's and PT's pick on those turns; empty when no turn qualifies. */
  rows: Top1Row[];
  /** Over turns with >= 2 graded candidates: the share with any accepted candidate. */
  oracle: { turns: number; withAccepted: number; rate: number | null };
}

export interface BestOfNPoint {
  n: number;
  /** Mean over eligible first turns of the expected pass rate of the rule's pick among n. */
  passRate: number;
}

export interface BestOfNCurve {
  rule: BestOfNRule;
  points: BestOfNPoint[];
}

export interface VerifierBestOfN {
  /** Candidates per first turn the curves are for. */
  candidatesPerTurn: number;
  /** First turns with N candidates whose every code has a usable hidden grade. */
  turns: number;
  /** First turns left out: a code without a usable grade, or another number of candidates. */
  ineligibleTurns: number;
  /** Largest number of subsets of one size that were enumerated; beyond it subsets were sampled. */
  maxSubsets: number;
  /** Sizes n whose C(N, n) subsets exceeded maxSubsets, so maxSubsets seeded subsets were drawn. */
  sampledSizes: number[];
  curves: BestOfNCurve[];
}

export interface VerifierMetrics {
  counts: VerifierCounts;
  /** What is missing and how to get it. */
  notes: string[];
  /** null when no candidate is both scored and graded. */
  auc: VerifierAuc | null;
  /** null when no turn has two graded candidates. */
  top1: VerifierTop1 | null;
  /** null when no first turn is eligible; without scores only the random, PT and oracle curves. */
  bestOfN: VerifierBestOfN | null;
}

export interface VerifierOptions {
  /** The run's candidatesPerTurn: the N of the curves (default: the most common first-turn N). */
  candidatesPerTurn?: number;
  /** AUC bootstrap resamples (default 1000: each costs one pass over the scored candidates). */
  resamples?: number;
  /** Seed of the AUC bootstrap and of sampled subsets (default 0). */
  seed?: number;
  /** Subsets of one size enumerated per turn before seeded sampling takes over (default 256). */
  maxSubsets?: number;
  /** The run's selection rule, named in the note when scores are missing. */
  selection?: string;
  /**
   * How each bootstrap resample's AUC is computed (both exact, same numbers): "candidates"
   * passes over every scored candidate, "problem-pairs" uses a problem x problem pair-count
   * matrix; default "auto" takes the cheaper (the matrix when problems are few).
   */
  aucBootstrap?: "auto" | "candidates" | "problem-pairs";
}

const DEFAULT_RESAMPLES = 1000;
const DEFAULT_MAX_SUBSETS = 256;
/** Problems up to which the AUC bootstrap may use a P x P matrix (8 MB of doubles at 1024). */
const MAX_MATRIX_PROBLEMS = 1024;
/** Rules whose pick selectCandidate replays on each subset (random is analytic). */
const REPLAYED: readonly SelectionRule[] = ["public-tests", "verifier", "public-tests+verifier"];
const TOP1_RULES: readonly Top1Row["rule"][] = ["verifier", "public-tests+verifier", "public-tests"];

/** Growable typed columns: one entry per scored and graded candidate. */
class Column<T extends Float64Array | Int32Array | Uint8Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/** Sums of one N's curves: per rule, per n, the summed expected pass rate over eligible turns. */
interface CurveSums {
  turns: number;
  sums: Map<BestOfNRule, Float64Array>;
}

/** C(n, r) as a number (exact for the small N of best-of-N). */
function choose(n: number, r: number): number {
  if (r < 0 || r > n) return 0;
  let c = 1;
  for (let i = 1; i <= r; i++) c = (c * (n - r + i)) / i;
  return Math.round(c);
}

/** Calls `visit` with every r-subset of 0..n-1 in lexicographic order (indices reused). */
function forEachSubset(n: number, r: number, visit: (idx: readonly number[]) => void): void {
  const idx = Array.from({ length: r }, (_, i) => i);
  for (;;) {
    visit(idx);
    let i = r - 1;
    while (i >= 0 && idx[i] === n - r + i) i--;
    if (i < 0) return;
    idx[i]!++;
    for (let j = i + 1; j < r; j++) idx[j] = idx[j - 1]! + 1;
  }
}

/** A uniform r-subset of 0..n-1 (partial Fisher-Yates), sorted so candidates keep their order. */
function sampleSubset(rng: Rng, n: number, r: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < r; i++) {
    const j = i + randInt(rng, n - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, r).sort((a, b) => a - b);
}

const hasScore = (c: Candidate) => c.verifierScore !== null && Number.isFinite(c.verifierScore);

/**
 * Streams TrajectoryDetails of one run into its verifier metrics: `add` each trajectory (in
 * any order), then `result`. Every stored turn counts, whatever the trajectory's status: a
 * candidate's score and grade do not depend on how the trajectory ended.
 */
export class VerifierAccumulator {
  private readonly counts: VerifierCounts = {
    candidates: 0,
    withCode: 0,
    scored: 0,
    graded: 0,
    scoredAndGraded: 0,
    infrastructureFailures: 0,
    acceptedScoredAndGraded: 0,
  };
  private readonly scores = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  private readonly labels = new Column(new Uint8Array(1024), (n) => new Uint8Array(n));
  private readonly problemOf = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  private readonly problemIndex = new Map<string, number>();
  private readonly top1 = { turns: 0, accepted: new Map<Top1Row["rule"], number>() };
  private readonly oracle = { turns: 0, withAccepted: 0 };
  private readonly curves = new Map<number, CurveSums>();
  private ineligibleFirstTurns = 0;
  private readonly sampledSizes = new Map<number, Set<number>>();
  private readonly rng: Rng;
  private readonly maxSubsets: number;

  constructor(private readonly opts: VerifierOptions = {}) {
    this.maxSubsets = opts.maxSubsets ?? DEFAULT_MAX_SUBSETS;
    if (!Number.isInteger(this.maxSubsets) || this.maxSubsets < 1)
      throw new RangeError(`maxSubsets must be a positive integer, got ${opts.maxSubsets}`);
    this.rng = seededRng((opts.seed ?? 0) ^ 0x5eed);
  }

  add(d: TrajectoryDetail): void {
    const grades = latestGrades(d);
    let problem = this.problemIndex.get(d.problemId);
    if (problem === undefined) {
      problem = this.problemIndex.size;
      this.problemIndex.set(d.problemId, problem);
    }
    for (const turn of d.turns) {
      // accepted per candidate: true/false when graded (no code = cannot pass), undefined otherwise.
      const accepted = new Map<number, boolean>();
      let codesUngraded = 0;
      const scoredGraded: Candidate[] = [];
      for (const c of turn.candidates) {
        this.counts.candidates++;
        if (c.code === null) {
          accepted.set(c.index, false);
          continue;
        }
        this.counts.withCode++;
        const scored = hasScore(c);
        if (scored) this.counts.scored++;
        const g = grades.get(gradeKey(turn.index, c.index));
        if (g?.infrastructureFailure) this.counts.infrastructureFailures++;
        if (!g || g.infrastructureFailure) {
          codesUngraded++;
          continue;
        }
        this.counts.graded++;
        const ok = g.verdict === "accepted";
        accepted.set(c.index, ok);
        if (scored) {
          this.counts.scoredAndGraded++;
          if (ok) this.counts.acceptedScoredAndGraded++;
          this.scores.push(c.verifierScore!);
          this.labels.push(ok ? 1 : 0);
          this.problemOf.push(problem);
          scoredGraded.push(c);
        }
      }
      this.addTop1(turn, accepted, scoredGraded);
      if (turn.index === 0 && turn.parentTurn === null) this.addFirstTurn(turn, accepted, codesUngraded);
    }
  }

  private addTop1(turn: Turn, accepted: Map<number, boolean>, scoredGraded: Candidate[]): void {
    const graded = turn.candidates.filter((c) => c.code !== null && accepted.has(c.index));
    if (graded.length >= 2) {
      this.oracle.turns++;
      if (graded.some((c) => accepted.get(c.index))) this.oracle.withAccepted++;
    }
    if (scoredGraded.length < 2 || !scoredGraded.some((c) => accepted.get(c.index))) return;
    this.top1.turns++;
    for (const rule of TOP1_RULES) {
      // The pick among the scored and graded candidates only, so every pick has a known outcome.
      const pick = selectCandidate(scoredGraded, rule, 0);
      if (accepted.get(pick)) this.top1.accepted.set(rule, (this.top1.accepted.get(rule) ?? 0) + 1);
    }
  }

  private addFirstTurn(turn: Turn, accepted: Map<number, boolean>, codesUngraded: number): void {
    const cands = turn.candidates;
    const N = cands.length;
    const wanted = this.opts.candidatesPerTurn;
    if (codesUngraded > 0 || N === 0 || (wanted !== undefined && N !== wanted)) {
      this.ineligibleFirstTurns++;
      return;
    }
    let sums = this.curves.get(N);
    if (!sums) {
      sums = { turns: 0, sums: new Map() };
      for (const r of [...SELECTION_RULES, "oracle" as const]) sums.sums.set(r, new Float64Array(N + 1));
      this.curves.set(N, sums);
    }
    sums.turns++;
    const withCode = cands.filter((c) => c.code !== null).length;
    const nAccepted = cands.filter((c) => accepted.get(c.index)).length;
    const random = sums.sums.get("random")!;
    const oracle = sums.sums.get("oracle")!;
    for (let n = 1; n <= N; n++) {
      // Oracle: some accepted candidate among the n, i.e. not all n drawn from the N - a others.
      oracle[n]! += 1 - allFromRatio(N - nAccepted, N, n);
      // Random draws uniformly from the subset's candidates with code (selectCandidate's pool);
      // by symmetry its expected pass is a/c whenever the subset holds a code, else 0.
      random[n]! += withCode === 0 ? 0 : (nAccepted / withCode) * (1 - allFromRatio(N - withCode, N, n));
      const total = choose(N, n);
      // Each subset weighs 1/count: the exact mean over all C(N, n), or over the drawn sample.
      const count = Math.min(total, this.maxSubsets);
      const visit = (idx: readonly number[]) => {
        const subset = idx.map((i) => cands[i]!);
        for (const rule of REPLAYED) {
          const pick = selectCandidate(subset, rule, 0);
          if (accepted.get(pick)) sums.sums.get(rule)![n]! += 1 / count;
        }
      };
      if (total <= this.maxSubsets) {
        forEachSubset(N, n, visit);
      } else {
        const sizes = this.sampledSizes.get(N) ?? new Set<number>();
        sizes.add(n);
        this.sampledSizes.set(N, sizes);
        for (let s = 0; s < count; s++) visit(sampleSubset(this.rng, N, n));
      }
    }
  }

  result(): VerifierMetrics {
    const c = { ...this.counts };
    const scoredAny = c.scored > 0;
    const notes: string[] = [];
    if (c.candidates === 0) notes.push("No stored candidates.");
    if (!scoredAny && c.withCode > 0) {
      notes.push(
        `No verifier scores: the run's selection rule${this.opts.selection ? ` (${this.opts.selection})` : ""} did not score candidates; scores are stored when strategy.selection is "verifier" or "public-tests+verifier" (with strategy.verifier).`,
      );
    } else if (scoredAny && c.scored < c.withCode) {
      notes.push(`${c.withCode - c.scored} of ${c.withCode} codes have no verifier score.`);
    }
    const ungraded = c.withCode - c.graded;
    if (ungraded > 0) {
      notes.push(
        `${ungraded} of ${c.withCode} codes have no usable hidden grade${c.infrastructureFailures ? ` (${c.infrastructureFailures} infrastructure failures, left out)` : ""}: runs grade only submissions unless grading.gradeEveryTurn is true; grade every stored code with \`codeloop rejudge <folder> --all\`.`,
      );
    }
    const bestOfN = this.bestOfNResult(scoredAny);
    if (bestOfN && bestOfN.sampledSizes.length > 0) {
      notes.push(
        `Best-of-N: for n = ${bestOfN.sampledSizes.join(", ")} the C(${bestOfN.candidatesPerTurn}, n) subsets exceed ${bestOfN.maxSubsets}; ${bestOfN.maxSubsets} seeded random subsets per turn were used instead.`,
      );
    }
    const rate = (a: number, n: number) => (n > 0 ? a / n : null);
    const top1: VerifierTop1 | null =
      this.oracle.turns === 0 && this.top1.turns === 0
        ? null
        : {
            turns: this.top1.turns,
            rows:
              this.top1.turns === 0
                ? []
                : TOP1_RULES.map((rule) => {
                    const a = this.top1.accepted.get(rule) ?? 0;
                    return { rule, accepted: a, turns: this.top1.turns, rate: rate(a, this.top1.turns) };
                  }),
            oracle: {
              turns: this.oracle.turns,
              withAccepted: this.oracle.withAccepted,
              rate: rate(this.oracle.withAccepted, this.oracle.turns),
            },
          };
    return { counts: c, notes, auc: this.aucResult(), top1, bestOfN };
  }

  private bestOfNResult(scoredAny: boolean): VerifierBestOfN | null {
    // The configured N, else the N with the most eligible first turns (the larger on a tie).
    let N = this.opts.candidatesPerTurn;
    if (N === undefined) {
      let best = -1;
      for (const [n, s] of this.curves) {
        if (s.turns > best || (s.turns === best && n > (N ?? 0))) {
          best = s.turns;
          N = n;
        }
      }
    }
    const sums = N === undefined ? undefined : this.curves.get(N);
    if (N === undefined || !sums || sums.turns === 0) return null;
    let otherN = 0;
    for (const [n, s] of this.curves) if (n !== N) otherN += s.turns;
    // Without scores the verifier rules replay index order: no curve of theirs means anything.
    const rules: BestOfNRule[] = scoredAny
      ? ["random", "public-tests", "verifier", "public-tests+verifier", "oracle"]
      : ["random", "public-tests", "oracle"];
    return {
      candidatesPerTurn: N,
      turns: sums.turns,
      ineligibleTurns: this.ineligibleFirstTurns + otherN,
      maxSubsets: this.maxSubsets,
      sampledSizes: [...(this.sampledSizes.get(N) ?? [])].sort((a, b) => a - b),
      curves: rules.map((rule) => {
        const s = sums.sums.get(rule)!;
        return {
          rule,
          points: Array.from({ length: N }, (_, i) => ({ n: i + 1, passRate: s[i + 1]! / sums.turns })),
        };
      }),
    };
  }

  private aucResult(): VerifierAuc | null {
    const scores = this.scores.view();
    const labels = this.labels.view();
    const problemOf = this.problemOf.view();
    const m = scores.length;
    if (m === 0) return null;
    const resamples = this.opts.resamples ?? DEFAULT_RESAMPLES;
    const seed = this.opts.seed ?? 0;
    const order = new Uint32Array(m);
    for (let i = 0; i < m; i++) order[i] = i;
    order.sort((a, b) => scores[a]! - scores[b]!);
    // The candidates in ascending score order, as flat columns the per-resample pass reads
    // straight through: the key packs problem and label (2 * problem + accepted), and
    // lastOfTie marks the last candidate of each run of equal scores.
    // Problems are renumbered 0..P-1 in order of appearance: the bootstrap's units.
    const unitOf = new Map<number, number>();
    for (const p of problemOf) if (!unitOf.has(p)) unitOf.set(p, unitOf.size);
    const P = unitOf.size;
    const key = new Int32Array(m);
    const lastOfTie = new Uint8Array(m);
    for (let i = 0; i < m; i++) {
      const k = order[i]!;
      key[i] = 2 * unitOf.get(problemOf[k]!)! + labels[k]!;
      lastOfTie[i] = i === m - 1 || scores[order[i + 1]!] !== scores[k] ? 1 : 0;
    }
    // Two exact ways to get a resample's AUC: one pass over the candidates (R x M), or a
    // problem-by-problem pair-count matrix built once (M x P) and then P x P per resample.
    const byMatrix =
      this.opts.aucBootstrap === "problem-pairs" ||
      (this.opts.aucBootstrap !== "candidates" &&
        P <= MAX_MATRIX_PROBLEMS &&
        m * P + resamples * P * P < resamples * m);
    const aucOf = byMatrix
      ? matrixAuc(key, lastOfTie, P)
      : (w: Float64Array) => weightedAuc(key, lastOfTie, w);
    const weight = new Float64Array(P).fill(1);
    const auc = aucOf(weight);
    let positives = 0;
    for (const l of labels) positives += l;
    const base = {
      positives,
      negatives: m - positives,
      problems: P,
      interval: "percentile bootstrap over problems" as const,
      resamples,
      seed,
    };
    if (auc === null) return { value: null, low: null, high: null, ...base };
    // Resampling problems with replacement = weighting each problem by how often it was drawn.
    // Only problems with scored candidates are drawn, so every resample is over the same units.
    const rng = seededRng(seed);
    const values: number[] = [];
    for (let r = 0; r < resamples && P > 1; r++) {
      weight.fill(0);
      for (let i = 0; i < P; i++) weight[randInt(rng, P)]! += 1;
      const v = aucOf(weight);
      if (v !== null) values.push(v);
    }
    values.sort((a, b) => a - b);
    return {
      value: auc,
      low: values.length ? quantileSorted(values, 0.025) : null,
      high: values.length ? quantileSorted(values, 0.975) : null,
      ...base,
    };
  }
}

/**
 * Mann-Whitney AUC with candidate weights (their problem's): the weighted share of
 * (positive, negative) pairs where the positive scores higher, ties counting 1/2. One pass
 * over the candidates in ascending score order; null when a class has no weight.
 */
function weightedAuc(key: Int32Array, lastOfTie: Uint8Array, weight: Float64Array): number | null {
  let below = 0;
  let u = 0;
  let wPos = 0;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < key.length; i++) {
    const k = key[i]!;
    const w = weight[k >> 1]!;
    if (k & 1) pos += w;
    else neg += w;
    if (lastOfTie[i]) {
      u += pos * (below + neg / 2);
      below += neg;
      wPos += pos;
      pos = 0;
      neg = 0;
    }
  }
  return wPos > 0 && below > 0 ? u / (wPos * below) : null;
}

/**
 * The weighted AUC through a P x P matrix: pairs[p * P + q] counts (positive of problem p,
 * negative of problem q) pairs the positive wins, ties 1/2. A resample weighting problems by w
 * then wins sum_pq w_p w_q pairs[p, q] of (sum_p w_p positives_p) x (sum_q w_q negatives_q).
 */
function matrixAuc(key: Int32Array, lastOfTie: Uint8Array, P: number): (w: Float64Array) => number | null {
  const pairs = new Float64Array(P * P);
  const negBelow = new Float64Array(P);
  const posOf = new Float64Array(P);
  const negOf = new Float64Array(P);
  // The current tie group's positives and negatives per problem (sparse: problems seen in it).
  const gPos = new Float64Array(P);
  const gNeg = new Float64Array(P);
  const posSeen: number[] = [];
  const negSeen: number[] = [];
  for (let i = 0; i < key.length; i++) {
    const k = key[i]!;
    const p = k >> 1;
    if (k & 1) {
      if (gPos[p] === 0) posSeen.push(p);
      gPos[p]! += 1;
    } else {
      if (gNeg[p] === 0) negSeen.push(p);
      gNeg[p]! += 1;
    }
    if (!lastOfTie[i]) continue;
    for (const p of posSeen) {
      const c = gPos[p]!;
      const row = p * P;
      for (let q = 0; q < P; q++) pairs[row + q]! += c * negBelow[q]!;
      for (const q of negSeen) pairs[row + q]! += (c * gNeg[q]!) / 2;
      posOf[p]! += c;
      gPos[p] = 0;
    }
    for (const q of negSeen) {
      const g = gNeg[q] ?? 0;
      negBelow[q]! += g;
      negOf[q]! += g;
      gNeg[q] = 0;
    }
    posSeen.length = 0;
    negSeen.length = 0;
  }
  return (w) => {
    let u = 0;
    let wPos = 0;
    let wNeg = 0;
    for (let p = 0; p < P; p++) {
      const wp = w[p]!;
      if (wp === 0) continue;
      wPos += wp * posOf[p]!;
      wNeg += wp * negOf[p]!;
      if (posOf[p] === 0) continue;
      let row = 0;
      const base = p * P;
      for (let q = 0; q < P; q++) row += w[q]! * pairs[base + q]!;
      u += wp * row;
    }
    return wPos > 0 && wNeg > 0 ? u / (wPos * wNeg) : null;
  };
}

/** The verifier metrics of a whole run, one trajectory's detail at a time (paged). */
export function verifierMetricsFromStore(store: RunStore, opts: VerifierOptions = {}): VerifierMetrics {
  const acc = new VerifierAccumulator({
    candidatesPerTurn: store.config.strategy.candidatesPerTurn,
    selection: store.config.strategy.selection,
    ...opts,
  });
  for (const t of store.trajectories()) {
    if (t.turnCount === 0) continue;
    const d = store.trajectoryDetail(t);
    if (d) acc.add(d);
  }
  return acc.result();
}

/** Short labels of the rules, as µCode names them. */
export const RULE_LABELS: Record<BestOfNRule, string> = {
  random: "random",
  "public-tests": "PT",
  verifier: "LV",
  "public-tests+verifier": "PT+LV",
  oracle: "oracle",
};

/**
 * The headline verifier figures of a run as (label, value) rows, for side-by-side listings
 * (`codeloop compare`): AUC with its interval, top-1 per rule and the oracle, and the pass
 * rate at n = N of each best-of-N curve. Values are display strings ("–" when missing).
 */
export function verifierSummaryRows(m: VerifierMetrics | null): Map<string, string> {
  const out = new Map<string, string>();
  const pct = (v: number | null | undefined) =>
    v === null || v === undefined || !Number.isFinite(v) ? "–" : (100 * v).toFixed(1);
  if (!m) return out;
  const c = m.counts;
  out.set("candidates scored+graded", `${c.scoredAndGraded} / ${c.candidates}`);
  const a = m.auc;
  out.set(
    "verifier AUC [95% CI]",
    a && a.value !== null
      ? `${a.value.toFixed(3)}${a.low !== null && a.high !== null ? ` [${a.low.toFixed(3)}, ${a.high.toFixed(3)}]` : ""}`
      : "–",
  );
  for (const r of m.top1?.rows ?? []) out.set(`top-1 ${RULE_LABELS[r.rule]} (%)`, pct(r.rate));
  if (m.top1) out.set("top-1 oracle (%)", pct(m.top1.oracle.rate));
  const b = m.bestOfN;
  if (b) {
    for (const curve of b.curves) {
      out.set(
        `best-of-${b.candidatesPerTurn} ${RULE_LABELS[curve.rule]} (%)`,
        pct(curve.points.at(-1)?.passRate),
      );
    }
  }
  return out;
}
