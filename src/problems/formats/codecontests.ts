import type { TestCase } from "../../judge/types.js";
import { DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT_SEC, STDIO_COMPARE_NO_CHECKER } from "../defaults.js";
import { type RecordContext, fail, optInt, optString, reqString, stringArray } from "../fields.js";
import type { Difficulty, Limits, Problem, ReferenceSolution } from "../types.js";

export const CODECONTESTS_SOURCES = [
  "unknown",
  "CodeChef",
  "Codeforces",
  "HackerEarth",
  "CodeJam",
  "AtCoder",
  "Aizu",
] as const;

/** Language enum of `solutions.language`; Python 2 stays distinct because it will not run as Python 3. */
export const CODECONTESTS_LANGUAGES = ["unknown", "python2", "cpp", "python", "java"] as const;

/** Phrases by which statements allow several answers (judging.md: flag, do not silently fail). */
export const MULTI_ANSWER =
  /\b(print|output) any\b|\bany of them\b|\bif there (are|is) (several|multiple|many)\b|\bmultiple (possible |correct |valid )?(answers|solutions)\b/i;

const DIFFICULTY_NAMES = ["unknown", "easy", "medium", "hard", "harder", "hardest", "external"];

/** Raw difficulty code -> label: 0-6 named levels, 7.. Codeforces problem letters A.. V. */
export function codecontestsDifficultyLabel(code: number): string {
  if (code >= 7 && code <= 28) return String.fromCharCode("A".charCodeAt(0) + code - 7);
  return DIFFICULTY_NAMES[code] ?? `code ${code}`;
}

/**
 * Normalised difficulty. The Codeforces rating wins when present (<=1300 easy, <=2000 medium);
 * otherwise the letter (A-B easy, C-D medium, E+ hard) or the named level.
 */
export function codecontestsDifficulty(code: number | undefined, rating: number | undefined): Difficulty {
  if (rating !== undefined && rating > 0) return rating <= 1300 ? "easy" : rating <= 2000 ? "medium" : "hard";
  if (code === undefined) return "unknown";
  if (code >= 7 && code <= 28) return code <= 8 ? "easy" : code <= 10 ? "medium" : "hard";
  if (code === 1) return "easy";
  if (code === 2) return "medium";
  if (code >= 3 && code <= 5) return "hard";
  return "unknown";
}

/** Split from a Hub file name: `data/train-00003-of-00039-<hash>.parquet` -> "train". */
export function codecontestsSplitFromFile(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  const m = /^(train|valid|validation|test)[-_.]/.exec(base);
  return m ? m[1]! : "train";
}

function tests(rec: Record<string, unknown>, field: string, ctx: RecordContext, prefix: string): TestCase[] {
  const v = rec[field];
  if (v === undefined || v === null) return [];
  if (typeof v !== "object") fail(ctx, field, "expected a struct {input, output}");
  const s = v as Record<string, unknown>;
  const inputs = stringArray(s.input, `${field}.input`, ctx);
  const outputs = stringArray(s.output, `${field}.output`, ctx);
  if (inputs.length !== outputs.length) {
    fail(ctx, field, `input has ${inputs.length} entries but output has ${outputs.length}`);
  }
  return inputs.map((input, i) => ({ kind: "stdio", name: `${prefix}-${i}`, input, output: outputs[i]! }));
}

function solutions(
  rec: Record<string, unknown>,
  field: string,
  ctx: RecordContext,
  verdict: ReferenceSolution["verdict"],
): ReferenceSolution[] {
  const v = rec[field];
  if (v === undefined || v === null) return [];
  if (typeof v !== "object") fail(ctx, field, "expected a struct {language, solution}");
  const s = v as Record<string, unknown>;
  const langs = Array.isArray(s.language) ? s.language : [];
  const codes = stringArray(s.solution, `${field}.solution`, ctx);
  if (langs.length !== codes.length) {
    fail(ctx, field, `language has ${langs.length} entries but solution has ${codes.length}`);
  }
  return codes.map((code, i) => {
    const n = Number(langs[i]);
    const language = CODECONTESTS_LANGUAGES[n] ?? "unknown";
    return { language, code, verdict };
  });
}

