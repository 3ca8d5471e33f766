import { type SelectionRule, readsScores } from "../core/selection.js";
import {
  type Candidate,
  type TestSummary,
  type TrajectoryKey,
  type Turn,
  requestMessages,
  seedFor,
} from "../core/trajectory.js";
import type { Language } from "../core/verdict.js";
import type { Judge, JudgeResult } from "../judge/judge.js";
import {
  type ChatMessage,
  type ChatModel,
  type Completion,
  type SamplingParams,
  asModelError,
} from "../models/index.js";
import { type Problem, judgeFor } from "../problems/index.js";
import {
  type ExecutionTrace,
  type FeedbackKind,
  type FeedbackLimits,
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
import type { SandboxLimits } from "../sandbox/index.js";
import type { VerifierInput } from "../verifiers/index.js";
import { judgeTests, summarize } from "./judging.js";

/**
 * Scores a turn's candidate programs in one batch, higher meaning more likely correct (µCode's
 * learned verifier; src/verifiers builds them from `strategy.verifier`).
 */
export interface Verifier {
  /** One score per input; null for an input the scorer refused (it ranks last). */
  score(inputs: readonly VerifierInput[]): Promise<(number | null)[]>;
}

/**
 * What a linear strategy reads of a run's config: its own settings, not the whole run config
 * (a run's config satisfies it). Kept here so that strategies sit below runs.
 */
export interface StrategyConfig {
  language: "python" | "cpp";
  seed: number;
  sampling: SamplingParams;
  strategy: {
    maxTurns: number;
    candidatesPerTurn: number;
    stopOnPublicPass: boolean;
    /** Entry i gives turn i + 1 its reasoning and/or instruction prompt id. */
    cot: readonly { reasoning?: string | undefined; instruction?: string | undefined }[];
    selection: SelectionRule;
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
  judge: Judge;
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
}

export interface StrategyOutcome {
  /** The candidate whose code is submitted; null when no turn produced code. */
  submitted: { turn: number; candidate: number; code: string } | null;
  /** Set when the trajectory could not go on (every request of a turn failed). */
  error?: string;
  turns: Turn[];
}

const nowIso = () => new Date().toISOString();

function overridesOf(config: StrategyConfig): PromptOverrides {
  return config.prompts.overrides;
}

function systemOf(config: StrategyConfig): ChatMessage | null {
  if (config.prompts.system !== undefined) {
    return config.prompts.system.trim() ? { role: "system", content: config.prompts.system } : null;
  }
  return systemMessage(overridesOf(config));
}

/** The public-test feedback for a judged candidate, as the next turn's message. */
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
          {
            limits: ctx.limits,
          },
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

interface Judged {
  candidate: Candidate;
  result: JudgeResult | null;
}

/** Asks the model once for one candidate; a failed request becomes a candidate with its error. */
async function sample(
  ctx: StrategyContext,
  messages: ChatMessage[],
  turn: number,
  index: number,
): Promise<{ completion: Completion | null; error: Candidate["modelError"]; seed: number }> {
  const { config, key } = ctx;
  const seed = seedFor(config.seed, key.problemId, key.trajectory, turn, index);
  const gate = ctx.modelGate ?? openGate;
  try {
    const res = await gate(() =>
      ctx.model.generate({
        messages,
        n: 1,
        sampling: { ...config.sampling, seed },
        id: `${key.problemId}#${key.trajectory}/${turn}/${index}`,
      }),
    );
    return { completion: res.completions[0] ?? null, error: null, seed };
  } catch (err) {
    const e = asModelError(err);
    return {
      completion: null,
      error: { kind: e.kind, message: e.message, ...(e.status !== undefined ? { status: e.status } : {}) },
      seed,
    };
  }
}

function candidateOf(
  index: number,
  seed: number,
  completion: Completion | null,
  error: Candidate["modelError"],
  code: ReturnType<typeof extractCode> | null,
  extra: { promptTokens: number; completionTokens: number; latencyMs: number },
): Candidate {
  return {
    index,
    rawAnswer: completion?.text ?? "",
    code: code?.code ?? null,
    extraction: code?.how ?? "none",
    finishReason: completion?.finishReason ?? null,
    promptTokens: extra.promptTokens + (completion?.usage.promptTokens ?? 0),
    completionTokens: extra.completionTokens + (completion?.usage.completionTokens ?? 0),
    tokensApproximate: completion?.usage.approximate ?? false,
    latencyMs: extra.latencyMs + (completion?.latencyMs ?? 0),
    cached: completion?.cached ?? false,
    modelError: error,
    seed,
    publicTests: null,
    selected: false,
    verifierScore: null,
  };
}

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
  const frac = (c: Candidate) =>
    c.publicTests && c.publicTests.total > 0 ? c.publicTests.passed / c.publicTests.total : -1;
  const byPublic = rule !== "verifier";
  const byScore = readsScores(rule);
  const sorted = [...pool].sort((a, b) => {
    if (byPublic && frac(a) !== frac(b)) return frac(b) - frac(a);
    if (byScore) {
      const va = a.verifierScore ?? Number.NEGATIVE_INFINITY;
      const vb = b.verifierScore ?? Number.NEGATIVE_INFINITY;
      if (va !== vb) return vb - va;
    }
    return a.index - b.index;
  });
  return sorted[0]!.index;
}

/**
 * Scores the turn's candidates that have code in one verifier batch. The verifier reads what
 * µCode's does: the problem as the first user turn renders it (no CoT prompt) and one code.
 */
async function scoreTurn(ctx: StrategyContext, candidates: Candidate[]): Promise<void> {
  await scoreCandidates(ctx.verifier!, ctx.config, ctx.problem, candidates, ctx.verifierGate);
}

/**
 * Sets the verifier score of every candidate with code in one batch (runs, and `codeloop
 * reselect` over stored candidates); returns how many were scored.
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

/** Whether a stored turn ends the trajectory: its selected code passed every public test. */
export function passedPublic(c: Candidate | undefined): boolean {
  const p = c?.publicTests;
  return !!p && p.verdict === "accepted" && p.passed === p.total;
}

/**
 * Plays one linear trajectory: single-turn, multi-turn and cot-retry (turn i gets
 * `strategy.cot[i]`), each turn with `candidatesPerTurn` samples (best-of-n selection).
 * `stored` are turns a killed run already committed; the trajectory continues after them
 * (the feedback for the next turn is rebuilt by judging the last selected code again).
 * A stored last turn whose every request failed ends the trajectory, unless `retryFailedTurn`:
 * then a new turn (next index, parent = the last answered turn) asks again.
 */
export async function playTrajectory(
  ctx: StrategyContext,
  stored: readonly Turn[] = [],
  retryFailedTurn = false,
): Promise<StrategyOutcome> {
  const { config, problem } = ctx;
  const s = config.strategy;
  const language = config.language as Language;
  const overrides = overridesOf(config);
  const turns: Turn[] = [...stored].sort((a, b) => a.index - b.index);
  const candidatesN = s.candidatesPerTurn;
  // Two-step chains (reasoning answered, then code) need one dialog per candidate; with
  // several candidates per turn everything goes in one message so the turn's messages are shared.
  const chain = candidatesN > 1 ? "single-step" : "two-step";

  let conversation: ChatMessage[] = [];
  let nextMessage: string | null = null;
  let lastResult: JudgeResult | null = null;
  const selectedOf = (t: Turn) => t.candidates.find((c) => c.selected);

  // Turns whose requests all failed are stored but are not part of the dialog: `depth` counts
  // the answered turns, and a retried turn continues from the last answered one.
  let lastGood = [...turns].reverse().find((t) => selectedOf(t));
  let depth = turns.filter((t) => selectedOf(t)).length;
  if (turns.length > 0 && !selectedOf(turns[turns.length - 1]!) && !retryFailedTurn) {
    return finish(turns, "every model request of the last turn failed");
  }
  if (lastGood) {
    const sel = selectedOf(lastGood)!;
    if ((passedPublic(sel) && s.stopOnPublicPass) || depth >= s.maxTurns) return finish(turns);
    conversation = [...requestMessages(turns, lastGood.index), { role: "assistant", content: sel.rawAnswer }];
    if (sel.code !== null) {
      lastResult = await (ctx.sandboxGate ?? openGate)(() =>
        judgeTests(ctx.judge, problem, problem.tests.public, sel.code!, language, ctx.limits, false),
      );
    }
    nextMessage = await feedbackFor(ctx, sel.code, lastResult);
  }

  while (depth < s.maxTurns) {
    const turnIndex = turns.length;
    const startedAt = nowIso();
    const turnMessage = nextMessage ?? formatProblem(problem, { language, overrides });
    const cot = s.cot[depth] ?? {};
    const steps = turnSteps(
      turnMessage,
      {
        ...(cot.reasoning ? { reasoning: [cot.reasoning] } : {}),
        ...(cot.instruction ? { instruction: [cot.instruction] } : {}),
        chain,
      },
      overrides,
    );
    const sent: ChatMessage[] = [];
    if (depth === 0) {
      const sys = systemOf(config);
      if (sys) sent.push(sys);
    }
    // Reasoning steps (answered in prose) happen before the code step, once (candidatesN is 1 here).
    const pre = { promptTokens: 0, completionTokens: 0, latencyMs: 0 };
    let failed: Candidate["modelError"] = null;
    for (const step of steps.slice(0, -1)) {
      sent.push(step.message);
      const r = await sample(ctx, [...conversation, ...sent], turnIndex, 0);
      if (!r.completion) {
        failed = r.error;
        break;
      }
      pre.promptTokens += r.completion.usage.promptTokens;
      pre.completionTokens += r.completion.usage.completionTokens;
      pre.latencyMs += r.completion.latencyMs;
      sent.push({ role: "assistant", content: r.completion.text });
    }
    const judged: Judged[] = [];
    if (failed) {
      judged.push({
        candidate: candidateOf(
          0,
          seedFor(config.seed, ctx.key.problemId, ctx.key.trajectory, turnIndex, 0),
          null,
          failed,
          null,
          pre,
        ),
        result: null,
      });
    } else {
      sent.push(steps[steps.length - 1]!.message);
      const request = [...conversation, ...sent];
      const entryPoint = entryPointOf(problem);
      const results = await Promise.all(
        Array.from({ length: candidatesN }, async (_, i) => {
          const r = await sample(ctx, request, turnIndex, i);
          const extraction = r.completion
            ? extractCode(r.completion.text, language, entryPoint ? { entryPoint } : {})
            : null;
          const candidate = candidateOf(
            i,
            r.seed,
            r.completion,
            r.error,
            extraction,
            i === 0
              ? pre
              : {
                  promptTokens: 0,
                  completionTokens: 0,
                  latencyMs: 0,
                },
          );
          let result: JudgeResult | null = null;
          if (candidate.code !== null) {
            const code = candidate.code;
            result = await (ctx.sandboxGate ?? openGate)(() =>
              judgeTests(ctx.judge, problem, problem.tests.public, code, language, ctx.limits, false),
            );
            candidate.publicTests = summarize(result);
          }
          return { candidate, result };
        }),
      );
      judged.push(...results);
      if (ctx.verifier && readsScores(s.selection) && candidatesN > 1) {
        await scoreTurn(
          ctx,
          judged.map((j) => j.candidate),
        );
      }
    }
    const chosen = selectCandidate(
      judged.map((j) => j.candidate),
      s.selection,
      seedFor(config.seed, ctx.key.problemId, ctx.key.trajectory, turnIndex, candidatesN),
    );
    const chosenJudged = judged.find((j) => j.candidate.index === chosen);
    if (chosenJudged) chosenJudged.candidate.selected = true;
    const prev = lastGood;
    const prevSel = prev ? selectedOf(prev) : undefined;
    const turn: Turn = {
      index: turnIndex,
      parentTurn: prev ? prev.index : null,
      parentCandidate: prevSel ? prevSel.index : null,
      messages: sent,
      history: "append",
      candidates: judged.map((j) => j.candidate),
      ...(candidatesN > 1 ? { selection: s.selection } : {}),
      startedAt,
      finishedAt: nowIso(),
    };
    await ctx.onTurn(turn);
    turns.push(turn);
    if (!chosenJudged) return finish(turns, "every model request of the turn failed");
    lastGood = turn;
    depth++;
    const sel = chosenJudged.candidate;
    if (s.stopOnPublicPass && passedPublic(sel)) break;
    if (depth >= s.maxTurns) break;
    conversation = [...conversation, ...sent, { role: "assistant", content: sel.rawAnswer }];
    lastResult = chosenJudged.result;
    nextMessage = await feedbackFor(ctx, sel.code, lastResult);
  }
  return finish(turns);
}

/** The submission: the latest selected candidate that has code ("submit the last code"). */
function finish(turns: Turn[], error?: string): StrategyOutcome {
  for (let i = turns.length - 1; i >= 0; i--) {
    const sel = turns[i]!.candidates.find((c) => c.selected && c.code !== null);
    if (sel) {
      return {
        submitted: { turn: turns[i]!.index, candidate: sel.index, code: sel.code! },
        turns,
        ...(error ? { error } : {}),
      };
    }
  }
  return { submitted: null, turns, ...(error ? { error } : {}) };
}

export type { TestSummary };
