import type { CandidateFacts, RunStore, TrajectoryFacts } from "../runs/store.js";
import { TREE_DEFAULTS } from "../strategies/index.js";
import type { MetricsInput, ProblemRecord, TrajectoryRecord, TurnRecord } from "./types.js";

export interface FromStoreOptions {
  /** Tags per problem id; default: the tags the run stored when it planned its problems. */
  tags?: ReadonlyMap<string, string[]>;
  pageSize?: number;
  /** Only finished trajectories count by default: a running one has no submission yet. */
  includeUnfinished?: boolean;
}

/**
 * One stored trajectory as metrics input: its turns in index order, from the store's lean scan.
 * A turn whose parent is not the previous turn (tree search) gets `parent`.
 */
export function trajectoryRecord(t: TrajectoryFacts): TrajectoryRecord {
  const turns: TurnRecord[] = [];
  let submittedTurn: number | null = null;
  let hiddenPass = false;
  let infrastructure = false;
  const cs = t.candidates;
  // Stored turn index -> position in `turns` (the same unless a turn has no candidate).
  const position = new Map<number, number>();
  for (let i = 0; i < cs.length; ) {
    const turn = cs[i]!.turn;
    let j = i;
    let tokens = 0;
    let sel: CandidateFacts | undefined;
    for (; j < cs.length && cs[j]!.turn === turn; j++) {
      const c = cs[j]!;
      // Every candidate is an LLM request, failed ones included: they were paid for.
      tokens += c.promptTokens + c.completionTokens;
      if (c.selected && !sel) sel = c;
      if (t.submittedTurn === turn && t.submittedCandidate === c.candidate) {
        submittedTurn = turns.length;
        hiddenPass = c.hiddenVerdict === "accepted";
        infrastructure = c.hiddenVerdict === INFRASTRUCTURE;
      }
    }
    sel ??= cs[i]!;
    position.set(turn, turns.length);
    const pt = cs[i]!.parentTurn;
    const parent = pt === null ? null : (position.get(pt) ?? null);
    // Only a parent other than the previous turn is written (a tree's branch or later root):
    // a chain's records stay exactly what they were.
    const chained = parent === (turns.length === 0 ? null : turns.length - 1);
    turns.push({
      code: sel.code,
      publicPass: sel.publicVerdict === "accepted",
      // A grade the sandbox failed to give is no grade: neither a pass nor a failure.
      hiddenPass:
        sel.hiddenVerdict === null || sel.hiddenVerdict === INFRASTRUCTURE
          ? null
          : sel.hiddenVerdict === "accepted",
      llmCalls: j - i,
      tokens,
      ...(chained ? {} : { parent }),
    });
    i = j;
  }
  return { turns, submittedTurn, hiddenPass, ...(infrastructure ? { infrastructureFailure: true } : {}) };
}

/**
 * The verdict of a grade the sandbox could not give (grading stops at the first test that is
 * not accepted, so an infrastructure failure is the grade's verdict).
 */
const INFRASTRUCTURE = "sandbox_error";

/**
 * Builds the metrics input from a run, read-only: problems through the paged summaries, then
 * one streaming scan of trajectories and candidates (no messages, answers or test details).
 */
export function metricsInputFromStore(store: RunStore, opts: FromStoreOptions = {}): MetricsInput {
  const problems: ProblemRecord[] = [];
  const byId = new Map<string, ProblemRecord>();
  for (const s of store.iterateProblemSummaries({ pageSize: opts.pageSize })) {
    const p: ProblemRecord = {
      id: s.problemId,
      difficulty: s.difficulty,
      tags: opts.tags?.get(s.problemId) ?? s.tags,
      trajectories: [],
    };
    problems.push(p);
    byId.set(p.id, p);
  }
  let infrastructureExcluded = 0;
  for (const t of store.trajectoryFacts()) {
    if (!opts.includeUnfinished && t.status !== "done") continue;
    const r = trajectoryRecord(t);
    // Counted as a failure it would lower every pass rate for the machine's fault, not the
    // model's: left out of every metric, and counted so that reports say so.
    if (r.infrastructureFailure) {
      infrastructureExcluded++;
      continue;
    }
    byId.get(t.problemId)?.trajectories.push(r);
  }
  return {
    problems,
    ...(infrastructureExcluded ? { infrastructureExcluded } : {}),
    feedbackKind: store.config.feedback.kind,
    maxTurns: programsPerTrajectory(store.config.strategy, problems),
    language: store.config.language,
  };
}

/**
 * The programs one trajectory costs in pass n@k's "max-turns" convention: T for a linear run;
 * for a tree search, its budget in calls, or with a budget in tokens only, the most programs
 * any of its trajectories made (every program of a tree counts toward k).
 */
export function programsPerTrajectory(
  strategy: { kind: string; maxTurns: number; budget?: { calls?: number | undefined } | undefined },
  problems: readonly ProblemRecord[],
): number {
  if (strategy.kind !== "tree") return strategy.maxTurns;
  if (strategy.budget === undefined) return TREE_DEFAULTS.budget.calls;
  if (strategy.budget.calls !== undefined) return strategy.budget.calls;
  let most = 1;
  for (const p of problems) for (const t of p.trajectories) most = Math.max(most, t.turns.length);
  return most;
}
