import { pyRepr, pyReprClipped } from "../core/pyvalue.js";
import type { TestCase } from "../core/verdict.js";
import type { JudgeResult, TestVerdict } from "../judge/judge.js";
import type { Problem } from "../problems/types.js";
import type { RunRecord } from "../sandbox/types.js";
import { callSource, entryPointOf } from "./problem.js";
import { type PromptOverrides, paragraphs, render } from "./templates.js";
import { type ClipLimits, clipText, fenced, trimEndNewlines } from "./text.js";
import { type ExecutionTrace, type TraceLimits, renderTrace } from "./trace.js";

/** Execution feedback, coarse to fine (method.md). */
export type FeedbackKind = "binary" | "failed-test" | "failed-tests" | "all-tests" | "trace";

export const FEEDBACK_KINDS: readonly FeedbackKind[] = [
  "binary",
  "failed-test",
  "failed-tests",
  "all-tests",
  "trace",
];

export interface FeedbackInput {
  /** The problem's public tests, in order. Hidden tests must never be passed here. */
  tests: readonly TestCase[];
  /** Judge outcomes on those tests (`index` points into `tests`); a test without one was not run. */
  results: readonly TestVerdict[];
  /** The compiler's record when the code did not compile. */
  compile?: RunRecord;
  /** Entry point, for showing function-call tests as calls. */
  entryPoint?: string;
  /** Shown in timeout and memory texts. */
  timeLimitSec?: number;
  memoryLimitMb?: number;
  /** For `trace` feedback: the trace of a failing public test. */
  trace?: ExecutionTrace;
}

export interface FeedbackLimits extends TraceLimits {
  /** Characters per shown field (input, expected, output, traceback), cut head + tail. */
  fieldChars: number;
  /** Lines per shown field, cut head + tail. */
  fieldLines: number;
  /** Tests shown by `failed-tests` and `all-tests`. */
  maxTests: number;
}

export const DEFAULT_FEEDBACK_LIMITS: FeedbackLimits = {
  fieldChars: 1500,
  fieldLines: 40,
  maxTests: 5,
  headBlocks: 3,
  tailBlocks: 3,
  valueChars: 80,
  maxVars: 12,
  blockLines: 12,
};

/** Builds the feedback input for a problem's public tests from the judge's result on them. */
export function feedbackInput(problem: Problem, result: JudgeResult, trace?: ExecutionTrace): FeedbackInput {
  if (result.total !== problem.tests.public.length) {
    throw new Error(
      `feedback is built from the public tests: the judge result covers ${result.total} tests, problem ${problem.id} has ${problem.tests.public.length} public tests`,
    );
  }
  // Hidden tests can be as many as the public ones; their names still differ ("secret/1",
  // "test-0"), and a hidden test's message (a checker's "expected 5, found 4") must never
  // reach the model.
  for (const v of result.tests) {
    const t = problem.tests.public[v.index];
    if (v.name !== undefined && t?.name !== v.name) {
      throw new Error(
        `feedback is built from the public tests: result for test ${JSON.stringify(v.name)} is not public test ${v.index} of problem ${problem.id}`,
      );
    }
  }
  return {
    tests: problem.tests.public,
    results: result.tests,
    compile: result.compile,
    entryPoint: entryPointOf(problem),
    timeLimitSec: problem.limits.timeLimitSec,
    memoryLimitMb: problem.limits.memoryLimitMb,
    trace,
  };
}

interface Ctx {
  input: FeedbackInput;
  limits: FeedbackLimits;
  o?: PromptOverrides;
}

function clip(ctx: Ctx, text: string): string {
  const limits: ClipLimits = { maxChars: ctx.limits.fieldChars, maxLines: ctx.limits.fieldLines };
  const body = trimEndNewlines(text);
  return fenced(body === "" ? render("feedback.empty", {}, ctx.o) : clipText(body, limits, ctx.o));
}

