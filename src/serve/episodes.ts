import { randomUUID } from "node:crypto";
import type { Language } from "../core/verdict.js";
import { InfrastructureError, type JudgeResult } from "../judge/index.js";
import { type Problem, judgeFor } from "../problems/index.js";
import {
  type ExecutionTrace,
  FEEDBACK_KINDS,
  type FeedbackKind,
  entryPointOf,
  extractCode,
  feedbackInput,
  formatProblem,
  renderFeedback,
  renderNoCodeFeedback,
} from "../prompts/index.js";
import type { SandboxLimits } from "../sandbox/index.js";
import { hiddenTests, judgeTests, judgedOrThrow } from "../strategies/judging.js";
import { problemLimits } from "../validate/validate.js";
import type { ServeContext } from "./context.js";
import { HttpError, badField, noUnknown, oneOf, optNumber, optStr, str } from "./http.js";
import { LANGUAGES } from "./judge-api.js";

/**
 * The multi-turn RL environment: an episode is one problem's dialog. Each answer is judged on
 * the public tests and answered with codeloop's feedback message; the episode ends when an
 * answer passes every public test or the turns run out. The reward is given once, on the
 * final answer: 1 when that answer passes every hidden test (private + generated; the public
 * ones when a problem has no others), else 0. Earlier turns get reward 0.
 */

export interface Episode {
  id: string;
  problem: Problem;
  language: Language;
  feedback: FeedbackKind;
  maxTurns: number;
  turns: number;
  done: boolean;
  busy: boolean;
  lastUsed: number;
  reward: number | null;
  /** Answers in a row the sandbox failed to judge (each answered 503). */
  infraFailures?: number;
}

/** Answers in a row the sandbox may fail to judge before the episode is closed without a reward. */
export const MAX_INFRA_FAILURES = 3;

export const DEFAULT_MAX_TURNS = 3;
const MAX_MAX_TURNS = 50;
/** Live episodes at most; beyond that new ones are refused (429). */
export const MAX_EPISODES = 10_000;
/** Expired ids remembered, so a late client is told "expired" rather than "unknown". */
const TOMBSTONES = 10_000;

