import { type Turn, requestMessages } from "../core/trajectory.js";
import type { JudgeResult } from "../judge/judge.js";
import type { ChatMessage } from "../models/index.js";
import type { StrategyContext, StrategyOutcome } from "./context.js";
import {
  type Step,
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
  scoreTurn,
  selectStep,
  writeMessages,
} from "./steps.js";

/** The settings a linear strategy reads (single-turn, multi-turn, cot-retry, best-of-n). */
export interface LinearSettings {
  maxTurns: number;
  candidatesPerTurn: number;
  stopOnPublicPass: boolean;
}

/**
 * One turn of a linear strategy: its messages, its reasoning steps, then per candidate the
 * answer, its code and its public tests, then the verifier's scores and the selection.
 */
export const linearTurn: Step<TurnState> = chain(
  writeMessages,
  answerReasoning,
  eachCandidate(extract, judgePublic),
  scoreTurn,
  selectStep,
);

const selectedOf = (t: Turn) => t.candidates.find((c) => c.selected);

/** The stored form of a built turn; `selection` names the rule that picked among several. */
export function turnOf(turn: TurnState, selection?: string): Turn {
  return {
    index: turn.index,
    parentTurn: turn.parent ? turn.parent.turn : null,
    parentCandidate: turn.parent ? turn.parent.candidate : null,
    messages: turn.sent,
    history: "append",
    candidates: turn.candidates.map((c) => c.candidate),
    ...(turn.candidatesN > 1 && selection !== undefined ? { selection } : {}),
    startedAt: turn.startedAt,
    finishedAt: nowIso(),
  };
}

/**
 * Plays one linear trajectory: single-turn, multi-turn and cot-retry (turn i gets
 * `strategy.cot[i]`), each turn with `candidatesPerTurn` samples (best-of-n selection).
 * `stored` are turns a killed run already committed; the trajectory continues after them
 * (the feedback for the next turn is rebuilt by judging the last selected code again).
 * A stored last turn whose every request failed ends the trajectory, unless `retryFailedTurn`:
 * then a new turn (next index, parent = the last answered turn) asks again.
 */
export async function playLinear(
  ctx: StrategyContext,
  settings: LinearSettings,
  stored: readonly Turn[] = [],
  retryFailedTurn = false,
): Promise<StrategyOutcome> {
  const turns: Turn[] = [...stored].sort((a, b) => a.index - b.index);
  let prefix: ChatMessage[] = [];
  let nextMessage: string | null = null;

  // Turns whose requests all failed are stored but are not part of the dialog: `depth` counts
  // the answered turns, and a retried turn continues from the last answered one.
  let lastGood = [...turns].reverse().find((t) => selectedOf(t));
  let depth = turns.filter((t) => selectedOf(t)).length;
  if (turns.length > 0 && !selectedOf(turns[turns.length - 1]!) && !retryFailedTurn) {
    return finishLinear(turns, "every model request of the last turn failed");
  }
  if (lastGood) {
    const sel = selectedOf(lastGood)!;
    if ((passedPublic(sel) && settings.stopOnPublicPass) || depth >= settings.maxTurns) {
      return finishLinear(turns);
    }
    prefix = [...requestMessages(turns, lastGood.index), { role: "assistant", content: sel.rawAnswer }];
    const result = sel.code !== null ? await rejudgePublic(ctx, sel.code) : null;
    nextMessage = await feedbackFor(ctx, sel.code, result);
  }

  while (depth < settings.maxTurns) {
    const prevSel = lastGood ? selectedOf(lastGood) : undefined;
    const turn = newTurn({
      index: turns.length,
      parent: lastGood && prevSel ? { turn: lastGood.index, candidate: prevSel.index } : null,
      depth,
      prefix,
      message: nextMessage ?? problemMessage(ctx),
      candidatesN: settings.candidatesPerTurn,
    });
    await linearTurn(turn, ctx);
    const stored = turnOf(turn, ctx.config.strategy.selection);
    await ctx.onTurn(stored);
    turns.push(stored);
    const chosen = turn.candidates.find((c) => c.candidate.selected);
    if (!chosen) return finishLinear(turns, "every model request of the turn failed");
    lastGood = stored;
    depth++;
    const sel = chosen.candidate;
    if (settings.stopOnPublicPass && passedPublic(sel)) break;
    if (depth >= settings.maxTurns) break;
    prefix = [...prefix, ...turn.sent, { role: "assistant", content: sel.rawAnswer }];
    nextMessage = await feedbackFor(ctx, sel.code, chosen.result as JudgeResult | null);
  }
  return finishLinear(turns);
}

/** The submission of a linear trajectory: its latest selected code ("submit the last code"). */
function finishLinear(turns: Turn[], error?: string): StrategyOutcome {
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