export function codecontestsProblem(
  rec: Record<string, unknown>,
  ctx: RecordContext,
  split: string,
): Problem {
  const name = reqString(rec, "name", ctx);
  const sourceCode = optInt(rec, "source", ctx) ?? 0;
  const diffCode = optInt(rec, "difficulty", ctx);
  const rating = optInt(rec, "cf_rating", ctx);
  const contestId = optInt(rec, "cf_contest_id", ctx);
  const cfIndex = optString(rec, "cf_index", ctx) ?? "";
  const source = CODECONTESTS_SOURCES[sourceCode] ?? `source ${sourceCode}`;

  const warnings: string[] = [];
  let timeLimitSec = DEFAULT_TIME_LIMIT_SEC;
  let timeLimitOrigin: Limits["timeLimitOrigin"] = "default";
  const tl = rec.time_limit;
  if (tl !== null && tl !== undefined) {
    if (typeof tl !== "object") fail(ctx, "time_limit", "expected a struct {seconds, nanos}");
    const t = tl as Record<string, unknown>;
    const seconds = optInt(t, "seconds", { ...ctx }) ?? 0;
    const nanos = optInt(t, "nanos", { ...ctx }) ?? 0;
    const total = seconds + nanos / 1e9;
    if (total > 0) {
      timeLimitSec = total;
      timeLimitOrigin = "dataset";
    }
  }
  // The dataset writes "256 megabytes" as 256000000 bytes, so divide by 10^6, not 2^20.
  const memBytes = optInt(rec, "memory_limit_bytes", ctx);
  const memoryLimitMb = memBytes && memBytes > 0 ? Math.round(memBytes / 1e6) : DEFAULT_MEMORY_LIMIT_MB;

  const inputFile = optString(rec, "input_file", ctx) || undefined;
  const outputFile = optString(rec, "output_file", ctx) || undefined;
  if (inputFile || outputFile) {
    warnings.push(
      `reads ${inputFile ?? "stdin"} and writes ${outputFile ?? "stdout"} instead of stdin/stdout`,
    );
  }
  const description = reqString(rec, "description", ctx);
  if (/\binteractive\b/i.test(description) && /\bflush\b/i.test(description)) {
    warnings.push(
      "looks interactive (statement mentions flushing output): plain output comparison cannot judge it",
    );
  }
  const multipleAnswers = MULTI_ANSWER.test(description);
  if (multipleAnswers) {
    warnings.push(
      "statement allows several correct outputs but the dataset has no checker: correct programs may fail",
    );
  }

  const title = name.replace(/^[^\s.]+\.\s+/, "");
  const url =
    source === "Codeforces" && contestId && cfIndex
      ? `https://codeforces.com/problemset/problem/${contestId}/${cfIndex}`
      : undefined;
  const tags = stringArray(rec.cf_tags, "cf_tags", ctx).filter((t) => t !== "");

  return {
    id: name,
    benchmark: "codecontests",
    split,
    title,
    statement: description,
    judge: { kind: "stdio", compare: STDIO_COMPARE_NO_CHECKER },
    extraJudges: [],
    tests: {
      public: tests(rec, "public_tests", ctx, "public"),
      private: tests(rec, "private_tests", ctx, "private"),
      generated: tests(rec, "generated_tests", ctx, "generated"),
    },
    limits: { timeLimitSec, memoryLimitMb, timeLimitOrigin },
    metadata: {
      difficulty: codecontestsDifficulty(diffCode, rating),
      difficultyRaw: diffCode === undefined ? undefined : codecontestsDifficultyLabel(diffCode),
      rating: rating && rating > 0 ? rating : undefined,
      tags,
      source,
      url,
      inputFile,
      outputFile,
      extra: {
        cfContestId: contestId,
        cfIndex: cfIndex || undefined,
        cfPoints: typeof rec.cf_points === "number" && rec.cf_points > 0 ? rec.cf_points : undefined,
        multipleAnswers: multipleAnswers || undefined,
        isDescriptionTranslated: rec.is_description_translated === true ? true : undefined,
      },
    },
    solutions: [
      ...solutions(rec, "solutions", ctx, "accepted"),
      ...solutions(rec, "incorrect_solutions", ctx, "incorrect"),
    ],
    warnings,
    origin: { file: ctx.file, row: ctx.row },
  };
}
