import type { ChatMessage } from "../models/types.js";
import { getPrompt } from "./catalogue.js";
import { type PromptOverrides, paragraphs, render, templateText } from "./templates.js";

/** The chain-of-thought prompts added to one turn. */
export interface TurnPrompts {
  /** Reasoning prompt ids (answered in prose before the code); several are stacked in one list. */
  reasoning?: readonly string[];
  /** Instruction prompt ids (how to write the code). */
  instruction?: readonly string[];
  /**
   * "two-step" (default): the model answers the reasoning prompts first, then gets the
   * instruction prompts and writes the code. "single-step": everything in the turn's message.
   */
  chain?: "two-step" | "single-step";
  /** Substituted for {language} in prompt texts that use it (default "Python 3"). */
  language?: string;
}

/** One user message of a turn and what its answer is expected to contain. */
export interface TurnStep {
  message: ChatMessage;
  /** False for the reasoning step of a two-step chain: its answer is prose, not the turn's code. */
  expectsCode: boolean;
  /** Catalogue ids whose text this message carries (so exports can strip the CoT prompts). */
  promptIds: string[];
}

function promptTexts(
  ids: readonly string[],
  category: "reasoning" | "instruction",
  p: TurnPrompts,
  o?: PromptOverrides,
) {
  return ids.map((id) => {
    getPrompt(id, category);
    return render(id, { language: p.language ?? "Python 3" }, o);
  });
}

/** One prompt as is; several as a numbered list (stacked prompts in one message). */
function stack(texts: string[]): string {
  if (texts.length <= 1) return texts[0] ?? "";
  return texts.map((t, i) => `${i + 1}. ${t}`).join("\n");
}

const user = (content: string): ChatMessage => ({ role: "user", content });

/**
 * The user messages of one turn, in order. `turnMessage` is what the turn would send without
 * chain of thought: the formatted problem on turn 1, the execution feedback afterwards.
 */
export function turnSteps(
  turnMessage: string,
  prompts: TurnPrompts = {},
  overrides?: PromptOverrides,
): TurnStep[] {
  const reasoningIds = [...(prompts.reasoning ?? [])];
  const instructionIds = [...(prompts.instruction ?? [])];
  const reasoning = promptTexts(reasoningIds, "reasoning", prompts, overrides);
  const instruction = promptTexts(instructionIds, "instruction", prompts, overrides);

  if (reasoning.length === 0) {
    return [
      {
        message: user(paragraphs(turnMessage, stack(instruction))),
        expectsCode: true,
        promptIds: instructionIds,
      },
    ];
  }
  if ((prompts.chain ?? "two-step") === "single-step") {
    const all = stack([...reasoning, ...instruction]);
    return [
      {
        message: user(paragraphs(turnMessage, render("chain.single-step", { prompts: all }, overrides))),
        expectsCode: true,
        promptIds: [...reasoningIds, ...instructionIds],
      },
    ];
  }
  return [
    {
      message: user(
        paragraphs(turnMessage, render("chain.reasoning", { reasoning: stack(reasoning) }, overrides)),
      ),
      expectsCode: false,
      promptIds: reasoningIds,
    },
    {
      message: user(paragraphs(stack(instruction), render("chain.code", {}, overrides))),
      expectsCode: true,
      promptIds: instructionIds,
    },
  ];
}

export interface TurnState {
  /** The whole conversation so far. */
  conversation: readonly ChatMessage[];
  /** Index in `conversation` where the current turn's first user message is (or will be). */
  turnStart: number;
  turnMessage: string;
  prompts?: TurnPrompts;
}

export class ConversationError extends Error {
  override name = "ConversationError";
}

/**
 * The next message a strategy should send in the current turn, or null when the turn is done
 * (the last step's answer is in the conversation). Checks that the conversation since
 * `turnStart` is exactly this turn's steps, each followed by one assistant answer.
 */
export function nextTurnStep(state: TurnState, overrides?: PromptOverrides): TurnStep | null {
  const steps = turnSteps(state.turnMessage, state.prompts, overrides);
  const since = state.conversation.slice(state.turnStart);
  if (state.turnStart < 0 || state.turnStart > state.conversation.length) {
    throw new ConversationError(
      `turnStart ${state.turnStart} is outside the conversation (${state.conversation.length} messages)`,
    );
  }
  let done = 0;
  for (let i = 0; i < since.length; i += 2) {
    const sent = since[i]!;
    const step = steps[done];
    if (!step || sent.role !== "user" || sent.content !== step.message.content) {
      throw new ConversationError(
        `message ${state.turnStart + i} is not step ${done + 1} of this turn (${steps.length} steps)`,
      );
    }
    const answer = since[i + 1];
    if (!answer) throw new ConversationError(`step ${done + 1} of this turn still awaits the model's answer`);
    if (answer.role !== "assistant") {
      throw new ConversationError(`message ${state.turnStart + i + 1} should be the model's answer`);
    }
    done++;
  }
  return steps[done] ?? null;
}

/** The system message, or null when the `system` template is overridden with an empty text. */
export function systemMessage(overrides?: PromptOverrides): ChatMessage | null {
  const text = templateText("system", overrides);
  return text.trim() ? { role: "system", content: render("system", {}, overrides) } : null;
}
