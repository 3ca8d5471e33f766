import { type Rng, seededRng } from "../core/rng.js";
import { type SelectionRule, readsScores } from "../core/selection.js";
import { type Candidate, type Turn, requestMessages, seedFor } from "../core/trajectory.js";
import type { JudgeResult } from "../judge/judge.js";
import type { ChatMessage } from "../models/index.js";
import type { Budget, StrategyContext, StrategyOutcome } from "./context.js";
import {
  type TurnState,
  answerReasoning,
  chain,
  eachCandidate,
  extract,
  feedbackFor,
  judgePublic,
  newTurn,
  nowIso,
  passedPublic,
  problemMessage,
  rejudgePublic,
  scoreCandidates,
  writeMessages,
} from "./steps.js";

/**
 * Tree search over attempts (REx: Tang et al., "Code Repair with LLMs gives an
 * Exploration-Exploitation Tradeoff", NeurIPS 2024), under a budget in LLM calls or tokens.
 *
 * Every node is one program: a turn of one candidate, judged on the public tests. A root is a
 * fresh answer to the problem; a child refines its parent (the parent's dialog, its answer, and
 * the feedback on it). Each step expands one arm, chosen by Thompson sampling: a node's chance
 * that a refinement of it is right is drawn from Beta(1 + C·h, 1 + C·(1 − h) + N), where h is
 * the fraction of public tests it passes and N the times it was refined already plus, our
 * addition to REx, the refinements in a row on its path that did not improve on their parent.
 * So a node whose refinements keep failing, and a branch that stopped improving, lose their
 * draws to others (backtracking); C weighs the heuristic against that penalty. A refinement
 * that returns a program already in the tree is the same arm, not a new one: models often
 * answer feedback with the same code. "A fresh root" is one more arm, with h the mean of the roots
 * so far and N the root expansions so far. Nodes at the depth limit, passing nodes and failed
 * requests are not arms. The search stops when a node passes every public test (with
 * stopOnPublicPass) or the budget is spent; the submission is the node with the most public
 * tests passed (then the highest verifier score, when the selection rule reads scores; then
 * the latest). docs/strategies.md says why this algorithm and these defaults.
 *
 * Determinism and resume: the arm drawn before creating turn i uses a generator seeded with
 * seedFor(run seed, problem, trajectory, i, 1), and each child's request the seed of (its turn,
 * 0); the decision depends only on the stored nodes before it. A resumed search replays its
 * decisions over the stored turns (checking each stored turn's parent against the replay),
 * finishes an expansion a kill cut short, and goes on: it stores what an uninterrupted search
 * stores.
 */

export interface TreeSettings {
  /** Turns on a path from a root (`strategy.maxTurns`). */
  maxDepth: number;
  /** Children sampled per expansion (`strategy.branching`). */
  branching: number;
  budget: Budget;
  /** REx's C (`strategy.exploration`). */
  exploration: number;
  stopOnPublicPass: boolean;
  selection: SelectionRule;
}

/** A bound on a tree's size whatever its budget (a server that reports no tokens must end too). */
export const MAX_TREE_NODES = 1000;

interface Node {
  turn: Turn;
  candidate: Candidate;
  /** Turns on the path from its root, itself included (a root has depth 1). */
  depth: number;
  /** Fraction of public tests passed (0 without code or results). */
  h: number;
  /** Times it was refined. */
  expansions: number;
  /**
   * Refinements in a row on its path that did not improve on their parent (its own included):
   * a branch that stops improving carries its count down, so its new children do not look
   * like fresh arms.
   */
  stall: number;
  /** Its code is the same as an earlier node's: the same program, so not an arm of its own. */
  duplicate: boolean;
  /** Its public-test result with outputs, while this process holds it. */
  result?: JudgeResult | null;
  /** The feedback on it, rendered once. */
  feedback?: string;
}

interface Spent {
  calls: number;
  tokens: number;
}

/** The arm drawn before turn `next`: a node to refine, or null for a fresh root. */
function chooseArm(
  nodes: readonly Node[],
  rootExpansions: number,
  settings: TreeSettings,
  rng: Rng,
): Node | null {
  const answered = nodes.filter((n) => n.candidate.modelError === null);
  const roots = answered.filter((n) => n.turn.parentTurn === null);
  if (roots.length === 0) return null;
  const C = settings.exploration;
  const meanRoot = roots.reduce((s, n) => s + n.h, 0) / roots.length;
  let best: Node | null = null;
  let bestDraw = betaSample(rng, 1 + C * meanRoot, 1 + C * (1 - meanRoot) + rootExpansions);
  for (const n of answered) {
    if (n.duplicate || n.depth >= settings.maxDepth || passedPublic(n.candidate)) continue;
    const draw = betaSample(rng, 1 + C * n.h, 1 + C * (1 - n.h) + n.expansions + n.stall);
    if (draw > bestDraw) {
      best = n;
      bestDraw = draw;
    }
  }
  return best;
}

