import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/models/types.js";
import {
  ConversationError,
  INSTRUCTION_PROMPTS,
  REASONING_PROMPTS,
  UnknownPromptError,
  getPrompt,
  listPrompts,
  nextTurnStep,
  promptGrid,
  turnSteps,
} from "../../src/prompts/index.js";

describe("prompt catalogue", () => {
  it("has 8 reasoning and 6 instruction prompts with the documented stable ids", () => {
    expect(REASONING_PROMPTS.map((p) => p.id)).toEqual([
      "reasoning.restate",
      "reasoning.explain-samples",
      "reasoning.algorithm-tags",
      "reasoning.difficulty-edge-cases",
      "reasoning.naive-then-improve",
      "reasoning.several-approaches",
      "reasoning.helper-signatures",
      "reasoning.key-variables",
    ]);
    expect(INSTRUCTION_PROMPTS.map((p) => p.id)).toEqual([
      "instruction.helper-functions",
      "instruction.double-check",
      "instruction.comment-lines",
      "instruction.docstrings",
      "instruction.naive-then-improve",
      "instruction.step-by-step",
    ]);
  });

  it("categories follow the id prefix, texts are distinct and non-trivial", () => {
    const all = listPrompts();
    expect(all).toHaveLength(14);
    for (const e of all) {
      expect(e.id.startsWith(`${e.category}.`)).toBe(true);
      expect(e.text.length).toBeGreaterThan(40);
      expect(e.summary.length).toBeGreaterThan(5);
    }
    expect(new Set(all.map((e) => e.text)).size).toBe(14);
    expect(listPrompts("instruction").every((e) => e.category === "instruction")).toBe(true);
  });

  it("reasoning prompts never ask for code; the naive-then-improve instruction puts the final code last", () => {
    for (const e of REASONING_PROMPTS) expect(e.text).not.toMatch(/write (the|a|your) (code|program)/i);
    expect(getPrompt("instruction.naive-then-improve").text).toMatch(/last code block/);
  });

  it("get by id; an unknown id is an error naming it and the valid ids", () => {
    expect(getPrompt("reasoning.key-variables").category).toBe("reasoning");
    expect(() => getPrompt("reasoning.restat")).toThrowError(UnknownPromptError);
    expect(() => getPrompt("reasoning.restat")).toThrowError(
      /unknown prompt id 'reasoning\.restat'; valid ids: reasoning\.restate, .*instruction\.step-by-step/,
    );
    // Asking for a reasoning prompt with an instruction id lists only reasoning ids.
    expect(() => getPrompt("instruction.docstrings", "reasoning")).toThrowError(
      /unknown reasoning prompt id 'instruction\.docstrings'; valid ids: reasoning\.restate,/,
    );
  });

  it("the single-turn grid is 9 x 7 = 63 distinct pairs starting with the plain cell", () => {
    const grid = promptGrid();
    expect(grid).toHaveLength(63);
    expect(grid[0]).toEqual({ reasoning: null, instruction: null });
    expect(new Set(grid.map((g) => `${g.reasoning}|${g.instruction}`)).size).toBe(63);
  });
});

