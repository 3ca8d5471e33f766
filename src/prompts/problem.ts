import { type PyValue, pyRepr } from "../core/pyvalue.js";
import type { Language, TestCase } from "../core/verdict.js";
import type { Problem } from "../problems/types.js";
import { type PromptOverrides, paragraphs, render } from "./templates.js";
import { clipText, fenced, trimEndNewlines } from "./text.js";

export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = { python: "Python 3", cpp: "C++17" };
export const FENCE_TAGS: Readonly<Record<Language, string>> = { python: "python", cpp: "cpp" };

export interface FormatProblemOptions {
  /** Language of the solution; Python by default. C++ only for stdin/stdout problems. */
  language?: Language;
  /**
   * Which public tests to list as examples. "auto" (default): every public test, except
   * stdin/stdout tests whose input and output the statement already shows.
   */
  examples?: "auto" | "all" | "none";
  /** At most this many examples (default: all public tests). */
  maxExamples?: number;
  /** Characters per example input or output, cut head + tail beyond (default 4000). */
  maxExampleChars?: number;
  /** Show time and memory limits for stdin/stdout problems (default true). */
  showLimits?: boolean;
  overrides?: PromptOverrides;
}

/** How a problem is presented: a whole program, or code defining a function. */
export type ProblemStyle = "program" | "function";

export function problemStyle(problem: Problem): ProblemStyle {
  return problem.judge.kind === "stdio" ? "program" : "function";
}

/**
 * The function the model must define: the judge's entry point, else the one the loader recorded,
 * else the name the first public assert calls (MBPP).
 */
export function entryPointOf(problem: Problem): string | undefined {
  if (problem.judge.kind === "function") return problem.judge.entryPoint;
  const recorded = problem.metadata.extra?.entryPoint;
  if (typeof recorded === "string" && recorded) return recorded;
  for (const t of problem.tests.public) {
    if (t.kind !== "assert") continue;
    const m = /^\s*assert\s+(?:not\s+)?\(?\s*(?:math\.isclose\()?\s*([A-Za-z_]\w*)\s*\(/m.exec(t.script);
    if (m) return m[1];
  }
  return undefined;
}

/** Python source for calling the entry point: `f(1, 2)`, or `Solution().f(1, 2)` for a method. */
export function callSource(entryPoint: string, args: readonly PyValue[]): string {
  const dot = entryPoint.indexOf(".");
  const target = dot >= 0 ? `${entryPoint.slice(0, dot)}().${entryPoint.slice(dot + 1)}` : entryPoint;
  return `${target}(${args.map(pyRepr).join(", ")})`;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/**
 * Whether the statement already shows a stdin/stdout test: it has an examples section and the
 * test's input occurs in it with the output somewhere after. Tiny tests ("1" -> "3") would
 * otherwise be found in any statement that happens to mention those numbers.
 */
function shownInStatement(statement: string, t: TestCase): boolean {
  if (t.kind !== "stdio" || !/\b(?:examples?|samples?)\b/i.test(statement)) return false;
  const st = squash(statement);
  const input = squash(t.input);
  const output = squash(t.output);
  if (input === "" || output === "") return false;
  for (let at = st.indexOf(input); at >= 0; at = st.indexOf(input, at + 1)) {
    if (st.indexOf(output, at + input.length) >= 0) return true;
  }
  return false;
}

function renderExample(
  t: TestCase,
  number: number,
  entryPoint: string | undefined,
  maxChars: number,
  overrides?: PromptOverrides,
): string {
  const show = (s: string) => fenced(clipText(trimEndNewlines(s), { maxChars, maxLines: 0 }, overrides));
  switch (t.kind) {
    case "stdio":
      return render(
        "problem.example.stdio",
        { number, input: show(t.input), output: show(t.output) },
        overrides,
      );
    case "function": {
      const call = callSource(entryPoint ?? "solution", t.args);
      const expected = pyRepr(t.expected);
      return render(
        "problem.example.call",
        { number, call, expected, example: fenced(`>>> ${call}\n${expected}`, "python") },
        overrides,
      );
    }
    case "assert":
      return render(
        "problem.example.assert",
        { number, script: fenced(trimEndNewlines(t.script), "python") },
        overrides,
      );
  }
}

/**
 * The first user message of a trajectory: statement, what to write and how it is run, limits,
 * examples from the public tests, and the answer format. Only `problem.tests.public` is read;
 * hidden tests, reference solutions and pending expected outputs never reach a prompt.
 */
export function formatProblem(problem: Problem, options: FormatProblemOptions = {}): string {
  const o = options.overrides;
  const language = options.language ?? "python";
  const style = problemStyle(problem);
  if (style === "function" && language !== "python") {
    throw new Error(
      `problem ${problem.id} is judged by calling a Python function; it cannot be posed in '${language}'`,
    );
  }
  const languageName = LANGUAGE_NAMES[language];
  const fence = FENCE_TAGS[language];
  const entryPoint = entryPointOf(problem);
  // Trailing indentation (a cursor left inside the body) would only show as an empty line.
  const starter = problem.starterCode?.trim() ? problem.starterCode.replace(/\s+$/, "") : undefined;

  // HumanEval's statement is its starter code; showing both would repeat the whole prompt.
  const statementIsStarter = starter !== undefined && problem.statement.trim() === starter.trim();
  const statement = statementIsStarter
    ? ""
    : render("problem.statement", { statement: problem.statement.trim(), title: problem.title }, o);

  let task: string;
  let answer: string;
  let limits = "";
  if (style === "program") {
    const input = problem.metadata.inputFile
      ? render("problem.input.file", { file: problem.metadata.inputFile }, o)
      : render("problem.input.stdin", {}, o);
    const output = problem.metadata.outputFile
      ? render("problem.output.file", { file: problem.metadata.outputFile }, o)
      : render("problem.output.stdout", {}, o);
    task = render(
      "problem.task.program",
      { language: languageName, input_source: input, output_target: output },
      o,
    );
    if (options.showLimits ?? true) {
      limits = render(
        "problem.limits",
        { time_limit: problem.limits.timeLimitSec, memory_limit: problem.limits.memoryLimitMb },
        o,
      );
    }
    answer = render("problem.answer.program", { fence, language: languageName }, o);
  } else {
    if (!entryPoint) throw new Error(`problem ${problem.id}: no entry point to ask for`);
    task = starter
      ? render(
          "problem.task.starter",
          { language: languageName, entry_point: entryPoint, starter_code: fenced(starter, fence) },
          o,
        )
      : render("problem.task.function", { language: languageName, entry_point: entryPoint }, o);
    answer = render("problem.answer.function", { fence, language: languageName, entry_point: entryPoint }, o);
  }

  const mode = options.examples ?? "auto";
  let shown: TestCase[] = [];
  if (mode !== "none") {
    shown = problem.tests.public.filter((t) => mode === "all" || !shownInStatement(problem.statement, t));
    if (options.maxExamples !== undefined) shown = shown.slice(0, Math.max(0, options.maxExamples));
  }
  const examples =
    shown.length === 0
      ? ""
      : render(
          shown.every((t) => t.kind === "assert") ? "problem.asserts" : "problem.examples",
          {
            count: shown.length,
            examples: shown
              .map((t, i) => renderExample(t, i + 1, entryPoint, options.maxExampleChars ?? 4000, o))
              .join("\n\n"),
          },
          o,
        );

  return paragraphs(statement, task, limits, examples, answer);
}
