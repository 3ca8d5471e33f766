import { turnSteps } from "../prompts/index.js";
import type { RunConfig, TrajectoryDetail, Turn } from "../runs/index.js";
import { ExportError } from "./errors.js";

/**
 * A trajectory as training dialog, with the chain-of-thought prompts stripped (docs/export.md
 * shows the transformation on an example):
 * - the reasoning and instruction prompt texts the run appended to a turn's user message are
 *   removed, leaving the problem statement (turn 1) or the execution feedback (later turns);
 * - a two-step turn (a reasoning request, its prose answer, then the code request) becomes one
 *   user message and one assistant message: the reasoning answer, a blank line, the code answer.
 * The texts to remove are rendered again from the run's own config (strategy.cot, prompt
 * overrides), so they match byte for byte; a turn they do not match is an error, never kept
 * with its prompts in it.
 */

export interface Exchange {
  user: string;
  assistant: string;
}

export interface Dialog {
  system: string | null;
  exchanges: Exchange[];
}

/** Turns from the root to `turnIndex`, following parent links. */
export function chainTo(turns: readonly Turn[], turnIndex: number, where: string): Turn[] {
  const byIndex = new Map(turns.map((t) => [t.index, t]));
  const chain: Turn[] = [];
  let cur = byIndex.get(turnIndex);
  while (cur) {
    if (chain.includes(cur)) throw new ExportError(`${where}: turn ${cur.index} is its own ancestor`);
    chain.unshift(cur);
    if (cur.history === "replace") {
      throw new ExportError(
        `${where}: turn ${cur.index} replaced its history; exports read appended dialogs`,
      );
    }
    if (cur.parentTurn === null) return chain;
    cur = byIndex.get(cur.parentTurn);
  }
  throw new ExportError(`${where}: turn ${turnIndex} or one of its parents is not stored`);
}

function stripSuffix(content: string, suffix: string): string | null {
  if (suffix === "") return content;
  if (content === suffix) return "";
  if (content.endsWith(`\n\n${suffix}`)) return content.slice(0, content.length - suffix.length - 2);
  return null;
}

/** The user message(s) turn `depth` of this run sent, rendered for an empty turn message. */
function stepsAt(config: RunConfig, depth: number) {
  const cot = config.strategy.cot[depth] ?? {};
  return turnSteps(
    "",
    {
      ...(cot.reasoning ? { reasoning: [cot.reasoning] } : {}),
      ...(cot.instruction ? { instruction: [cot.instruction] } : {}),
      // As the strategy does: two steps need one dialog per candidate.
      chain: config.strategy.candidatesPerTurn > 1 ? "single-step" : "two-step",
    },
    config.prompts.overrides,
  );
}

/** The dialog up to and including the answer of (turn, candidate), each earlier turn with the answer it continued. */
export function dialogTo(
  config: RunConfig,
  detail: TrajectoryDetail,
  turnIndex: number,
  candidate: number,
  where: string,
): Dialog {
  const chain = chainTo(detail.turns, turnIndex, where);
  let system: string | null = null;
  const exchanges: Exchange[] = [];
  chain.forEach((turn, depth) => {
    const at = `${where} turn ${turn.index}`;
    let messages = turn.messages;
    if (depth === 0 && messages[0]?.role === "system") {
      system = messages[0].content;
      messages = messages.slice(1);
    }
    const steps = stepsAt(config, depth);
    const first = messages[0];
    const user = first?.role === "user" ? stripSuffix(first.content, steps[0]!.message.content) : null;
    if (user === null) {
      throw new ExportError(
        `${at}: its first user message does not end with the prompts strategy.cot gives this turn`,
      );
    }
    let reasoning: string | null = null;
    if (steps.length === 2) {
      const [, answer, code] = messages;
      if (
        messages.length !== 3 ||
        answer?.role !== "assistant" ||
        code?.content !== steps[1]!.message.content
      ) {
        throw new ExportError(`${at}: expected a reasoning request, its answer and the code request`);
      }
      reasoning = answer.content;
    } else if (messages.length !== 1) {
      throw new ExportError(`${at}: expected one user message, found ${messages.length}`);
    }
    const next = chain[depth + 1];
    const index = next ? next.parentCandidate : candidate;
    const chosen = turn.candidates.find((c) => c.index === index);
    if (!chosen) throw new ExportError(`${at}: candidate ${index} is not stored`);
    const assistant = reasoning === null ? chosen.rawAnswer : `${reasoning}\n\n${chosen.rawAnswer}`;
    exchanges.push({ user, assistant });
  });
  return { system, exchanges };
}
