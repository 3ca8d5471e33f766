import type { RunStore } from "../runs/store.js";
import type { Candidate, TrajectoryDetail } from "../runs/trajectory.js";
import type { MetricsInput, ProblemRecord, TrajectoryRecord, TurnRecord } from "./types.js";

export interface FromStoreOptions {
  /** Tags per problem id; default: the tags the run stored when it planned its problems. */
  tags?: ReadonlyMap<string, string[]>;
  pageSize?: number;
  /** Only finished trajectories count by default: a running one has no submission yet. */
  includeUnfinished?: boolean;
}

function turnRecord(detail: TrajectoryDetail, turnIndex: number): TurnRecord {
  const turn = detail.turns[turnIndex]!;
  const sel: Candidate | undefined = turn.candidates.find((c) => c.selected) ?? turn.candidates[0];
  let hidden: boolean | null = null;
  if (sel) {
    if (detail.submittedTurn === turn.index && detail.submittedCandidate === sel.index && detail.grade) {
      hidden = detail.grade.verdict === "accepted";
    } else {
      const g = detail.turnGrades.find((x) => x.turn === turn.index && x.candidate === sel.index);
      if (g) hidden = g.grade.verdict === "accepted";
    }
  }
  let tokens = 0;
  // Every candidate is an LLM request, failed ones included: they were paid for.
  for (const c of turn.candidates) tokens += c.promptTokens + c.completionTokens;
  return {
    code: sel?.code ?? null,
    publicPass: sel?.publicTests?.verdict === "accepted",
    hiddenPass: hidden,
    llmCalls: turn.candidates.length,
    tokens,
  };
}

/** One stored trajectory as metrics input (turns in index order). */
export function trajectoryRecord(detail: TrajectoryDetail): TrajectoryRecord {
  const turns = detail.turns.map((_, i) => turnRecord(detail, i));
  const pos =
    detail.submittedTurn === null ? -1 : detail.turns.findIndex((t) => t.index === detail.submittedTurn);
  return {
    turns,
    submittedTurn: pos < 0 ? null : pos,
    hiddenPass: detail.grade?.verdict === "accepted",
  };
}

/**
 * Builds the metrics input from a run, read-only: problems through the paged summaries,
 * trajectories through the paged listing, one trajectory's detail in memory at a time.
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
  for (const t of store.trajectories({ pageSize: opts.pageSize })) {
    if (!opts.includeUnfinished && t.status !== "done") continue;
    const detail = store.trajectoryDetail(t);
    const p = byId.get(t.problemId);
    if (detail && p) p.trajectories.push(trajectoryRecord(detail));
  }
  return {
    problems,
    feedbackKind: store.config.feedback.kind,
    maxTurns: store.config.strategy.maxTurns,
    language: store.config.language,
  };
}