function spentBudget(settings: TreeSettings, spent: Spent, nodes: number): boolean {
  const b = settings.budget;
  return (
    nodes >= MAX_TREE_NODES ||
    (b.calls !== undefined && spent.calls >= b.calls) ||
    (b.tokens !== undefined && spent.tokens >= b.tokens)
  );
}

/** Plays one tree search (see the top of this file); `stored` are the turns a killed run kept. */
export async function playTree(
  ctx: StrategyContext,
  settings: TreeSettings,
  stored: readonly Turn[] = [],
  retryFailed = false,
): Promise<StrategyOutcome> {
  const { config, key } = ctx;
  const storedByIndex = new Map(stored.map((t) => [t.index, t]));
  const turns: Turn[] = [];
  const nodes: Node[] = [];
  const byTurn = new Map<number, Node>();
  const codes = new Set<string>();
  const spent: Spent = { calls: 0, tokens: 0 };
  let rootExpansions = 0;
  const scoring = ctx.verifier !== undefined && readsScores(settings.selection);

  const add = (turn: Turn, result?: JudgeResult | null) => {
    const c = turn.candidates[0]!;
    const parent = turn.parentTurn === null ? undefined : byTurn.get(turn.parentTurn);
    const node: Node = {
      turn,
      candidate: c,
      depth: parent ? parent.depth + 1 : 1,
      h: c.publicTests && c.publicTests.total > 0 ? c.publicTests.passed / c.publicTests.total : 0,
      expansions: 0,
      stall: 0,
      duplicate: c.code !== null && codes.has(c.code.trim()),
    };
    if (c.code !== null) codes.add(c.code.trim());
    if (parent) node.stall = node.h > parent.h ? 0 : parent.stall + 1;
    // Kept for the feedback only while the node can still be refined.
    if (result !== undefined && node.depth < settings.maxDepth && !passedPublic(c)) node.result = result;
    turns.push(turn);
    nodes.push(node);
    byTurn.set(turn.index, node);
    if (c.modelError === null) spent.calls++;
    spent.tokens += c.promptTokens + c.completionTokens;
    return node;
  };

  for (;;) {
    if (settings.stopOnPublicPass && nodes.some((n) => passedPublic(n.candidate))) break;
    if (spentBudget(settings, spent, nodes.length)) break;
    const next = turns.length;
    const arm = chooseArm(
      nodes,
      rootExpansions,
      settings,
      seededRng(seedFor(config.seed, key.problemId, key.trajectory, next, 1)),
    );
    const remainingCalls =
      settings.budget.calls === undefined ? Number.POSITIVE_INFINITY : settings.budget.calls - spent.calls;
    const width = Math.min(settings.branching, remainingCalls, MAX_TREE_NODES - nodes.length);
    const indices = Array.from({ length: width }, (_, i) => next + i);
    const parent = arm ? { turn: arm.turn.index, candidate: arm.candidate.index } : null;
    // Replay: the children this expansion made before a kill.
    const kept: Turn[] = [];
    for (const i of indices) {
      const t = storedByIndex.get(i);
      if (!t) break;
      if (t.parentTurn !== (parent?.turn ?? null) || t.candidates.length !== 1) {
        throw new Error(
          `${key.problemId}#${key.trajectory}: stored turn ${i} does not follow the tree search's replay (expected ${parent ? `a refinement of turn ${parent.turn}` : "a fresh root"}); was the run's config or code changed?`,
        );
      }
      kept.push(t);
    }
    const missing = indices.slice(kept.length);
    const made = missing.length > 0 ? await expand(ctx, turns, arm, missing, scoring) : [];
    if (made.length > 0 && ctx.onTurns) await ctx.onTurns(made.map((m) => m.turn));
    else for (const m of made) await ctx.onTurn(m.turn);
    if (arm) arm.expansions++;
    else rootExpansions++;
    const children = [...kept.map((t) => add(t)), ...made.map((m) => add(m.turn, m.result))];
    if (children.every((n) => n.candidate.modelError !== null)) {
      // Every request of the expansion failed: the search cannot go on now. A retry (a
      // resumed run's --retry-failed) goes on after it with the next turn's draw.
      const last = Math.max(...indices) >= Math.max(-1, ...storedByIndex.keys());
      if (made.length > 0 || (last && !retryFailed)) {
        return finishTree(turns, settings, "every model request of the expansion failed");
      }
    }
  }
  const beyond = [...storedByIndex.keys()].filter((i) => i >= turns.length);
  if (beyond.length > 0) {
    throw new Error(
      `${key.problemId}#${key.trajectory}: stored turn ${Math.min(...beyond)} lies past the end of the tree search's replay; was the run's config or code changed?`,
    );
  }
  return finishTree(turns, settings);
}