function statusText(ctx: Ctx, v: TestVerdict | undefined): string {
  if (!v) return render("feedback.status.not_run", {}, ctx.o);
  switch (v.verdict) {
    case "time_limit":
      return render("feedback.status.time_limit", { time_limit: ctx.input.timeLimitSec ?? "?" }, ctx.o);
    case "memory_limit":
      return render("feedback.status.memory_limit", { memory_limit: ctx.input.memoryLimitMb ?? "?" }, ctx.o);
    default:
      return render(`feedback.status.${v.verdict}`, {}, ctx.o);
  }
}

/**
 * The error text of a failed run: its stderr (the traceback), else, for a crash or a failed
 * assert, the judge's one-line reason. Limit verdicts without stderr have nothing to add to
 * their status line.
 */
function errorText(v: TestVerdict): string | undefined {
  if (v.record.stderr.trim()) return v.record.stderr;
  return v.verdict === "runtime_error" || v.verdict === "wrong_answer" ? v.message : undefined;
}

function renderTest(ctx: Ctx, index: number): string {
  const test = ctx.input.tests[index]!;
  const v = ctx.input.results.find((r) => r.index === index);
  const o = ctx.o;
  const fields: string[] = [];
  const failed = v !== undefined && v.verdict !== "accepted";
  const crashed = failed && v.verdict !== "wrong_answer";
  switch (test.kind) {
    case "stdio":
      fields.push(render("feedback.field.input", { value: clip(ctx, test.input) }, o));
      fields.push(render("feedback.field.expected-output", { value: clip(ctx, test.output) }, o));
      // After a crash the partial output only matters when there is some.
      if (v && failed && (!crashed || v.record.stdout.trim() !== "")) {
        fields.push(render("feedback.field.actual-output", { value: clip(ctx, v.record.stdout) }, o));
      }
      if (v?.verdict === "wrong_answer" && v.message) {
        fields.push(render("feedback.field.note", { value: v.message }, o));
      }
      break;
    case "function": {
      fields.push(
        render(
          "feedback.field.call",
          { value: clip(ctx, callSource(ctx.input.entryPoint ?? "solution", test.args)) },
          o,
        ),
      );
      fields.push(render("feedback.field.expected-value", { value: clip(ctx, pyRepr(test.expected)) }, o));
      // The judge keeps a clipped repr of what was returned, not the value itself.
      const returned =
        v?.record.returnRepr ?? (v?.record.returnValue && pyReprClipped(v.record.returnValue, 4000));
      if (v && failed && returned) {
        fields.push(render("feedback.field.actual-value", { value: clip(ctx, returned) }, o));
      }
      break;
    }
    case "assert":
      fields.push(render("feedback.field.test-code", { value: clip(ctx, test.script) }, o));
      break;
  }
  const err = v && failed ? errorText(v) : undefined;
  // A wrong answer's message restates expected vs actual, already shown above; a failed
  // assert has nothing else to show, so its traceback (or reason) is the evidence.
  if (err && (crashed || test.kind === "assert")) {
    fields.push(render("feedback.field.error", { value: clip(ctx, err) }, o));
  }
  return render(
    "feedback.test",
    { number: index + 1, name: test.name ?? "", status: statusText(ctx, v), fields: fields.join("\n") },
    o,
  );
}

function failingIndices(input: FeedbackInput): number[] {
  return [...input.results]
    .filter((r) => r.verdict !== "accepted")
    .map((r) => r.index)
    .sort((a, b) => a - b);
}

/**
 * Which tests `all-tests` shows when there are more than the limit: the failing ones first (they
 * carry the information), then passed ones, listed in test order; the rest are counted.
 */
function allTestsOrder(input: FeedbackInput, failing: number[], maxTests: number): number[] {
  const all = input.tests.map((_, i) => i);
  const cap = Math.max(1, maxTests);
  if (all.length <= cap) return all;
  const others = all.filter((i) => !failing.includes(i));
  const chosen = [...failing, ...others].slice(0, cap).sort((a, b) => a - b);
  return [...chosen, ...all.filter((i) => !chosen.includes(i))];
}

