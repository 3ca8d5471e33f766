import type { JudgeService } from "../judge/index.js";
import type { Problem } from "../problems/index.js";
import type { FeedbackKind } from "../prompts/index.js";
import type { Executor } from "../sandbox/index.js";
import type { Limiter } from "./limiter.js";
import type { Metrics } from "./metrics.js";

/** What every route handler works with. */
export interface ServeContext {
  judge: JudgeService;
  /** Runs /run_code's programs (the judge's executor when it is local). */
  executor: Executor;
  /** The loaded benchmark's problems by id (empty without --benchmark). */
  problems: ReadonlyMap<string, Problem>;
  limiter: Limiter;
  metrics: Metrics;
  /** Default feedback kind of episodes. */
  feedback: FeedbackKind;
}
