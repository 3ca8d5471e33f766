import type { Turn } from "../core/trajectory.js";
import type { StrategyConfig, StrategyContext, StrategyOutcome } from "./context.js";
import { type LinearSettings, playLinear } from "./linear.js";
import { type TreeSettings, playTree } from "./tree.js";

/**
 * Strategies by kind (`strategy.kind`): each entry reads its own settings from the strategy
 * config and plays one trajectory. A new strategy is one more entry composed of the steps in
 * steps.ts; the scheduler calls `playTrajectory` and needs no change.
 */
export interface StrategyEntry<S> {
  /** One line for docs and errors. */
  description: string;
  settings(config: StrategyConfig): S;
  play(
    ctx: StrategyContext,
    settings: S,
    stored: readonly Turn[],
    retryFailed: boolean,
  ): Promise<StrategyOutcome>;
}

function linearSettings(config: StrategyConfig): LinearSettings {
  const s = config.strategy;
  return {
    maxTurns: s.maxTurns,
    candidatesPerTurn: s.candidatesPerTurn,
    stopOnPublicPass: s.stopOnPublicPass,
  };
}

const linear = (description: string): StrategyEntry<LinearSettings> => ({
  description,
  settings: linearSettings,
  play: playLinear,
});

/** Tree search's defaults (docs/strategies.md says why). */
export const TREE_DEFAULTS = { branching: 1, exploration: 5, budget: { calls: 8 } } as const;

const tree: StrategyEntry<TreeSettings> = {
  description: "tree search over refinements (REx-style Thompson sampling) under a budget in calls or tokens",
  settings: (config) => {
    const s = config.strategy;
    return {
      maxDepth: s.maxTurns,
      branching: s.branching ?? TREE_DEFAULTS.branching,
      budget: s.budget ?? TREE_DEFAULTS.budget,
      exploration: s.exploration ?? TREE_DEFAULTS.exploration,
      stopOnPublicPass: s.stopOnPublicPass,
      selection: s.selection,
    };
  },
  play: playTree,
};

// biome-ignore lint/suspicious/noExplicitAny: entries differ in their settings type
export const STRATEGIES: ReadonlyMap<string, StrategyEntry<any>> = new Map<string, StrategyEntry<any>>([
  ["single-turn", linear("one answer per trajectory")],
  ["multi-turn", linear("up to maxTurns turns, each given the feedback on the last code")],
  ["cot-retry", linear("multi-turn with reasoning or instruction prompts on chosen turns")],
  ["best-of-n", linear("each turn samples candidatesPerTurn answers and continues from the selected one")],
  ["tree", tree],
]);

/** The strategy a config names; a clear error for an unknown kind. */
// biome-ignore lint/suspicious/noExplicitAny: see STRATEGIES
export function strategyFor(kind: string): StrategyEntry<any> {
  const entry = STRATEGIES.get(kind);
  if (!entry)
    throw new Error(`unknown strategy kind "${kind}" (known: ${[...STRATEGIES.keys()].join(", ")})`);
  return entry;
}

/**
 * Plays one trajectory with the strategy `config.strategy.kind` names (multi-turn when unset).
 * `stored` are turns a killed run committed; `retryFailed` asks again after a stored turn whose
 * every request failed.
 */
export function playTrajectory(
  ctx: StrategyContext,
  stored: readonly Turn[] = [],
  retryFailed = false,
): Promise<StrategyOutcome> {
  const entry = strategyFor(ctx.config.strategy.kind ?? "multi-turn");
  return entry.play(ctx, entry.settings(ctx.config), stored, retryFailed);
}