/** Samples one expansion's missing children (their turn indices) and returns them as turns. */
async function expand(
  ctx: StrategyContext,
  turns: readonly Turn[],
  arm: Node | null,
  indices: readonly number[],
  scoring: boolean,
): Promise<{ turn: Turn; result: JudgeResult | null }[]> {
  let prefix: ChatMessage[] = [];
  let message: string;
  if (arm) {
    prefix = [
      ...requestMessages(turns, arm.turn.index),
      { role: "assistant", content: arm.candidate.rawAnswer },
    ];
    if (arm.feedback === undefined) {
      const code = arm.candidate.code;
      // A resumed search judges the parent again: only summaries are stored, feedback needs outputs.
      if (arm.result === undefined) arm.result = code !== null ? await rejudgePublic(ctx, code) : null;
      arm.feedback = await feedbackFor(ctx, code, arm.result);
      arm.result = undefined;
    }
    message = arm.feedback;
  } else {
    message = problemMessage(ctx);
  }
  const turn: TurnState = newTurn({
    index: indices[0]!,
    parent: arm ? { turn: arm.turn.index, candidate: arm.candidate.index } : null,
    depth: arm ? arm.depth : 0,
    prefix,
    message,
    candidatesN: indices.length,
    seedOf: (i) => ({ turn: indices[i]!, index: 0 }),
  });
  await chain(writeMessages, answerReasoning, eachCandidate(extract, judgePublic))(turn, ctx);
  if (scoring) {
    await scoreCandidates(
      ctx.verifier!,
      ctx.config,
      ctx.problem,
      turn.candidates.map((c) => c.candidate),
      ctx.verifierGate,
    );
  }
  const finishedAt = nowIso();
  return turn.candidates.map((c, i) => {
    // Each child is its own node: candidate 0 of its own turn, selected when it was answered.
    const candidate: Candidate = { ...c.candidate, index: 0, selected: c.candidate.modelError === null };
    const t: Turn = {
      index: indices[i]!,
      parentTurn: turn.parent ? turn.parent.turn : null,
      parentCandidate: turn.parent ? turn.parent.candidate : null,
      messages: turn.sent,
      history: "append",
      candidates: [candidate],
      startedAt: turn.startedAt,
      finishedAt,
    };
    return { turn: t, result: c.result };
  });
}

/**
 * The submission: the answered node with code that passes the most public tests, then (when
 * the rule reads scores) the highest verifier score, then the latest; with the "verifier"
 * rule, the score comes first.
 */
export function treeSubmission(turns: readonly Turn[], rule: SelectionRule): Turn | undefined {
  const frac = (c: Candidate) =>
    c.publicTests && c.publicTests.total > 0 ? c.publicTests.passed / c.publicTests.total : -1;
  const score = (c: Candidate) => c.verifierScore ?? Number.NEGATIVE_INFINITY;
  let best: Turn | undefined;
  for (const t of turns) {
    const c = t.candidates[0];
    if (!c || c.code === null || c.modelError !== null) continue;
    if (!best) {
      best = t;
      continue;
    }
    const b = best.candidates[0]!;
    const keys =
      rule === "verifier"
        ? [score(c) - score(b)]
        : readsScores(rule)
          ? [frac(c) - frac(b), score(c) - score(b)]
          : [frac(c) - frac(b)];
    const better = keys.find((d) => d !== 0 && !Number.isNaN(d));
    if (better === undefined ? t.index > best.index : better > 0) best = t;
  }
  return best;
}

function finishTree(turns: Turn[], settings: TreeSettings, error?: string): StrategyOutcome {
  const best = treeSubmission(turns, settings.selection);
  const c = best?.candidates[0];
  return {
    submitted: best && c ? { turn: best.index, candidate: c.index, code: c.code! } : null,
    turns,
    ...(error ? { error } : {}),
  };
}

/** A standard normal draw (Box-Muller). */
function normal(rng: Rng): number {
  let u = rng();
  while (u <= Number.EPSILON) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** A Gamma(shape, 1) draw for shape >= 1 (Marsaglia and Tsang's method). */
function gammaSample(rng: Rng, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) draw for a, b >= 1. */
export function betaSample(rng: Rng, a: number, b: number): number {
  const x = gammaSample(rng, a);
  const y = gammaSample(rng, b);
  return x / (x + y);
}
