import { DEFAULT_COMPARE, type JudgeSpec, type OutputValidator, type TestCase } from "../../judge/types.js";
import { DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT_SEC, STDIO_COMPARE_NO_CHECKER } from "../defaults.js";
import { parseStatementExamples } from "../examples.js";
import { type RecordContext, describe, fail, optInt, optString, reqString, stringArray } from "../fields.js";
import { TESTLIB_MISSING, includesTestlib, testlibBeside, testlibFromEnv } from "../testlib.js";
import type { Limits, Problem, ReferenceSolution } from "../types.js";
import { CODECONTESTS_SOURCES, MULTI_ANSWER, codecontestsDifficulty } from "./codecontests.js";

/**
 * CodeContests+ (ByteDance-Seed/Code-Contests-Plus): CodeContests problems with generated test
 * cases and testlib checkers. One row per problem; see docs/benchmarks.md for the columns.
 */
export function isCodeContestsPlusRecord(keys: Set<string>): boolean {
  return (
    keys.has("id") &&
    keys.has("description") &&
    (keys.has("test_cases") || keys.has("checker") || keys.has("correct_submissions"))
  );
}

/**
 * Reference solutions kept per problem and verdict. The dataset has about a thousand per
 * problem (13 million in all): every one of them in memory, and run by `validate`, would cost
 * more than it tells. The counts are kept in metadata.extra.
 */
export const CCPLUS_SOLUTIONS_KEPT = 64;

/** Submission language codes of the dataset; Python 2 stays apart: it will not run as Python 3. */
const LANGUAGES: Record<string, string> = {
  py2: "python2",
  python2: "python2",
  py3: "python",
  python3: "python",
  python: "python",
  cpp: "cpp",
  "c++": "cpp",
  java: "java",
};

