import type { JudgeSpec, Language, TestCase } from "../core/verdict.js";
import { JUDGE_VERSION } from "../judge/index.js";
import type { JudgeResult } from "../judge/index.js";
import { type Problem, allTests } from "../problems/index.js";
import { DEFAULT_LIMITS, type SandboxLimits } from "../sandbox/index.js";
import { hiddenTests, judgeTests } from "../strategies/judging.js";
import { problemLimits } from "../validate/validate.js";
import type { ServeContext } from "./context.js";
import { HttpError, badField, noUnknown, oneOf, optBool, optNumber, optStr, str, typeName } from "./http.js";

export const LANGUAGES: readonly Language[] = ["python", "cpp"];
const TEST_SETS = ["public", "hidden", "all"] as const;
type TestSet = (typeof TEST_SETS)[number];

/** Inline tests get Kattis's default comparison: tokens, case-sensitive, any whitespace. */
const INLINE_SPEC: JudgeSpec = {
  kind: "stdio",
  compare: { caseSensitive: true, spaceChangeSensitive: false },
};
/** At most this many inline tests per item. */
export const MAX_INLINE_TESTS = 1000;
const MESSAGE_CHARS = 500;

export interface JudgeItem {
  problem: Problem | null;
  spec: JudgeSpec | null;
  tests: TestCase[];
  /** How many of `tests` are the problem's public tests (they come first); messages are shown for those. */
  shownMessages: number;
  language: Language;
  code: string;
  limits: SandboxLimits;
  stopOnFirstFailure: boolean;
}

const FIELDS = [
  "problem",
  "tests",
  "language",
  "code",
  "tests_set",
  "stop_on_first_failure",
  "time_limit_sec",
  "memory_limit_mb",
];

/** Checks one judge request (or batch item, with `path` such as "items[3].") against the loaded problems. */
export function parseJudgeItem(o: unknown, ctx: ServeContext, path = ""): JudgeItem {
  if (o === null || typeof o !== "object" || Array.isArray(o)) {
    throw badField(path.replace(/\.$/, "") || "body", `must be an object, got ${typeName(o)}`);
  }
  const b = o as Record<string, unknown>;
  noUnknown(b, FIELDS, path);
  const language = oneOf(str(b, "language", `${path}language`), LANGUAGES, `${path}language`);
  const code = str(b, "code", `${path}code`);
  const problemId = b.problem === undefined ? null : b.problem;
  if (problemId !== null && typeof problemId !== "string") {
    throw badField(`${path}problem`, `must be a problem id (a string) or null, got ${typeName(problemId)}`);
  }
  const stopOnFirstFailure = optBool(b, "stop_on_first_failure", `${path}stop_on_first_failure`) ?? false;
  const timeSec = optNumber(b, "time_limit_sec", { min: 0.05, max: 60 }, `${path}time_limit_sec`);
  const memMb = optNumber(
    b,
    "memory_limit_mb",
    { min: 16, max: 8192, integer: true },
    `${path}memory_limit_mb`,
  );
  if (problemId !== null) {
    if (b.tests !== undefined) {
      throw badField(`${path}tests`, "give either a problem id or inline tests, not both");
    }
    const problem = ctx.problems.get(problemId);
    if (!problem) {
      throw new HttpError(
        404,
        ctx.problems.size === 0
          ? `${path}problem: no benchmark is loaded (start the server with --benchmark), so '${problemId}' is unknown`
          : `${path}problem: no problem '${problemId}' in the loaded benchmark (${ctx.problems.size} problems)`,
      );
    }
    const set = oneOf(
      optStr(b, "tests_set", `${path}tests_set`) ?? "all",
      TEST_SETS,
      `${path}tests_set`,
    ) as TestSet;
    const tests =
      set === "public"
        ? [...problem.tests.public]
        : set === "hidden"
          ? hiddenTests(problem)
          : allTests(problem);
    // allTests lists the public tests first; hiddenTests falls back to them when a problem has no others.
    const hiddenOnlyPublic =
      set === "hidden" && problem.tests.private.length + problem.tests.generated.length === 0;
    const shownMessages =
      set === "hidden" ? (hiddenOnlyPublic ? tests.length : 0) : problem.tests.public.length;
    if (tests.length === 0) throw badField(`${path}tests_set`, `problem '${problem.id}' has no ${set} tests`);
    if (language === "cpp" && tests.some((t) => t.kind !== "stdio")) {
      throw badField(
        `${path}language`,
        `problem '${problem.id}' is judged by calling a function: Python only`,
      );
    }
    const base = problemLimits(problem);
    return {
      problem,
      spec: null,
      tests,
      shownMessages,
      language,
      code,
      limits: {
        ...base,
        ...(timeSec ? { timeMs: Math.round(timeSec * 1000) } : {}),
        ...(memMb ? { memoryMb: memMb } : {}),
      },
      stopOnFirstFailure,
    };
  }
  if (b.tests_set !== undefined)
    throw badField(`${path}tests_set`, "only with a problem id (inline tests are judged as given)");
  if (!Array.isArray(b.tests) || b.tests.length === 0) {
    throw badField(`${path}tests`, "required without a problem: a non-empty array of {input, output}");
  }
  if (b.tests.length > MAX_INLINE_TESTS)
    throw badField(`${path}tests`, `at most ${MAX_INLINE_TESTS} tests, got ${b.tests.length}`);
  const tests: TestCase[] = b.tests.map((t: unknown, i: number) => {
    const p = `${path}tests[${i}]`;
    if (t === null || typeof t !== "object" || Array.isArray(t))
      throw badField(p, `must be an object {input, output}, got ${typeName(t)}`);
    const r = t as Record<string, unknown>;
    noUnknown(r, ["input", "output"], `${p}.`);
    return {
      kind: "stdio",
      name: `test-${i}`,
      input: str(r, "input", `${p}.input`),
      output: str(r, "output", `${p}.output`),
    };
  });
  return {
    problem: null,
    spec: INLINE_SPEC,
    tests,
    shownMessages: tests.length,
    language,
    code,
    limits: {
      ...DEFAULT_LIMITS,
      timeMs: Math.round((timeSec ?? 2) * 1000),
      memoryMb: memMb ?? DEFAULT_LIMITS.memoryMb,
    },
    stopOnFirstFailure,
  };
}

