import { type SelectionRule, readsScores } from "../core/selection.js";
import { type Candidate, seedFor } from "../core/trajectory.js";
import type { Language } from "../core/verdict.js";
import type { JudgeResult } from "../judge/judge.js";
import { type ChatMessage, type Completion, asModelError } from "../models/index.js";
import { type Problem, judgeFor } from "../problems/index.js";
import {
  type ExecutionTrace,
  type PromptOverrides,
  entryPointOf,
  extractCode,
  feedbackInput,
  formatProblem,
  renderFeedback,
  renderNoCodeFeedback,
  systemMessage,
  turnSteps,
} from "../prompts/index.js";
import type { VerifierInput } from "../verifiers/index.js";
import { type Gate, type StrategyConfig, type StrategyContext, type Verifier, openGate } from "./context.js";
import { judgeTests, judgedOrThrow, summarize } from "./judging.js";

/**
 * The steps strategies are composed of, each a small function over the state of the turn being
 * built (inspect_ai's solvers over a task state, chained): write the turn's messages, answer its
 * reasoning steps, then per candidate generate, extract the code and judge it on the public
 * tests, then score the candidates with the verifier and select one. A strategy (linear.ts,
 * tree.ts) decides which turn to build next, from which answer, and when to stop.
 */

/** One candidate on its way through the pipeline. */
export interface CandidateState {
  /** The turn whose seed and request id this candidate uses (tree search gives each its own). */
  seedTurn: number;
  /** The candidate's index in that seed, and in its turn. */
  index: number;
  candidate: Candidate;
  /** The model's answer; null when the request failed. */
  completion: Completion | null;
  /** Public-test result with outputs (the feedback reads them); null when not judged. */
  result: JudgeResult | null;
}

/** The turn being built. */
export interface TurnState {
  index: number;
  /** The answer this turn follows; null for a root. */
  parent: { turn: number; candidate: number } | null;
  /** Answered turns before this one on its path (0 for a root): picks the CoT entry. */
  depth: number;
  /** The dialog before this turn (earlier turns' messages and the answers they continued). */
  prefix: ChatMessage[];
  /** The user content of the turn: the problem for a root, the parent's feedback otherwise. */
  message: string;
  /** Requests per turn; each gets a candidate. */
  candidatesN: number;
  /** Candidate i is sampled with the seed of (seedTurn(i), seedIndex(i)). */
  seedOf: (i: number) => { turn: number; index: number };
  /** The messages this turn sends (filled by `writeMessages` and `answerReasoning`). */
  sent: ChatMessage[];
  /** Reasoning prompts answered in prose before the code request (`answerReasoning`). */
  reasoning: ChatMessage[];
  /** The message that asks for code; null until `writeMessages`. */
  codeRequest: ChatMessage | null;
  /** Tokens and latency of the reasoning steps, charged to candidate 0. */
  pre: { promptTokens: number; completionTokens: number; latencyMs: number };
  /** Set when a reasoning step's request failed: the turn has one failed candidate. */
  failed: Candidate["modelError"];
  candidates: CandidateState[];
  startedAt: string;
}

export type Step<S> = (state: S, ctx: StrategyContext) => Promise<void>;

/** Runs steps one after the other over the same state. */
export function chain<S>(...steps: Step<S>[]): Step<S> {
  return async (state, ctx) => {
    for (const step of steps) await step(state, ctx);
  };
}

/**
 * Runs a chain of candidate steps for every request of the turn at once (each candidate is
 * judged as soon as its answer arrives), keeping candidates in index order.
 */
export function eachCandidate(...steps: Step<CandidateState>[]): Step<TurnState> {
  const perCandidate = chain(...steps);
  return async (turn, ctx) => {
    if (turn.failed) {
      const seed = turn.seedOf(0);
      turn.candidates = [
        {
          seedTurn: seed.turn,
          index: 0,
          candidate: candidateOf(0, seedOf(ctx, seed), null, turn.failed, turn.pre),
          completion: null,
          result: null,
        },
      ];
      return;
    }
    const request = [...turn.prefix, ...turn.sent];
    turn.candidates = await Promise.all(
      Array.from({ length: turn.candidatesN }, async (_, i) => {
        const state = await sampleOne(ctx, request, turn.seedOf(i), i, i === 0 ? turn.pre : undefined);
        await perCandidate(state, ctx);
        return state;
      }),
    );
  };
}

