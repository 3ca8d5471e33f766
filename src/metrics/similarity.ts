import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { quantileSorted } from "./bootstrap.js";
import { createMatcher, sequenceRatio } from "./sequence.js";
import { type MetricsInput, type ProblemRecord, type TurnRecord, parentOf } from "./types.js";

/**
 * Exploration vs exploitation: how much each turn's code resembles the code it continues (the
 * previous turn's in a chain, its parent's in a tree).
 */

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

/**
 * The code pairs of one trajectory as [earlier, later] turn indices: each turn with code and
 * the nearest turn with code on its way back along `parentOf` (the previous turns of a chain,
 * the ancestors of a tree node). Turns without code are skipped, so a pair spans the gap.
 */
export function codePairs(turns: readonly TurnRecord[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < turns.length; i++) {
    if (turns[i]!.code === null) continue;
    const seen = new Set<number>([i]);
    let j = parentOf(turns, i);
    while (j !== null && turns[j] !== undefined && turns[j]!.code === null && !seen.has(j)) {
      seen.add(j);
      j = parentOf(turns, j);
    }
    if (j !== null && turns[j] !== undefined && !seen.has(j)) out.push([j, i]);
  }
  return out;
}

/**
 * Every code the similarity needs, for one normalisation batch: the codes that are in some
 * pair (a lone code has no neighbour to compare with).
 */
export function codesOf(problems: readonly ProblemRecord[]): string[] {
  const out: string[] = [];
  for (const p of problems) {
    for (const t of p.trajectories) {
      const inPair = new Set<number>();
      for (const [a, b] of codePairs(t.turns)) inPair.add(a).add(b);
      for (let i = 0; i < t.turns.length; i++) if (inPair.has(i)) out.push(t.turns[i]!.code!);
    }
  }
  return out;
}

/**
 * Consecutive code pairs of every trajectory, as a flat list [a0, b0, a1, b1, ...]: each code
 * with its predecessor's (`codePairs`: a chain's previous turn, a tree node's parent).
 */
export function consecutivePairs(
  problems: readonly ProblemRecord[],
  normalised: (code: string) => string,
): string[] {
  const out: string[] = [];
  for (const p of problems) {
    for (const t of p.trajectories) {
      for (const [a, b] of codePairs(t.turns))
        out.push(normalised(t.turns[a]!.code!), normalised(t.turns[b]!.code!));
    }
  }
  return out;
}

export interface RatioOptions {
  /** Threads, the main one included (default: available cores); fewer when a thread would get under `minPairsPerThread` pairs. */
  threads?: number;
  minPairsPerThread?: number;
}

/**
 * Worker source: the matcher is rebuilt from its own source text (\`createMatcher\` is
 * self-contained), so the same code runs whether this module is compiled or loaded as TypeScript.
 */
function workerSource(): string {
  return `
const { parentPort } = require("node:worker_threads");
const matcher = (${createMatcher.toString()})();
parentPort.on("message", (flat) => {
  const out = new Float64Array(flat.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = matcher.sequenceRatio(flat[2 * i], flat[2 * i + 1]);
  parentPort.postMessage(out, [out.buffer]);
});`;
}

/** difflib ratios of the pairs of a flat list; large inputs are shared by the main thread and `threads - 1` workers. */
export async function pairRatios(flat: readonly string[], opts: RatioOptions = {}): Promise<number[]> {
  const pairs = flat.length / 2;
  const threads = Math.min(
    opts.threads ?? availableParallelism(),
    Math.floor(pairs / (opts.minPairsPerThread ?? 2000)),
  );
  if (threads <= 1) {
    const out = new Array<number>(pairs);
    for (let i = 0; i < pairs; i++) out[i] = sequenceRatio(flat[2 * i]!, flat[2 * i + 1]!);
    return out;
  }
  // Chunks handed out as they finish (pair costs vary with code length); the main thread takes
  // chunks too, between which it hands out the workers' next ones.
  const chunk = Math.max(200, Math.ceil(pairs / (threads * 8)));
  const out = new Array<number>(pairs);
  let next = 0;
  const take = (): [number, number] | null => {
    if (next >= pairs) return null;
    const start = next;
    next = Math.min(pairs, next + chunk);
    return [start, next];
  };
  const workers = Array.from({ length: threads - 1 }, () => new Worker(workerSource(), { eval: true }));
  const onWorker = (w: Worker) =>
    new Promise<void>((resolve, reject) => {
      let range: [number, number] | null = null;
      const send = () => {
        range = take();
        if (range) w.postMessage(flat.slice(2 * range[0], 2 * range[1]));
        else resolve();
      };
      w.on("message", (r: Float64Array) => {
        for (let i = 0; i < r.length; i++) out[range![0] + i] = r[i]!;
        send();
      });
      w.on("error", reject);
      w.on("exit", (code) => {
        if (range) reject(new Error(`similarity worker exited with ${code}`));
      });
      send();
    });
  const onMain = async () => {
    for (let range = take(); range; range = take()) {
      for (let i = range[0]; i < range[1]; i++) out[i] = sequenceRatio(flat[2 * i]!, flat[2 * i + 1]!);
      await new Promise((r) => setImmediate(r));
    }
  };
  try {
    await Promise.all([...workers.map(onWorker), onMain()]);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}

/**
 * Ratios of consecutive codes within each trajectory (`codePairs`: turn and previous turn in a
 * chain, node and parent in a tree; turns without code are skipped, so a pair spans the gap).
 * `normalised` maps a raw code to its normalised text.
 */
export function consecutiveSimilarities(
  problems: readonly ProblemRecord[],
  normalised: (code: string) => string,
): number[] {
  const flat = consecutivePairs(problems, normalised);
  const out = new Array<number>(flat.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = sequenceRatio(flat[2 * i]!, flat[2 * i + 1]!);
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