describe("turn steps (chain of thought)", () => {
  const problem = "Solve: print the sum.";

  it("without prompts a turn is its message alone", () => {
    const steps = turnSteps(problem);
    expect(steps).toEqual([
      { message: { role: "user", content: problem }, expectsCode: true, promptIds: [] },
    ]);
  });

  it("instruction only: one message, instruction appended", () => {
    const [step, ...rest] = turnSteps(problem, { instruction: ["instruction.docstrings"] });
    expect(rest).toHaveLength(0);
    expect(step!.message.content).toBe(`${problem}\n\n${getPrompt("instruction.docstrings").text}`);
    expect(step!.expectsCode).toBe(true);
  });

  it("two-step: reasoning with the turn's message, then instruction and the request for code", () => {
    const steps = turnSteps(problem, {
      reasoning: ["reasoning.explain-samples"],
      instruction: ["instruction.step-by-step"],
    });
    expect(steps).toHaveLength(2);
    expect(
      steps[0]!.message.content.startsWith(`${problem}\n\n${getPrompt("reasoning.explain-samples").text}`),
    ).toBe(true);
    expect(steps[0]!.message.content).toMatch(/do not write any code yet/);
    expect(steps[0]!.expectsCode).toBe(false);
    expect(steps[0]!.promptIds).toEqual(["reasoning.explain-samples"]);
    expect(steps[1]!.message.content.startsWith(getPrompt("instruction.step-by-step").text)).toBe(true);
    expect(steps[1]!.message.content).toMatch(/Now write the complete solution/);
    expect(steps[1]!.message.content).not.toContain(problem);
    expect(steps[1]!.expectsCode).toBe(true);
  });

  it("single-step: reasoning and instruction stacked in one numbered list", () => {
    const steps = turnSteps(problem, {
      reasoning: ["reasoning.restate"],
      instruction: ["instruction.double-check"],
      chain: "single-step",
    });
    expect(steps).toHaveLength(1);
    const c = steps[0]!.message.content;
    expect(c).toContain(`1. ${getPrompt("reasoning.restate").text}`);
    expect(c).toContain(`2. ${getPrompt("instruction.double-check").text}`);
    expect(c).toMatch(/analysis first, then the complete solution/);
    expect(steps[0]!.promptIds).toEqual(["reasoning.restate", "instruction.double-check"]);
  });

  it("unknown ids in a turn are rejected with the valid ones", () => {
    expect(() => turnSteps(problem, { reasoning: ["instruction.docstrings"] })).toThrowError(
      /unknown reasoning prompt id 'instruction\.docstrings'/,
    );
    expect(() => turnSteps(problem, { instruction: ["instruction.nope"] })).toThrowError(
      /valid ids: instruction\./,
    );
  });
});

describe("nextTurnStep drives a strategy through a turn", () => {
  const prompts = { reasoning: ["reasoning.restate"], instruction: ["instruction.helper-functions"] };

  it("walks two-step CoT on turn 1, then a plain feedback turn that repeats an earlier text", () => {
    const conversation: ChatMessage[] = [{ role: "system", content: "sys" }];
    const turn1 = { turnStart: 1, turnMessage: "PROBLEM", prompts };
    const s1 = nextTurnStep({ conversation, ...turn1 });
    expect(s1?.expectsCode).toBe(false);
    conversation.push(s1!.message);
    expect(() => nextTurnStep({ conversation, ...turn1 })).toThrowError(/awaits the model's answer/);
    conversation.push({ role: "assistant", content: "It asks for a sum." });
    const s2 = nextTurnStep({ conversation, ...turn1 });
    expect(s2?.expectsCode).toBe(true);
    conversation.push(s2!.message, { role: "assistant", content: "```python\nprint(1)\n```" });
    expect(nextTurnStep({ conversation, ...turn1 })).toBeNull();

    // Binary feedback is the same text every turn: the turn start tells the turns apart.
    for (const start of [5, 7]) {
      const turn = { turnStart: start, turnMessage: "Your code did not pass the public tests." };
      const s = nextTurnStep({ conversation, ...turn });
      expect(s?.message.content).toBe(turn.turnMessage);
      conversation.push(s!.message, { role: "assistant", content: "```python\nprint(2)\n```" });
      expect(nextTurnStep({ conversation, ...turn })).toBeNull();
    }
    expect(conversation).toHaveLength(9);
  });

  it("rejects a conversation that does not match the turn's steps", () => {
    const conversation: ChatMessage[] = [
      { role: "user", content: "something else" },
      { role: "assistant", content: "x" },
    ];
    expect(() => nextTurnStep({ conversation, turnStart: 0, turnMessage: "PROBLEM", prompts })).toThrowError(
      ConversationError,
    );
    expect(() => nextTurnStep({ conversation, turnStart: 5, turnMessage: "PROBLEM" })).toThrowError(
      /outside/,
    );
  });
});
