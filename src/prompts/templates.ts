import { INSTRUCTION_PROMPTS, REASONING_PROMPTS } from "./catalogue.js";
import { TemplateError, checkTemplate, renderTemplate } from "./template.js";

/**
 * Every piece of text codeloop sends to a model, by id. A run config overrides any of them with
 * a `PromptOverrides` object; the placeholders each template may use are fixed here, so an
 * override with a typo fails before the first request instead of reaching the model.
 */
export interface TemplateSpec {
  text: string;
  placeholders: readonly string[];
  /** What the template is for (documentation and error messages). */
  about: string;
}

/** id -> template string with `{placeholders}`; `{{` and `}}` are literal braces. */
export type PromptOverrides = Readonly<Record<string, string>>;

const VALUE = ["value"] as const;

const BASE: Record<string, TemplateSpec> = {
  system: {
    text: "You are an expert competitive programmer. You write correct, efficient code and follow the requested answer format exactly.",
    placeholders: [],
    about: "system message at the start of every conversation (an empty override sends none)",
  },

  "problem.statement": {
    text: "{statement}",
    placeholders: ["statement", "title"],
    about: "the problem statement section of the first user message",
  },
  "problem.task.program": {
    text:
      "Write a complete {language} program that solves this problem. It reads the input from " +
      "{input_source} and writes the answer to {output_target}, in exactly the format described, " +
      "printing nothing else.",
    placeholders: ["language", "input_source", "output_target"],
    about: "what to write, for stdin/stdout problems",
  },
  "problem.task.starter": {
    text:
      "Complete the {language} code below so that it solves the problem. Keep the given names " +
      "and signatures: your solution is called as `{entry_point}`.\n\n{starter_code}",
    placeholders: ["language", "entry_point", "starter_code"],
    about: "what to write, for function problems with starter code (HumanEval, LeetCode-style)",
  },
  "problem.task.function": {
    text: "Write a {language} function named `{entry_point}` that solves the problem.",
    placeholders: ["language", "entry_point"],
    about: "what to write, for function problems without starter code (MBPP)",
  },
  "problem.input.stdin": { text: "standard input", placeholders: [], about: "where a program reads from" },
  "problem.input.file": {
    text: "the file `{file}`",
    placeholders: ["file"],
    about: "where a program reads from when the problem names an input file",
  },
  "problem.output.stdout": { text: "standard output", placeholders: [], about: "where a program writes to" },
  "problem.output.file": {
    text: "the file `{file}`",
    placeholders: ["file"],
    about: "where a program writes to when the problem names an output file",
  },
  "problem.limits": {
    text: "Limits per test: {time_limit} s of CPU time and {memory_limit} MB of memory.",
    placeholders: ["time_limit", "memory_limit"],
    about: "time and memory limits (stdin/stdout problems)",
  },
  "problem.examples": {
    text: "Examples:\n\n{examples}",
    placeholders: ["examples", "count"],
    about: "the section listing the public tests",
  },
  "problem.example.stdio": {
    text: "Input:\n{input}\nOutput:\n{output}",
    placeholders: ["number", "input", "output"],
    about: "one stdin/stdout public test ({input} and {output} arrive fenced)",
  },
  "problem.example.call": {
    text: "{example}",
    placeholders: ["number", "example", "call", "expected"],
    about: "one function-call public test ({example} is a fenced `>>> call` / result pair)",
  },
  "problem.asserts": {
    text: "Your code should pass these tests:\n\n{examples}",
    placeholders: ["examples", "count"],
    about: "the section listing assert-style public tests (MBPP, HumanEval)",
  },
  "problem.example.assert": {
    text: "{script}",
    placeholders: ["number", "script"],
    about: "one assert-style public test ({script} arrives fenced)",
  },
  "problem.answer.program": {
    text: "Answer with the whole program in a single fenced code block (```{fence}).",
    placeholders: ["fence", "language"],
    about: "answer format, stdin/stdout problems",
  },
  "problem.answer.function": {
    text:
      "Answer with the complete code, including `{entry_point}` and any imports it needs, in a " +
      "single fenced code block (```{fence}). Do not read input or print anything at top level.",
    placeholders: ["fence", "language", "entry_point"],
    about: "answer format, function problems",
  },

  "chain.reasoning": {
    text: "{reasoning}\n\nAnswer in prose only for now; do not write any code yet.",
    placeholders: ["reasoning"],
    about: "two-step chain of thought, step 1: appended to the turn's message",
  },
  "chain.code": {
    text: "Now write the complete solution, building on your analysis above, in a single fenced code block.",
    placeholders: [],
    about: "two-step chain of thought, step 2 (after the instruction prompts, if any)",
  },
  "chain.single-step": {
    text: "{prompts}\n\nWrite this analysis first, then the complete solution in a single fenced code block.",
    placeholders: ["prompts"],
    about: "single-step chain of thought: reasoning (and instructions) in the turn's message",
  },

  "feedback.binary": {
    text: "Your code did not pass the public tests.",
    placeholders: [],
    about: "binary feedback: only that the public tests failed",
  },
  "feedback.passed": {
    text: "Your code passed all {total} public tests.",
    placeholders: ["total"],
    about: "feedback when every public test passed",
  },
  "feedback.failed-test": {
    text: "Here is the result of running your code on the public tests. The first test it failed:\n\n{tests}",
    placeholders: ["tests", "total"],
    about: "failed-test feedback: the first failing test",
  },
  "feedback.failed-tests": {
    text: "Here are the results of running your code on the public tests. {failed} of {total} failed:\n\n{tests}",
    placeholders: ["tests", "failed", "total", "passed"],
    about: "failed-tests feedback: every failing test",
  },
  "feedback.all-tests": {
    text: "Here are the results of running your code on the public tests ({passed} of {total} passed):\n\n{tests}",
    placeholders: ["tests", "failed", "total", "passed"],
    about: "failed + passed feedback: every public test with its outcome",
  },
  "feedback.trace": {
    text:
      "Here is the result of running your code on the public tests. The first test it failed:\n\n" +
      "{tests}\n\nExecution trace of that test (line, source, and the values of local variables " +
      "after each block of lines ran):\n\n{trace}",
    placeholders: ["tests", "trace", "total"],
    about: "trace feedback: a failing test and the trace of its run",
  },
  "feedback.trace.unavailable": {
    text: "Here is the result of running your code on the public tests. The first test it failed:\n\n{tests}",
    placeholders: ["tests", "total"],
    about: "trace feedback when no trace could be collected for the failing test",
  },
  "feedback.compile-error": {
    text: "Your code did not compile. Compiler output:\n{error}",
    placeholders: ["error"],
    about: "any non-binary feedback when compilation failed",
  },
  "feedback.no-code": {
    text: "Your answer did not contain any code, so nothing could be run.",
    placeholders: [],
    about: "feedback after an answer without code (the turn still counts)",
  },
  "feedback.more-tests": {
    text: "({count} more not shown)",
    placeholders: ["count"],
    about: "when more tests than the limit would be shown",
  },
  "feedback.retry": {
    text: "Try again: answer with the complete, corrected solution in a single fenced code block.",
    placeholders: [],
    about: "closing line of every feedback message",
  },
  "feedback.test": {
    text: "Test {number}: {status}\n{fields}",
    placeholders: ["number", "name", "status", "fields"],
    about: "one public test in feedback",
  },
  "feedback.field.input": { text: "Input:\n{value}", placeholders: VALUE, about: "stdin of a test (fenced)" },
  "feedback.field.expected-output": {
    text: "Expected output:\n{value}",
    placeholders: VALUE,
    about: "expected stdout (fenced)",
  },
  "feedback.field.actual-output": {
    text: "Your output:\n{value}",
    placeholders: VALUE,
    about: "the program's stdout (fenced)",
  },
  "feedback.field.call": { text: "Call:\n{value}", placeholders: VALUE, about: "function call (fenced)" },
  "feedback.field.expected-value": {
    text: "Expected return value:\n{value}",
    placeholders: VALUE,
    about: "expected return value, Python repr (fenced)",
  },
  "feedback.field.actual-value": {
    text: "Your return value:\n{value}",
    placeholders: VALUE,
    about: "returned value, Python repr (fenced)",
  },
  "feedback.field.test-code": {
    text: "Test code:\n{value}",
    placeholders: VALUE,
    about: "an assert-style test script (fenced)",
  },
  "feedback.field.error": {
    text: "Error output:\n{value}",
    placeholders: VALUE,
    about: "stderr / traceback (fenced)",
  },
  "feedback.field.note": {
    text: "Checker: {value}",
    placeholders: VALUE,
    about: "the judge's one-line reason",
  },
  "feedback.empty": { text: "(empty)", placeholders: [], about: "shown for an empty output" },
  "feedback.status.accepted": { text: "passed", placeholders: [], about: "test outcome" },
  "feedback.status.wrong_answer": { text: "wrong answer", placeholders: [], about: "test outcome" },
  "feedback.status.time_limit": {
    text: "timeout (the time limit of {time_limit} s was exceeded)",
    placeholders: ["time_limit"],
    about: "test outcome",
  },
  "feedback.status.memory_limit": {
    text: "memory limit exceeded ({memory_limit} MB)",
    placeholders: ["memory_limit"],
    about: "test outcome",
  },
  "feedback.status.runtime_error": { text: "runtime error", placeholders: [], about: "test outcome" },
  "feedback.status.compile_error": { text: "compilation error", placeholders: [], about: "test outcome" },
  "feedback.status.output_limit": { text: "output limit exceeded", placeholders: [], about: "test outcome" },
  "feedback.status.sandbox_error": {
    text: "could not be run (a failure of the test machine, not of your code)",
    placeholders: [],
    about: "test outcome",
  },
  "feedback.status.not_run": { text: "not run", placeholders: [], about: "test outcome" },
  "feedback.cut.chars": {
    text: "[... {count} characters cut ...]",
    placeholders: ["count"],
    about: "marker where a long text was cut",
  },
  "feedback.cut.lines": {
    text: "[... {count} lines cut ...]",
    placeholders: ["count"],
    about: "marker where a text with many lines was cut",
  },
  "trace.block": {
    text: "[{func}] lines {first}-{last}\n{lines}\n{state}",
    placeholders: ["func", "first", "last", "lines", "state", "number"],
    about: "one block of trace events",
  },
  "trace.state": { text: "  state: {vars}", placeholders: ["vars"], about: "variables after a block" },
  "trace.unchanged": {
    text: "  state: unchanged",
    placeholders: [],
    about: "no variable changed in a block",
  },
  "trace.gap": {
    text: "[... blocks cut: {blocks}, lines executed in them: {events} ...]",
    placeholders: ["blocks", "events"],
    about: "marker for blocks left out of a trace",
  },
  "trace.dropped": {
    text: "[... {events} lines executed, not traced ...]",
    placeholders: ["events"],
    about: "marker for events the tracer itself dropped",
  },
  "trace.outcome": {
    text: "The run ended: {outcome}",
    placeholders: ["outcome"],
    about: "how the traced run ended",
  },
};

