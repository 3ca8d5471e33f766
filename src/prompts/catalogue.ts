/**
 * The chain-of-thought prompt space of method.md: reasoning prompts (answered in prose before
 * any code) and instruction prompts (shaping how the code is written). The texts are our own;
 * the ids are stable because run configs, stored trajectories and reports refer to them.
 */

export type PromptCategory = "reasoning" | "instruction";

export interface CatalogueEntry {
  id: string;
  category: PromptCategory;
  /** One line saying what the prompt asks for (for listings and reports). */
  summary: string;
  /** The default text; a run config may override it under the same id. */
  text: string;
}

export const REASONING_PROMPTS: readonly CatalogueEntry[] = [
  {
    id: "reasoning.restate",
    category: "reasoning",
    summary: "restate the problem in your own words",
    text:
      "Before solving anything, put the problem in your own words: what the input consists of, " +
      "what has to be computed, and which constraints shape the solution.",
  },
  {
    id: "reasoning.explain-samples",
    category: "reasoning",
    summary: "explain why each sample output follows from its input",
    text:
      "Work through the examples one at a time. For each, show how the expected output is " +
      "obtained from the given input, so that the rules of the problem are unambiguous.",
  },
  {
    id: "reasoning.algorithm-tags",
    category: "reasoning",
    summary: "name the algorithm categories that apply",
    text:
      "Which kinds of algorithms or techniques does this problem call for (for instance greedy " +
      "choice, dynamic programming, graph search, number theory, sorting, binary search, string " +
      "processing, a particular data structure)? Name the ones that fit and give a reason for each.",
  },
  {
    id: "reasoning.difficulty-edge-cases",
    category: "reasoning",
    summary: "judge the difficulty and list the hard edge cases",
    text:
      "How difficult is this problem, and what makes it so? List the edge cases and tricky " +
      "inputs a correct solution has to get right (smallest and largest sizes, equal values, " +
      "empty or degenerate cases, overflow and precision).",
  },
  {
    id: "reasoning.naive-then-improve",
    category: "reasoning",
    summary: "describe a naive solution in prose, then how to improve it",
    text:
      "Describe in words, without code, the most direct correct approach you can think of and " +
      "its running time. Then explain what makes it too slow or too memory-hungry for the " +
      "limits, and how to change it so that it fits.",
  },
  {
    id: "reasoning.several-approaches",
    category: "reasoning",
    summary: "propose several different approaches",
    text:
      "Come up with three genuinely different ways to attack this problem. Sketch each idea and " +
      "its complexity, compare them, and say which one you would implement and why.",
  },
  {
    id: "reasoning.helper-signatures",
    category: "reasoning",
    summary: "list the helper functions needed, with signatures and docstrings only",
    text:
      "Plan the program as a set of helper functions. For each one give only its signature and " +
      "a docstring stating its inputs, its result and its role; leave the bodies out.",
  },
  {
    id: "reasoning.key-variables",
    category: "reasoning",
    summary: "list the key intermediate variables with types and purpose",
    text:
      "Which intermediate variables and data structures will the solution rely on? For each, " +
      "give a name, its type, and what it holds at each stage of the computation.",
  },
];

export const INSTRUCTION_PROMPTS: readonly CatalogueEntry[] = [
  {
    id: "instruction.helper-functions",
    category: "instruction",
    summary: "split the code into well-named helper functions",
    text:
      "Structure the code as small helper functions, each with a descriptive name and a single " +
      "job, plus a short main part that ties them together.",
  },
  {
    id: "instruction.double-check",
    category: "instruction",
    summary: "double-check imports, initialisation and constraints",
    text:
      "Review the code before you finish: every module you use is imported, every variable is " +
      "initialised before it is read, the input is parsed exactly as described, and the " +
      "constraints of the statement (sizes, value ranges, limits) are respected.",
  },
  {
    id: "instruction.comment-lines",
    category: "instruction",
    summary: "comment every line",
    text: "Put a brief comment on every line of code saying what that line does.",
  },
  {
    id: "instruction.docstrings",
    category: "instruction",
    summary: "give every function a docstring",
    text: "Give every function a docstring that states what it does, its parameters and what it returns.",
  },
  {
    id: "instruction.naive-then-improve",
    category: "instruction",
    summary: "write a naive solution, name its weakness, then an improved one",
    text:
      "First write a plain solution that is clearly correct, even if slow. Then say what its " +
      "weakness is and write an improved version that removes it. The improved version must be " +
      "the last code block of your answer.",
  },
  {
    id: "instruction.step-by-step",
    category: "instruction",
    summary: "lay out the algorithm step by step, then code it",
    text:
      "Write the algorithm down as a numbered list of steps first, then implement it, following " +
      "the steps in order.",
  },
];

const ALL: readonly CatalogueEntry[] = [...REASONING_PROMPTS, ...INSTRUCTION_PROMPTS];

export class UnknownPromptError extends Error {
  override name = "UnknownPromptError";
}

/** Catalogue entries, optionally of one category, in catalogue order. */
export function listPrompts(category?: PromptCategory): CatalogueEntry[] {
  return ALL.filter((e) => category === undefined || e.category === category);
}

/** The entry with this id; an unknown id is an error that lists the valid ones. */
export function getPrompt(id: string, category?: PromptCategory): CatalogueEntry {
  const pool = listPrompts(category);
  const found = pool.find((e) => e.id === id);
  if (!found) {
    const kind = category ? `${category} prompt` : "prompt";
    throw new UnknownPromptError(
      `unknown ${kind} id '${id}'; valid ids: ${pool.map((e) => e.id).join(", ")}`,
    );
  }
  return found;
}

export interface PromptPair {
  reasoning: string | null;
  instruction: string | null;
}

/**
 * The single-turn grid of method.md: every (reasoning or none) x (instruction or none) pair,
 * 9 x 7 = 63 with the full catalogue, starting with the plain (none, none) cell.
 */
export function promptGrid(): PromptPair[] {
  const rs = [null, ...REASONING_PROMPTS.map((e) => e.id)];
  const is = [null, ...INSTRUCTION_PROMPTS.map((e) => e.id)];
  return rs.flatMap((reasoning) => is.map((instruction) => ({ reasoning, instruction })));
}
