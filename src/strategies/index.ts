/**
 * Strategies: how a trajectory is played (single-turn, multi-turn, CoT-retry, best-of-n per
 * turn). One linear engine covers all four; the trajectory model (parent links, several
 * candidates per turn) already allows tree search to be added as another player.
 */
export {
  type Gate,
  type StrategyContext,
  type StrategyOutcome,
  type Verifier,
  feedbackFor,
  openGate,
  playTrajectory,
  passedPublic,
  scoreCandidates,
  selectCandidate,
} from "./strategy.js";
export { hiddenTests, judgeTests, summarize } from "./judging.js";