export class Episodes {
  private live = new Map<string, Episode>();
  private expired = new Map<string, number>();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly ctx: ServeContext,
    readonly idleTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.max(100, Math.min(30_000, idleTimeoutMs / 4)));
    this.timer.unref();
  }

  get size(): number {
    return this.live.size;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sweep(): void {
    const t = this.now();
    for (const e of this.live.values()) {
      if (!e.busy && t - e.lastUsed > this.idleTimeoutMs) this.expire(e.id);
    }
  }

  private expire(id: string): void {
    this.live.delete(id);
    this.expired.set(id, this.now());
    if (this.expired.size > TOMBSTONES) this.expired.delete(this.expired.keys().next().value!);
  }

  private get(id: string): Episode {
    const e = this.live.get(id);
    if (e && !e.busy && this.now() - e.lastUsed > this.idleTimeoutMs) this.expire(id);
    const live = this.live.get(id);
    if (live) return live;
    if (this.expired.has(id)) {
      throw new HttpError(
        404,
        `episode ${id} expired after ${Math.round(this.idleTimeoutMs / 1000)} s without a request (--episode-timeout); start a new one`,
      );
    }
    throw new HttpError(404, `no episode ${id} (never started, deleted, or the server restarted)`);
  }

  start(b: Record<string, unknown>): Record<string, unknown> {
    noUnknown(b, ["problem", "language", "feedback", "max_turns"]);
    const id = str(b, "problem");
    const problem = this.ctx.problems.get(id);
    if (!problem) {
      throw new HttpError(
        404,
        this.ctx.problems.size === 0
          ? `problem: no benchmark is loaded (start the server with --benchmark), so '${id}' is unknown`
          : `problem: no problem '${id}' in the loaded benchmark`,
      );
    }
    const language = oneOf(optStr(b, "language") ?? "python", LANGUAGES, "language");
    if (
      language === "cpp" &&
      [...problem.tests.public, ...hiddenTests(problem)].some((t) => t.kind !== "stdio")
    ) {
      throw badField("language", `problem '${id}' is judged by calling a function: Python only`);
    }
    const feedback = oneOf(optStr(b, "feedback") ?? this.ctx.feedback, FEEDBACK_KINDS, "feedback");
    if (problem.tests.public.length === 0) {
      throw badField("problem", `problem '${id}' has no public tests to give feedback on`);
    }
    const maxTurns =
      optNumber(b, "max_turns", { min: 1, max: MAX_MAX_TURNS, integer: true }) ?? DEFAULT_MAX_TURNS;
    if (this.live.size >= MAX_EPISODES) this.sweep();
    if (this.live.size >= MAX_EPISODES) {
      throw new HttpError(429, `${MAX_EPISODES} episodes are open: finish or DELETE some first`, {
        "retry-after": "5",
      });
    }
    const e: Episode = {
      id: randomUUID(),
      problem,
      language,
      feedback,
      maxTurns,
      turns: 0,
      done: false,
      busy: false,
      lastUsed: this.now(),
      reward: null,
    };
    this.live.set(e.id, e);
    this.ctx.metrics.episodesStarted++;
    return {
      episode_id: e.id,
      prompt: formatProblem(problem, { language }),
      max_turns: maxTurns,
      feedback: feedback,
      language,
    };
  }

  async answer(id: string, b: Record<string, unknown>): Promise<Record<string, unknown>> {
    const e = this.get(id);
    noUnknown(b, ["answer"]);
    const answer = str(b, "answer");
    if (e.done) throw new HttpError(409, `episode ${id} is done (reward ${e.reward}); start a new one`);
    if (e.busy) throw new HttpError(409, `episode ${id} is judging an earlier answer; wait for its response`);
    e.busy = true;
    try {
      const out = await this.turn(e, answer);
      e.infraFailures = 0;
      return out;
    } catch (err) {
      if (!(err instanceof InfrastructureError)) throw err;
      // Some such failures repeat for one problem (a checker that fails on its own test's
      // answer): after a few in a row the episode is closed, never rewarded for them.
      e.infraFailures = (e.infraFailures ?? 0) + 1;
      if (e.infraFailures >= MAX_INFRA_FAILURES) {
        this.live.delete(e.id);
        throw new HttpError(
          422,
          `episode ${id}: ${err.message}, ${e.infraFailures} times in a row; the problem may not be judgeable here (a checker that fails on its own test's answer, for example): the episode is closed without a reward, drop it from the batch`,
        );
      }
      throw new HttpError(503, `${err.message}; the episode is unchanged: send the same answer again`, {
        "retry-after": "5",
      });
    } finally {
      e.busy = false;
      e.lastUsed = this.now();
    }
  }

  private async turn(e: Episode, answer: string): Promise<Record<string, unknown>> {
    const { problem, language } = e;
    const limits: SandboxLimits = problemLimits(problem);
    const extraction = extractCode(answer, language, { entryPoint: entryPointOf(problem) });
    const code = extraction.code;
    let result: JudgeResult | null = null;
    let feedback: string;
    let trace: ExecutionTrace | undefined;
    if (code !== null) {
      result = await this.judged(() =>
        this.ctx.limiter.run(() =>
          judgeTests(this.ctx.judge, problem, problem.tests.public, code, language, limits, false),
        ),
      );
      if (e.feedback === "trace") {
        const failing = result.tests.find((t) => t.verdict !== "accepted");
        if (failing) {
          const test = problem.tests.public[failing.index]!;
          const t = await this.ctx.limiter.run(
            () => this.ctx.judge.traceTest(judgeFor(problem, test), test, { language, code }, { limits }),
            true,
          );
          if (t)
            trace = { testIndex: failing.index, events: t.events, omitted: t.omitted, outcome: t.outcome };
        }
      }
      feedback = renderFeedback(e.feedback, feedbackInput(problem, result, trace));
    } else {
      feedback = renderNoCodeFeedback();
    }
    const publicPassed = result !== null && result.verdict === "accepted";
    // Nothing of the episode changes until every grade is in: a failed grade leaves it as it was.
    const turns = e.turns + 1;
    const done = publicPassed || turns >= e.maxTurns;
    let reward = 0;
    let hidden: Record<string, unknown> | undefined;
    if (done && code !== null) {
      const h = await this.judged(() =>
        this.ctx.limiter.run(
          () => judgeTests(this.ctx.judge, problem, hiddenTests(problem), code, language, limits, true),
          true,
        ),
      );
      reward = h.verdict === "accepted" ? 1 : 0;
      hidden = { verdict: h.verdict, infrastructure_failure: false };
    }
    e.turns = turns;
    if (done) {
      e.done = true;
      e.reward = reward;
    }
    return {
      feedback,
      public: result
        ? { verdict: result.verdict, passed: result.passed, total: result.total }
        : { verdict: "no_code", passed: 0, total: problem.tests.public.length },
      reward,
      done,
      turn: e.turns,
      max_turns: e.maxTurns,
      extraction: extraction.how,
      ...(hidden ? { hidden } : {}),
      infrastructure_failure: false,
    };
  }

  /**
   * A judge call whose infrastructure failure (the sandbox failed, not the program) is tried
   * once more and then thrown, which answer() turns into 503 (or 422 after a few in a row): such
   * a result is no verdict, and a reward of 0 or feedback built on it would teach the policy the
   * machine's fault. The episode is left as it was, so the trainer can send the same answer again.
   */
  private async judged(call: () => Promise<JudgeResult>): Promise<JudgeResult> {
    const counted = async () => {
      const r = await call();
      this.ctx.metrics.judged(r.verdict, r.tests.length);
      return r;
    };
    return judgedOrThrow(counted, "this answer");
  }

  delete(id: string): Record<string, unknown> {
    const e = this.get(id);
    this.live.delete(e.id);
    return { episode_id: e.id, deleted: true, turns: e.turns, done: e.done };
  }
}
