import type { SelectionRule } from "../core/selection.js";
import type { TrajectoryKey, Turn } from "../core/trajectory.js";
import type { JudgeService } from "../judge/index.js";
import type { ChatModel, SamplingParams } from "../models/index.js";
import type { Problem } from "../problems/index.js";
import type { FeedbackKind, FeedbackLimits, PromptOverrides } from "../prompts/index.js";
import type { SandboxLimits } from "../sandbox/index.js";
import type { VerifierInput } from "../verifiers/index.js";

/**
 * What every strategy is handed: the settings all strategies share, the services it calls
 * (model, judge, verifier, each behind a gate the scheduler sizes), and where finished turns go.
 * Each strategy kind reads its own settings from `config.strategy` (registry.ts).
 */

/**
 * Scores a turn's candidate programs in one batch, higher meaning more likely correct (µCode's
 * learned verifier; src/verifiers builds them from `strategy.verifier`).
 */
export interface Verifier {
  /** One score per input; null for an input the scorer refused (it ranks last). */
  score(inputs: readonly VerifierInput[]): Promise<(number | null)[]>;
}

/** A tree search's bound on compute: stop once either is spent (see tree.ts). */
export interface Budget {
  /** LLM requests that returned an answer. */
  calls?: number | undefined;
  /** Prompt plus completion tokens of every request. */
  tokens?: number | undefined;
}

/**
 * What a strategy reads of a run's config: its own settings, not the whole run config (a run's
 * config satisfies it). Kept here so that strategies sit below runs.
 */
export interface StrategyConfig {
  language: "python" | "cpp";
  seed: number;
  sampling: SamplingParams;
  strategy: {
    /** Which registered strategy plays the trajectory (default: the linear one). */
    kind?: string;
    /** Linear: turns per dialog. Tree: the depth of a path (its turns from the root). */
    maxTurns: number;
    candidatesPerTurn: number;
    stopOnPublicPass: boolean;
    /** Entry i gives turn i + 1 its reasoning and/or instruction prompt id. */
    cot: readonly { reasoning?: string | undefined; instruction?: string | undefined }[];
    selection: SelectionRule;
    /** Tree search only. */
    budget?: Budget | undefined;
    /** Tree search only: children sampled per expansion. */
    branching?: number | undefined;
    /** Tree search only: REx's heuristic weight C (see tree.ts). */
    exploration?: number | undefined;
  };
  feedback: { kind: FeedbackKind; truncation: Partial<FeedbackLimits> };
  prompts: { system?: string | undefined; overrides: PromptOverrides };
}

/** A gate that bounds how many operations of one kind run at once. */
export type Gate = <T>(fn: () => Promise<T>) => Promise<T>;

export const openGate: Gate = (fn) => fn();

/** Everything a strategy needs to play one trajectory. */
export interface StrategyContext {
  problem: Problem;
  key: TrajectoryKey;
  config: StrategyConfig;
  model: ChatModel;
  judge: JudgeService;
  limits: SandboxLimits;
  /** Bounds model requests in flight. */
  modelGate?: Gate;
  /** Bounds test sets being judged at once. */
  sandboxGate?: Gate;
  verifier?: Verifier;
  /** Bounds verifier batches in flight. */
  verifierGate?: Gate;
  /** Called with each finished turn before the next one starts (the scheduler stores it). */
  onTurn: (turn: Turn) => void | Promise<void>;
  /**
   * Called with turns made together (a tree expansion's children) instead of onTurn for each,
   * so the scheduler can store them in one transaction; absent, onTurn is called for each.
   */
  onTurns?: (turns: readonly Turn[]) => void | Promise<void>;
}

export interface StrategyOutcome {
  /** The candidate whose code is submitted; null when no turn produced code. */
  submitted: { turn: number; candidate: number; code: string } | null;
  /** Set when the trajectory could not go on (every request of a turn failed). */
  error?: string;
  turns: Turn[];
}