export function newTurn(
  fields: Pick<TurnState, "index" | "parent" | "depth" | "prefix" | "message" | "candidatesN"> &
    Partial<Pick<TurnState, "seedOf">>,
): TurnState {
  return {
    seedOf: (i) => ({ turn: fields.index, index: i }),
    ...fields,
    sent: [],
    reasoning: [],
    codeRequest: null,
    pre: { promptTokens: 0, completionTokens: 0, latencyMs: 0 },
    failed: null,
    candidates: [],
    startedAt: nowIso(),
  };
}

export const nowIso = () => new Date().toISOString();

export function overridesOf(config: StrategyConfig): PromptOverrides {
  return config.prompts.overrides;
}

function systemOf(config: StrategyConfig): ChatMessage | null {
  if (config.prompts.system !== undefined) {
    return config.prompts.system.trim() ? { role: "system", content: config.prompts.system } : null;
  }
  return systemMessage(overridesOf(config));
}

/** The first user message of every dialog: the problem statement. */
export function problemMessage(ctx: StrategyContext): string {
  return formatProblem(ctx.problem, {
    language: ctx.config.language as Language,
    overrides: overridesOf(ctx.config),
  });
}

/**
 * Step: the turn's messages. A root turn opens with the system message; the turn's CoT entry
 * (by depth) adds reasoning and instruction prompts. Reasoning answered in prose needs its own
 * request before the code request (two-step), which one dialog per candidate allows; with
 * several candidates everything goes in one message so the turn's messages are shared.
 */
export const writeMessages: Step<TurnState> = async (turn, ctx) => {
  const { config } = ctx;
  const cot = config.strategy.cot[turn.depth] ?? {};
  const steps = turnSteps(
    turn.message,
    {
      ...(cot.reasoning ? { reasoning: [cot.reasoning] } : {}),
      ...(cot.instruction ? { instruction: [cot.instruction] } : {}),
      chain: turn.candidatesN > 1 ? "single-step" : "two-step",
    },
    overridesOf(config),
  );
  if (turn.depth === 0) {
    const sys = systemOf(config);
    if (sys) turn.sent.push(sys);
  }
  turn.reasoning = steps.slice(0, -1).map((s) => s.message);
  turn.codeRequest = steps[steps.length - 1]!.message;
};

/**
 * Step: reasoning steps answered in prose before the code request, once (with one candidate),
 * under candidate 0's seed; their tokens are charged to candidate 0. A failed request ends the
 * turn with one failed candidate. Then the code request's message is appended.
 */
export const answerReasoning: Step<TurnState> = async (turn, ctx) => {
  for (const message of turn.reasoning) {
    turn.sent.push(message);
    const r = await sampleOne(ctx, [...turn.prefix, ...turn.sent], turn.seedOf(0), 0);
    if (!r.completion) {
      turn.failed = r.candidate.modelError;
      return;
    }
    turn.pre.promptTokens += r.completion.usage.promptTokens;
    turn.pre.completionTokens += r.completion.usage.completionTokens;
    turn.pre.latencyMs += r.completion.latencyMs;
    turn.sent.push({ role: "assistant", content: r.completion.text });
  }
  turn.sent.push(turn.codeRequest ?? { role: "user", content: turn.message });
};

function seedOf(ctx: StrategyContext, at: { turn: number; index: number }): number {
  const { config, key } = ctx;
  return seedFor(config.seed, key.problemId, key.trajectory, at.turn, at.index);
}