/** A list column: a parquet list (an array), or the same list as JSON text (JSONL exports). */
function listField(rec: Record<string, unknown>, field: string, ctx: RecordContext): unknown[] {
  let v = rec[field];
  if (v === undefined || v === null || v === "") return [];
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch (err) {
      fail(
        ctx,
        field,
        `expected a list or its JSON text: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  if (Array.isArray(v)) return v;
  // CodeContests' own layout, parallel lists in a struct: {input: [...], output: [...]}.
  if (v !== null && typeof v === "object") {
    const s = v as Record<string, unknown>;
    const keys = Object.keys(s);
    const lists = keys.map((k) => s[k]);
    if (keys.length > 0 && lists.every(Array.isArray)) {
      const n = (lists[0] as unknown[]).length;
      if (lists.some((l) => (l as unknown[]).length !== n)) {
        fail(ctx, field, `parallel lists of different lengths (${keys.join(", ")})`);
      }
      return Array.from({ length: n }, (_, i) =>
        Object.fromEntries(keys.map((k) => [k, (s[k] as unknown[])[i]])),
      );
    }
  }
  fail(ctx, field, `expected a list, got ${describe(v)}`);
}

function struct(item: unknown, field: string, ctx: RecordContext): Record<string, unknown> {
  if (item === null || typeof item !== "object" || Array.isArray(item)) {
    fail(ctx, field, `expected a struct, got ${describe(item)}`);
  }
  return item as Record<string, unknown>;
}

/** A string member of a list item, failing with the item's place (`test_cases[3].input`). */
function member(s: Record<string, unknown>, key: string, field: string, ctx: RecordContext): string {
  const v = s[key];
  if (typeof v !== "string") fail(ctx, `${field}.${key}`, `expected a string, got ${describe(v)}`);
  return v;
}

function testCases(rec: Record<string, unknown>, ctx: RecordContext): TestCase[] {
  return listField(rec, "test_cases", ctx).map((item, i) => {
    const t = struct(item, `test_cases[${i}]`, ctx);
    const input = member(t, "input", `test_cases[${i}]`, ctx);
    const output = member(t, "output", `test_cases[${i}]`, ctx);
    return { kind: "stdio", name: `test-${i}`, input, output };
  });
}

function submissions(
  rec: Record<string, unknown>,
  field: string,
  verdict: ReferenceSolution["verdict"],
  ctx: RecordContext,
): { kept: ReferenceSolution[]; total: number } {
  const all = listField(rec, field, ctx);
  const kept = all.slice(0, CCPLUS_SOLUTIONS_KEPT).map((item, i) => {
    const s = struct(item, `${field}[${i}]`, ctx);
    const code = member(s, "code", `${field}[${i}]`, ctx);
    const lang = s.language;
    const raw = typeof lang === "string" ? lang.trim().toLowerCase() : "unknown";
    return { language: LANGUAGES[raw] ?? (raw || "unknown"), code, verdict };
  });
  return { kept, total: all.length };
}

/** Milliseconds as the dataset writes them; a CodeContests-style {seconds, nanos} struct also works. */
function timeLimitSec(rec: Record<string, unknown>, ctx: RecordContext): number | undefined {
  const v = rec.time_limit;
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const t = v as Record<string, unknown>;
    const s = (optInt(t, "seconds", ctx) ?? 0) + (optInt(t, "nanos", ctx) ?? 0) / 1e9;
    return s > 0 ? s : undefined;
  }
  const ms = typeof v === "number" ? v : optInt(rec, "time_limit", ctx);
  return ms !== undefined && ms > 0 ? ms / 1000 : undefined;
}

/** Megabytes as the dataset writes them; a value in bytes (CodeContests style) is recognised by its size. */
function memoryLimitMb(rec: Record<string, unknown>, ctx: RecordContext): number | undefined {
  const v = rec.memory_limit;
  const mb = typeof v === "number" ? v : optInt(rec, "memory_limit", ctx);
  if (mb === undefined || !(mb > 0)) return undefined;
  return mb >= 1e5 ? Math.round(mb / 1e6) : mb;
}

function rate(rec: Record<string, unknown>, field: string): number | undefined {
  const v = rec[field];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** The testlib checker of a row, with testlib.h from the row, the dataset folder or CODELOOP_TESTLIB. */
function checkerOf(
  rec: Record<string, unknown>,
  ctx: RecordContext,
): { validator: OutputValidator; headerOrigin?: string; missingHeader: boolean } | undefined {
  const source = optString(rec, "checker", ctx);
  if (source === undefined || source.trim() === "") return undefined;
  const validator: OutputValidator = {
    protocol: "testlib",
    language: "cpp",
    sources: [{ path: "checker.cpp", content: source }],
    flags: [],
  };
  if (!includesTestlib(source)) return { validator, missingHeader: false };
  const column = optString(rec, "testlib", ctx) ?? optString(rec, "testlib_h", ctx);
  // The dataset's own copy first (its checkers were written against it), then the user's.
  const header =
    column && column.trim() !== ""
      ? { content: column, origin: "the row's testlib column" }
      : (testlibBeside(ctx.file) ?? testlibFromEnv());
  if (!header) return { validator, missingHeader: true };
  validator.sources.push({ path: "testlib.h", content: header.content });
  return { validator, headerOrigin: header.origin, missingHeader: false };
}

/** Codeforces ids are "<contest>_<index>" ("847_J"). */
function codeforcesUrl(id: string, source: string): string | undefined {
  const m = /^(\d+)_([A-Z]\d?)$/.exec(id);
  return source === "Codeforces" && m
    ? `https://codeforces.com/problemset/problem/${m[1]}/${m[2]}`
    : undefined;
}

export function codecontestsPlusProblem(
  rec: Record<string, unknown>,
  ctx: RecordContext,
  split: string,
): Problem {
  const rawId = rec.id;
  const id =
    typeof rawId === "number" || typeof rawId === "bigint" ? String(rawId) : reqString(rec, "id", ctx);
  const description = reqString(rec, "description", ctx);
  const sourceRaw = rec.source;
  const source =
    typeof sourceRaw === "string"
      ? sourceRaw
      : sourceRaw === undefined || sourceRaw === null
        ? undefined
        : (CODECONTESTS_SOURCES[optInt(rec, "source", ctx) ?? 0] ?? "unknown");
  const title = optString(rec, "title", ctx)?.trim() || id;
  const warnings: string[] = [];

  const tl = timeLimitSec(rec, ctx);
  const mem = memoryLimitMb(rec, ctx);
  const limits: Limits = {
    timeLimitSec: tl ?? DEFAULT_TIME_LIMIT_SEC,
    memoryLimitMb: mem ?? DEFAULT_MEMORY_LIMIT_MB,
    timeLimitOrigin: tl !== undefined ? "dataset" : "default",
  };

  // Public: the statement's examples, which the model reads anyway. Hidden: test_cases.
  const examples = parseStatementExamples(description);
  const publicTests: TestCase[] = (examples ?? []).map((e, i) => ({
    kind: "stdio",
    name: `example-${i}`,
    input: e.input,
    output: e.output,
  }));
  if (!examples) warnings.push("no examples found in the statement: the problem has no public tests");
  const hidden = testCases(rec, ctx);
  if (hidden.length === 0) {
    warnings.push("test_cases is empty: submissions are graded on the statement's examples only");
  }

  const checker = checkerOf(rec, ctx);
  let judge: JudgeSpec;
  let unjudgeable: string | undefined;
  if (checker) {
    judge = { kind: "stdio", compare: DEFAULT_COMPARE, validator: checker.validator };
    if (checker.missingHeader) {
      warnings.push(TESTLIB_MISSING);
      unjudgeable = TESTLIB_MISSING;
    }
  } else {
    judge = { kind: "stdio", compare: STDIO_COMPARE_NO_CHECKER };
    if (MULTI_ANSWER.test(description)) {
      warnings.push(
        "statement allows several correct outputs but the row has no checker: correct programs may fail",
      );
    }
  }

  const correct = submissions(rec, "correct_submissions", "accepted", ctx);
  const incorrect = submissions(rec, "incorrect_submissions", "incorrect", ctx);
  const rating = optInt(rec, "rating", ctx) ?? optInt(rec, "cf_rating", ctx);
  const tags = stringArray(rec.tags ?? rec.cf_tags, "tags", ctx).filter((t) => t !== "");

  return {
    id,
    benchmark: "codecontests-plus",
    split,
    title,
    statement: description,
    judge,
    extraJudges: [],
    tests: { public: publicTests, private: hidden, generated: [] },
    limits,
    metadata: {
      difficulty: codecontestsDifficulty(undefined, rating),
      rating: rating && rating > 0 ? rating : undefined,
      tags,
      source,
      url: source ? codeforcesUrl(id, source) : undefined,
      ...(unjudgeable ? { unjudgeable } : {}),
      extra: {
        checker: checker ? true : undefined,
        testlibHeader: checker?.headerOrigin,
        truePositiveRate: rate(rec, "true_positive_rate"),
        trueNegativeRate: rate(rec, "true_negative_rate"),
        correctSubmissions: correct.total,
        incorrectSubmissions: incorrect.total,
      },
    },
    solutions: [...correct.kept, ...incorrect.kept],
    warnings,
    origin: { file: ctx.file, row: ctx.row },
  };
}