function catalogueTemplates(): Record<string, TemplateSpec> {
  const out: Record<string, TemplateSpec> = {};
  for (const e of [...REASONING_PROMPTS, ...INSTRUCTION_PROMPTS]) {
    out[e.id] = { text: e.text, placeholders: ["language"], about: `${e.category} prompt: ${e.summary}` };
  }
  return out;
}

export const TEMPLATES: Readonly<Record<string, TemplateSpec>> = { ...BASE, ...catalogueTemplates() };

/** All template ids, sorted. */
export function templateIds(): string[] {
  return Object.keys(TEMPLATES).sort();
}

const checked = new WeakSet<object>();

/**
 * Checks an overrides object: every id must name a template and every placeholder must be one
 * that template offers. Call it where a run config is parsed; the render functions call it too.
 */
export function validateOverrides(overrides: PromptOverrides | undefined): void {
  if (!overrides || checked.has(overrides)) return;
  for (const [id, text] of Object.entries(overrides)) {
    const spec = TEMPLATES[id];
    if (!spec) {
      const prefix = id.split(".")[0] ?? "";
      const near = templateIds().filter((t) => t.startsWith(`${prefix}.`) || t === prefix);
      throw new TemplateError(
        `prompt override for unknown template '${id}'${near.length > 0 ? `; templates in that group: ${near.join(", ")}` : "; see docs/prompts.md for the template ids"}`,
      );
    }
    if (typeof text !== "string") throw new TemplateError(`prompt override '${id}' must be a string`);
    checkTemplate(id, text, spec.placeholders);
  }
  checked.add(overrides);
}

/** The text of a template, overridden or default (unrendered). */
export function templateText(id: string, overrides?: PromptOverrides): string {
  const spec = TEMPLATES[id];
  if (!spec) throw new TemplateError(`no template '${id}'`);
  validateOverrides(overrides);
  return overrides?.[id] ?? spec.text;
}

/** Renders template `id` (overridden or default) with `values`. */
export function render(
  id: string,
  values: Readonly<Record<string, string | number>>,
  overrides?: PromptOverrides,
): string {
  const spec = TEMPLATES[id];
  if (!spec) throw new TemplateError(`no template '${id}'`);
  return renderTemplate(id, templateText(id, overrides), values, spec.placeholders);
}

/** Joins non-empty paragraphs with a blank line, so an empty override removes its section cleanly. */
export function paragraphs(...parts: (string | undefined | null)[]): string {
  return parts.filter((p): p is string => typeof p === "string" && p.trim() !== "").join("\n\n");
}
