import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Language } from "../judge/types.js";

/**
 * One generated program to grade, as read from a samples JSONL file. Field names follow the
 * tools people convert from: EvalPlus writes `task_id` and `solution`, LiveCodeBench
 * `question_id`, codeloop's own exports `problem_id` and `code`.
 */
export interface Sample {
  /** 1-based line of the samples file, for messages. */
  line: number;
  problemId: string;
  /** Given (`index` / `sample_index`) or the sample's position among its problem's lines. */
  index: number;
  /** The code field as written (a raw model answer under `--extract`). */
  code: string;
  language: Language;
}

export interface SampleIssue {
  line: number;
  message: string;
}

/** Errors are listed up to this many; a file wrong on every line says so in one count. */
export const MAX_LISTED_ISSUES = 20;

function listIssues(file: string, issues: readonly SampleIssue[]): string {
  const shown = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `  ${file}:${i.line}: ${i.message}`);
  const more =
    issues.length > MAX_LISTED_ISSUES ? [`  ... and ${issues.length - MAX_LISTED_ISSUES} more`] : [];
  return `${file}: ${issues.length} error${issues.length === 1 ? "" : "s"} in the samples, nothing judged:\n${[...shown, ...more].join("\n")}`;
}

/** A samples file that cannot be graded as it is: every issue names its line (sorted by line). */
export class SamplesError extends Error {
  override name = "SamplesError";
  readonly issues: SampleIssue[];
  constructor(
    readonly file: string,
    issues: readonly SampleIssue[],
    headline?: string,
  ) {
    const sorted = [...issues].sort((a, b) => a.line - b.line);
    super(headline ?? listIssues(file, sorted));
    this.issues = sorted;
  }
}

export const ID_FIELDS = ["task_id", "problem_id", "question_id", "id"] as const;
export const CODE_FIELDS = ["solution", "code", "completion"] as const;
const INDEX_FIELDS = ["index", "sample_index"] as const;
const LANGUAGES: Record<string, Language> = { python: "python", cpp: "cpp" };

/**
 * The value of the first of `fields` present; two present with different values are an error,
 * since guessing which one the pipeline meant would grade the wrong thing silently.
 */
function pick(
  rec: Record<string, unknown>,
  fields: readonly string[],
): { field: string; value: unknown } | { conflict: string } | undefined {
  const present = fields.filter((f) => rec[f] !== undefined && rec[f] !== null);
  if (present.length === 0) return undefined;
  const first = present[0]!;
  for (const f of present.slice(1)) {
    if (JSON.stringify(rec[f]) !== JSON.stringify(rec[first])) {
      return { conflict: `fields "${first}" and "${f}" disagree (${clip(rec[first])} vs ${clip(rec[f])})` };
    }
  }
  return { field: first, value: rec[first] };
}

function clip(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Parses one non-blank line; problems go to `issues`, a good line becomes a sample without its index yet. */
function parseLine(
  text: string,
  line: number,
  issues: SampleIssue[],
): (Omit<Sample, "index"> & { index?: number }) | undefined {
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch (err) {
    issues.push({ line, message: `not valid JSON (${(err as Error).message})` });
    return undefined;
  }
  if (typeof rec !== "object" || rec === null || Array.isArray(rec)) {
    issues.push({ line, message: "expected a JSON object per line" });
    return undefined;
  }
  const r = rec as Record<string, unknown>;
  const bad = (message: string) => {
    issues.push({ line, message });
    return undefined;
  };
  const id = pick(r, ID_FIELDS);
  if (!id) return bad(`missing the problem id (one of ${ID_FIELDS.join(", ")})`);
  if ("conflict" in id) return bad(id.conflict);
  // LiveCodeBench and CodeContests ids are strings; a bare number is accepted as its decimal text.
  const problemId =
    typeof id.value === "string" ? id.value : Number.isInteger(id.value) ? String(id.value) : undefined;
  if (problemId === undefined || problemId === "")
    return bad(`"${id.field}" must be a non-empty string, got ${clip(id.value)}`);
  const code = pick(r, CODE_FIELDS);
  if (!code) return bad(`missing the code (one of ${CODE_FIELDS.join(", ")})`);
  if ("conflict" in code) return bad(code.conflict);
  if (typeof code.value !== "string") return bad(`"${code.field}" must be a string, got ${clip(code.value)}`);
  const idx = pick(r, INDEX_FIELDS);
  if (idx && "conflict" in idx) return bad(idx.conflict);
  if (idx && (!Number.isInteger(idx.value) || (idx.value as number) < 0))
    return bad(`"${idx.field}" must be a non-negative integer, got ${clip(idx.value)}`);
  let language: Language = "python";
  if (r.language !== undefined && r.language !== null) {
    const l = typeof r.language === "string" ? LANGUAGES[r.language.toLowerCase()] : undefined;
    if (!l) return bad(`"language" must be python or cpp, got ${clip(r.language)}`);
    language = l;
  }
  return {
    line,
    problemId,
    code: code.value,
    language,
    ...(idx ? { index: idx.value as number } : {}),
  };
}

/**
 * Reads a samples JSONL file (streamed: large batches need not fit in one string). Samples
 * without an index get their position among their problem's lines (0, 1, 2, ... in file
 * order); a repeated (problem, index) pair is an error naming both lines. Malformed lines are
 * returned as issues (so that the caller can list them with the ids no problem has); a file
 * that cannot be read throws a SamplesError.
 */
export async function readSamples(file: string): Promise<{ samples: Sample[]; issues: SampleIssue[] }> {
  const issues: SampleIssue[] = [];
  const samples: Sample[] = [];
  const perProblem = new Map<string, number>();
  const seen = new Map<string, number>();
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, "r");
  } catch (err) {
    throw new SamplesError(file, [], `cannot read the samples file ${file}: ${(err as Error).message}`);
  }
  const rl = createInterface({
    input: fh.createReadStream({ encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.trim() === "") continue;
      const s = parseLine(text, line, issues);
      if (!s) continue;
      const position = perProblem.get(s.problemId) ?? 0;
      perProblem.set(s.problemId, position + 1);
      const sample: Sample = { ...s, index: s.index ?? position };
      const key = `${sample.problemId}\0${sample.index}`;
      const first = seen.get(key);
      if (first !== undefined) {
        issues.push({
          line,
          message: `duplicate sample ${JSON.stringify(sample.problemId)} index ${sample.index} (first on line ${first})`,
        });
        continue;
      }
      seen.set(key, line);
      samples.push(sample);
    }
  } catch (err) {
    throw new SamplesError(file, [], `cannot read the samples file ${file}: ${(err as Error).message}`);
  } finally {
    // The stream closes the handle at its end; this covers an early exit.
    await fh.close().catch(() => {});
  }
  if (samples.length === 0 && issues.length === 0)
    issues.push({ line: Math.max(1, line), message: "no samples" });
  return { samples, issues };
}