/** Asks the model once; a failed request becomes a candidate with its error. */
async function sampleOne(
  ctx: StrategyContext,
  messages: ChatMessage[],
  at: { turn: number; index: number },
  index: number,
  pre?: TurnState["pre"],
): Promise<CandidateState> {
  const { config, key } = ctx;
  const seed = seedOf(ctx, at);
  const gate = ctx.modelGate ?? openGate;
  let completion: Completion | null = null;
  let error: Candidate["modelError"] = null;
  try {
    const res = await gate(() =>
      ctx.model.generate({
        messages,
        n: 1,
        sampling: { ...config.sampling, seed },
        id: `${key.problemId}#${key.trajectory}/${at.turn}/${at.index}`,
      }),
    );
    completion = res.completions[0] ?? null;
  } catch (err) {
    const e = asModelError(err);
    error = { kind: e.kind, message: e.message, ...(e.status !== undefined ? { status: e.status } : {}) };
  }
  return {
    seedTurn: at.turn,
    index,
    candidate: candidateOf(index, seed, completion, error, pre),
    completion,
    result: null,
  };
}

function candidateOf(
  index: number,
  seed: number,
  completion: Completion | null,
  error: Candidate["modelError"],
  pre: TurnState["pre"] | undefined,
): Candidate {
  return {
    index,
    rawAnswer: completion?.text ?? "",
    code: null,
    extraction: "none",
    finishReason: completion?.finishReason ?? null,
    promptTokens: (pre?.promptTokens ?? 0) + (completion?.usage.promptTokens ?? 0),
    completionTokens: (pre?.completionTokens ?? 0) + (completion?.usage.completionTokens ?? 0),
    tokensApproximate: completion?.usage.approximate ?? false,
    latencyMs: (pre?.latencyMs ?? 0) + (completion?.latencyMs ?? 0),
    cached: completion?.cached ?? false,
    modelError: error,
    seed,
    publicTests: null,
    selected: false,
    verifierScore: null,
  };
}

/** Candidate step: the code in the answer (the entry point a function problem names). */
export const extract: Step<CandidateState> = async (c, ctx) => {
  if (!c.completion) return;
  const entryPoint = entryPointOf(ctx.problem);
  const x = extractCode(c.completion.text, ctx.config.language as Language, entryPoint ? { entryPoint } : {});
  c.candidate.code = x.code;
  c.candidate.extraction = x.how;
};

/** Candidate step: the code on the public tests, every test (the feedback shows them all). */
export const judgePublic: Step<CandidateState> = async (c, ctx) => {
  const code = c.candidate.code;
  if (code === null) return;
  c.result = await rejudgePublic(ctx, code);
  c.candidate.publicTests = summarize(c.result);
};

/**
 * Turn step: the verifier's scores for the candidates with code, in one batch, when the
 * selection rule reads them and there is a choice to make.
 */
export const scoreTurn: Step<TurnState> = async (turn, ctx) => {
  if (!ctx.verifier || !readsScores(ctx.config.strategy.selection) || turn.candidates.length < 2) return;
  await scoreCandidates(
    ctx.verifier,
    ctx.config,
    ctx.problem,
    turn.candidates.map((c) => c.candidate),
    ctx.verifierGate,
  );
};

/** Turn step: marks the candidate the trajectory continues from (`selectCandidate`). */
export const selectStep: Step<TurnState> = async (turn, ctx) => {
  const { config, key } = ctx;
  const chosen = selectCandidate(
    turn.candidates.map((c) => c.candidate),
    config.strategy.selection,
    seedFor(config.seed, key.problemId, key.trajectory, turn.index, turn.candidatesN),
  );
  const c = turn.candidates.find((x) => x.index === chosen);
  if (c) c.candidate.selected = true;
};

/**
 * Picks the candidate that continues the trajectory, from its stored facts alone (so a stored
 * run can be re-selected offline: `codeloop reselect`, and metrics can replay every rule):
 * - public-tests (PT): most public tests passed, then the lowest index;
 * - verifier (LV): highest verifier score, then the lowest index;
 * - public-tests+verifier (PT+LV, µCode's best): public tests first, the score breaks ties;
 * - random: a seeded draw.
 * Candidates with code come first; without any, a candidate whose request succeeded (its
 * answer had no code); -1 when every request failed. A missing score ranks last.
 */
