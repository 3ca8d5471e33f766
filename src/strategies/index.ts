/**
 * Strategies: how a trajectory is played. Each kind (single-turn, multi-turn, cot-retry,
 * best-of-n: linear.ts; tree search: tree.ts) is a composition of the steps in steps.ts,
 * registered by kind in registry.ts.
 */
export {
  type Budget,
  type Gate,
  type StrategyConfig,
  type StrategyContext,
  type StrategyOutcome,
  type Verifier,
  openGate,
} from "./context.js";
export {
  type CandidateState,
  type Step,
  type TurnState,
  chain,
  eachCandidate,
  feedbackFor,
  passedPublic,
  publicFraction,
  scoreCandidates,
  selectCandidate,
} from "./steps.js";
export { type LinearSettings, linearTurn, playLinear } from "./linear.js";
export { MAX_TREE_NODES, type TreeSettings, betaSample, playTree, treeSubmission } from "./tree.js";
export { STRATEGIES, type StrategyEntry, TREE_DEFAULTS, playTrajectory, strategyFor } from "./registry.js";
export {
  hiddenTests,
  judgeTests,
  judgedOrThrow,
  retriedOnInfrastructureFailure,
  summarize,
} from "./judging.js";
