/**
 * Plain input to the metrics: what a run (or a synthetic benchmark) produced, reduced to what
 * the estimators need. Kept free of store types so the functions stay pure and testable.
 */

/** One turn's program (the selected candidate of the turn). */
export interface TurnRecord {
  /** null when the turn produced no code. */
  code: string | null;
  /** The turn's code passed every public test. */
  publicPass: boolean;
  /** Hidden-test result of this turn's code; null when it was not graded. */
  hiddenPass: boolean | null;
  /** LLM requests this turn made (candidates per turn, retries). */
  llmCalls: number;
  /** Prompt plus completion tokens of those requests. */
  tokens: number;
  /**
   * Index into the trajectory's `turns` of the turn this one continues (a tree node's parent),
   * null for a root. Absent: the chain's convention, the previous turn (none for the first);
   * `metricsInputFromStore` writes it only where a turn departs from that (tree search).
   * Consecutive-code pairs are formed along it (`parentOf`).
   */
  parent?: number | null;
}

/** The turn `turns[i]` continues: its `parent`, else the previous turn (null for the first). */
export function parentOf(turns: readonly TurnRecord[], i: number): number | null {
  const p = turns[i]!.parent;
  return p !== undefined ? p : i === 0 ? null : i - 1;
}

export interface TrajectoryRecord {
  /** Turns in dialog order (a tree search's nodes in creation order, each one program). */
  turns: TurnRecord[];
  /** Index into `turns` of the submitted program; null when there was none. */
  submittedTurn: number | null;
  /** Hidden-test result of the submission (false when there was none or it failed). */
  hiddenPass: boolean;
  /**
   * The submission's latest hidden grade is an infrastructure failure (the sandbox failed, not
   * the program): no grade at all. metricsInputFromStore leaves such trajectories out.
   */
  infrastructureFailure?: true;
}

export interface ProblemRecord {
  id: string;
  difficulty: string | null;
  tags: string[];
  /** Trajectories in sampling order. */
  trajectories: TrajectoryRecord[];
}

export interface MetricsInput {
  problems: ProblemRecord[];
  /** The run's feedback kind (similarity distributions are grouped by it). */
  feedbackKind: string;
  /** Configured turns per trajectory (T): the programs one trajectory costs in n@k. */
  maxTurns: number;
  /**
   * Finished trajectories left out of every metric because their submission's latest hidden
   * grade is an infrastructure failure (`codeloop rejudge` grades them again).
   */
  infrastructureExcluded?: number;
  /** Language of the codes (default python): only Python is normalised through its ast. */
  language?: string;
}

/** A mean with its percentile bootstrap interval. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}
