import { quantileSorted } from "./bootstrap.js";
import { sequenceRatio } from "./sequence.js";
import type { MetricsInput, ProblemRecord } from "./types.js";

/** Exploration vs exploitation: how much each turn's code resembles the previous turn's. */

export interface SimilaritySummary {
  count: number;
  mean: number;
  p10: number;
  p25: number;
  median: number;
  p75: number;
  p90: number;
  /** Counts in ten equal bins over [0,1] (the last bin includes 1). */
  histogram: number[];
}

/** Every code the similarity needs, for one normalisation batch. */
export function codesOf(problems: readonly ProblemRecord[]): string[] {
  const out: string[] = [];
  for (const p of problems)
    for (const t of p.trajectories) for (const u of t.turns) if (u.code !== null) out.push(u.code);
  return out;
}

/**
 * Ratios of consecutive codes within each trajectory (turns without code are skipped, so a
 * pair spans the gap). `normalised` maps a raw code to its normalised text.
 */
export function consecutiveSimilarities(
  problems: readonly ProblemRecord[],
  normalised: (code: string) => string,
): number[] {
  const out: number[] = [];
  for (const p of problems) {
    for (const t of p.trajectories) {
      let prev: string | null = null;
      for (const u of t.turns) {
        if (u.code === null) continue;
        const cur = normalised(u.code);
        if (prev !== null) out.push(sequenceRatio(prev, cur));
        prev = cur;
      }
    }
  }
  return out;
}

export function summarise(values: readonly number[]): SimilaritySummary {
  const sorted = Float64Array.from(values).sort();
  const histogram = new Array<number>(10).fill(0);
  let sum = 0;
  for (const v of sorted) {
    sum += v;
    histogram[Math.min(9, Math.floor(v * 10))]!++;
  }
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p10: quantileSorted(sorted, 0.1),
    p25: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    p75: quantileSorted(sorted, 0.75),
    p90: quantileSorted(sorted, 0.9),
    histogram,
  };
}

/** Distribution per feedback kind over several runs (runs sharing a kind are pooled). */
export function similarityByFeedback(
  runs: readonly MetricsInput[],
  normalised: (code: string) => string,
): Record<string, SimilaritySummary> {
  const pooled = new Map<string, number[]>();
  for (const r of runs) {
    const list = pooled.get(r.feedbackKind) ?? [];
    for (const v of consecutiveSimilarities(r.problems, normalised)) list.push(v);
    pooled.set(r.feedbackKind, list);
  }
  return Object.fromEntries([...pooled].map(([k, v]) => [k, summarise(v)]));
}