export function selectCandidate(candidates: readonly Candidate[], rule: SelectionRule, seed: number): number {
  const withCode = candidates.filter((c) => c.code !== null);
  const pool = withCode.length > 0 ? withCode : candidates.filter((c) => c.modelError === null);
  if (pool.length === 0) return -1;
  if (rule === "random") return pool[seed % pool.length]!.index;
  const byPublic = rule !== "verifier";
  const byScore = readsScores(rule);
  const sorted = [...pool].sort((a, b) => {
    if (byPublic && publicFraction(a) !== publicFraction(b)) return publicFraction(b) - publicFraction(a);
    if (byScore) {
      const va = a.verifierScore ?? Number.NEGATIVE_INFINITY;
      const vb = b.verifierScore ?? Number.NEGATIVE_INFINITY;
      if (va !== vb) return vb - va;
    }
    return a.index - b.index;
  });
  return sorted[0]!.index;
}

/** Fraction of public tests passed; -1 without a result (no code, or none run). */
export function publicFraction(c: Candidate): number {
  return c.publicTests && c.publicTests.total > 0 ? c.publicTests.passed / c.publicTests.total : -1;
}

/**
 * Sets the verifier score of every candidate with code in one batch (runs, and `codeloop
 * reselect` over stored candidates); returns how many were scored. The verifier reads what
 * µCode's does: the problem as the first user turn renders it (no CoT prompt) and one code.
 */
export async function scoreCandidates(
  verifier: Verifier,
  config: StrategyConfig,
  problem: Problem,
  candidates: readonly Candidate[],
  gate: Gate = openGate,
): Promise<number> {
  const withCode = candidates.filter((c) => c.code !== null);
  if (withCode.length === 0) return 0;
  const prompt = formatProblem(problem, {
    language: config.language as Language,
    overrides: overridesOf(config),
  });
  const inputs: VerifierInput[] = withCode.map((c) => ({
    prompt,
    code: c.code!,
    language: config.language,
    publicTests: c.publicTests ? { passed: c.publicTests.passed, total: c.publicTests.total } : null,
  }));
  const scores = await gate(() => verifier.score(inputs));
  withCode.forEach((c, i) => {
    c.verifierScore = scores[i] ?? null;
  });
  return withCode.length;
}

/** Whether a stored candidate passed every public test (its trajectory may stop there). */
export function passedPublic(c: Candidate | undefined): boolean {
  const p = c?.publicTests;
  return !!p && p.verdict === "accepted" && p.passed === p.total;
}

/** The public-test feedback for a judged answer, as the next turn's message. */
export async function feedbackFor(
  ctx: StrategyContext,
  code: string | null,
  result: JudgeResult | null,
): Promise<string> {
  const { config, problem } = ctx;
  const overrides = overridesOf(config);
  if (code === null || result === null) return renderNoCodeFeedback(overrides);
  let trace: ExecutionTrace | undefined;
  if (config.feedback.kind === "trace") {
    const failing = result.tests.find((t) => t.verdict !== "accepted");
    if (failing) {
      const test = problem.tests.public[failing.index]!;
      const gate = ctx.sandboxGate ?? openGate;
      const t = await gate(() =>
        ctx.judge.traceTest(
          judgeFor(problem, test),
          test,
          { language: config.language, code },
          { limits: ctx.limits },
        ),
      );
      if (t) trace = { testIndex: failing.index, events: t.events, omitted: t.omitted, outcome: t.outcome };
    }
  }
  return renderFeedback(
    config.feedback.kind,
    feedbackInput(problem, result, trace),
    config.feedback.truncation,
    overrides,
  );
}

/**
 * Judges code on the public tests (again, for a resumed trajectory's feedback). The result
 * becomes the model's feedback: an infrastructure failure is tried once more, then thrown
 * (InfrastructureError) before the turn is stored; the scheduler fails the trajectory on it,
 * and `--retry-failed` plays the turn again.
 */
export function rejudgePublic(ctx: StrategyContext, code: string): Promise<JudgeResult> {
  const { problem, config, key } = ctx;
  return judgedOrThrow(
    () =>
      (ctx.sandboxGate ?? openGate)(() =>
        judgeTests(
          ctx.judge,
          problem,
          problem.tests.public,
          code,
          config.language as Language,
          ctx.limits,
          false,
        ),
      ),
    `problem ${problem.id} trajectory ${key.trajectory} on its public tests`,
  );
}