/** Judges one parsed item in a sandbox slot. */
export async function judgeItem(ctx: ServeContext, item: JudgeItem, admitted = false): Promise<JudgeResult> {
  const result = await ctx.limiter.run(async () => {
    if (item.problem) {
      return judgeTests(
        ctx.judge,
        item.problem,
        item.tests,
        item.code,
        item.language,
        item.limits,
        item.stopOnFirstFailure,
      );
    }
    return ctx.judge.judge(
      item.spec!,
      item.tests,
      { language: item.language, code: item.code },
      {
        limits: item.limits,
        stopOnFirstFailure: item.stopOnFirstFailure,
      },
    );
  }, admitted);
  ctx.metrics.judged(result.verdict, result.tests.length);
  return result;
}

function clip(s: string, n = MESSAGE_CHARS): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** The wire form of a judge result. Messages of hidden tests are withheld (they quote expected output). */
export function judgeResponse(item: JudgeItem, r: JudgeResult): Record<string, unknown> {
  return {
    verdict: r.verdict,
    passed: r.passed,
    total: r.total,
    tests: r.tests.map((t) => ({
      index: t.index,
      verdict: t.verdict,
      ...(t.message !== undefined && t.index < item.shownMessages ? { message: clip(t.message) } : {}),
      cpu_ms: Math.round(t.record.cpuMs),
      wall_ms: Math.round(t.record.wallMs),
    })),
    ...(r.compile
      ? { compile_message: clip(r.compile.stderr.trim() || r.compile.detail || "compilation failed", 4000) }
      : {}),
    judge_version: JUDGE_VERSION,
    infrastructure_failure: r.infrastructureFailure,
  };
}

/** Judge errors that are the request's fault (a language the problem cannot take) become 400s. */
export function asRequestError(err: unknown, path = ""): unknown {
  if (err instanceof HttpError) return err;
  const m = err instanceof Error ? err.message : String(err);
  if (/judged for Python submissions only|unsupported language/.test(m))
    return badField(`${path}language`, m);
  return err;
}