function testList(ctx: Ctx, indices: number[]): string {
  const shown = indices.slice(0, Math.max(1, ctx.limits.maxTests));
  const parts = shown.map((i) => renderTest(ctx, i));
  if (indices.length > shown.length) {
    parts.push(render("feedback.more-tests", { count: indices.length - shown.length }, ctx.o));
  }
  return parts.join("\n\n");
}

/**
 * The feedback message after a turn whose code was judged on the public tests. Wording is
 * neutral: it reports what happened and asks for another attempt, never what to focus on.
 */
export function renderFeedback(
  kind: FeedbackKind,
  input: FeedbackInput,
  limits: Partial<FeedbackLimits> = {},
  overrides?: PromptOverrides,
): string {
  if (!FEEDBACK_KINDS.includes(kind)) {
    throw new Error(`unknown feedback kind '${kind}'; valid kinds: ${FEEDBACK_KINDS.join(", ")}`);
  }
  for (const r of input.results) {
    if (!input.tests[r.index]) {
      throw new Error(
        `judge result for test ${r.index}, but only ${input.tests.length} public tests were given`,
      );
    }
  }
  const ctx: Ctx = { input, limits: { ...DEFAULT_FEEDBACK_LIMITS, ...limits }, o: overrides };
  const o = overrides;
  const retry = render("feedback.retry", {}, o);
  const total = input.tests.length;
  const failing = failingIndices(input);

  if (!input.compile && failing.length === 0) {
    const allRun = input.tests.every((_, i) => input.results.some((r) => r.index === i));
    if (allRun) return render("feedback.passed", { total }, o);
  }
  if (kind === "binary") return paragraphs(render("feedback.binary", {}, o), retry);
  if (input.compile) {
    const error = clip(
      ctx,
      input.compile.stderr.trim() ? input.compile.stderr : (input.compile.detail ?? ""),
    );
    return paragraphs(render("feedback.compile-error", { error }, o), retry);
  }
  if (failing.length === 0) {
    // Only a partial run without a failure: nothing failed that could be shown.
    return paragraphs(render("feedback.binary", {}, o), retry);
  }
  const passed = input.results.filter((r) => r.verdict === "accepted").length;
  switch (kind) {
    case "failed-test":
      return paragraphs(
        render("feedback.failed-test", { tests: renderTest(ctx, failing[0]!), total }, o),
        retry,
      );
    case "failed-tests":
      return paragraphs(
        render(
          "feedback.failed-tests",
          { tests: testList(ctx, failing), failed: failing.length, total, passed },
          o,
        ),
        retry,
      );
    case "all-tests":
      return paragraphs(
        render(
          "feedback.all-tests",
          {
            tests: testList(ctx, allTestsOrder(input, failing, ctx.limits.maxTests)),
            failed: failing.length,
            total,
            passed,
          },
          o,
        ),
        retry,
      );
    case "trace": {
      const trace = input.trace;
      const traced = trace && failing.includes(trace.testIndex) ? trace.testIndex : undefined;
      if (!trace || traced === undefined || trace.events.length === 0) {
        return paragraphs(
          render("feedback.trace.unavailable", { tests: renderTest(ctx, failing[0]!), total }, o),
          retry,
        );
      }
      return paragraphs(
        render(
          "feedback.trace",
          { tests: renderTest(ctx, traced), trace: renderTrace(trace, ctx.limits, o), total },
          o,
        ),
        retry,
      );
    }
  }
}

/** Feedback after an answer that contained no code: the turn is spent, the model is told why. */
export function renderNoCodeFeedback(overrides?: PromptOverrides): string {
  return paragraphs(render("feedback.no-code", {}, overrides), render("feedback.retry", {}, overrides));
}
