import { type PyValue, pyFromJsonText } from "../../judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../judge/types.js";
import { DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT_SEC, STDIO_COMPARE_NO_CHECKER } from "../defaults.js";
import { type RecordContext, fail, jsonField, optString, reqString } from "../fields.js";
import { PyLiteralError, parsePyStringList } from "../pyliteral.js";
import type { Difficulty, Limits, Problem, ReferenceSolution } from "../types.js";

/** TACO's five test-set levels (plus UNKNOWN_DIFFICULTY in train) on codeloop's three-level scale. */
const TACO_DIFFICULTY: Record<string, Difficulty> = {
  EASY: "easy",
  MEDIUM: "medium",
  MEDIUM_HARD: "medium",
  HARD: "hard",
  VERY_HARD: "hard",
};

export function isTacoRecord(keys: Set<string>): boolean {
  return keys.has("question") && keys.has("input_output") && keys.has("solutions");
}

/** "2 seconds", "1.5 s", "1000 ms" -> seconds; undefined for "None", "" or anything else. */
export function parseTimeText(text: string | undefined): number | undefined {
  const m = /(\d+(?:\.\d+)?)\s*(ms|milli|s|sec|second)/i.exec(text ?? "");
  if (!m) return undefined;
  const v = Number(m[1]);
  if (!(v > 0)) return undefined;
  return /^m/i.test(m[2]!) ? v / 1000 : v;
}

/** "256 megabytes", "512.0 MB", "64 MiB", "1 GB" -> megabytes. */
export function parseMemoryText(text: string | undefined): number | undefined {
  const m = /(\d+(?:\.\d+)?)\s*(k|m|g)/i.exec(text ?? "");
  if (!m) return undefined;
  const v = Number(m[1]);
  if (!(v > 0)) return undefined;
  const unit = m[2]!.toLowerCase();
  return unit === "k" ? v / 1024 : unit === "g" ? v * 1024 : v;
}

/** Python 2 gives itself away by print statements and raw_input. */
export function looksLikePython2(code: string): boolean {
  return /^\s*print\s+[^\s(=]/m.test(code) || /\braw_input\s*\(/.test(code) || /^\s*exec\s+["']/m.test(code);
}

function asText(v: PyValue): string | undefined {
  if (v[0] === "s") return v[1];
  // Some APPS/TACO stdio tests are lists of lines.
  if (v[0] === "l" && v[1].every((x) => x[0] === "s")) return v[1].map((x) => x[1] as string).join("\n");
  return undefined;
}

function dictGet(d: PyValue, key: string): PyValue | undefined {
  if (d[0] !== "d") return undefined;
  return d[1].find(([k]) => k[0] === "s" && k[1] === key)?.[1];
}

/** Entry point for call-based tests: `Solution.f` when the starter code wraps f in a class. */
export function entryPointFor(fnName: string, starterCode: string): string {
  const cls = /^class\s+([A-Za-z_]\w*)/m.exec(starterCode);
  if (cls && new RegExp(`^\\s+def\\s+${fnName}\\s*\\(`, "m").test(starterCode)) return `${cls[1]}.${fnName}`;
  return fnName;
}

export function tacoProblem(rec: Record<string, unknown>, ctx: RecordContext, split: string): Problem {
  const id = `${split}-${ctx.row}`;
  const question = reqString(rec, "question", ctx);
  const starter = optString(rec, "starter_code", ctx) ?? "";
  const warnings: string[] = [];

  const ioText = optString(rec, "input_output", ctx) ?? "";
  let io: PyValue = ["d", []];
  if (ioText.trim() !== "") {
    try {
      io = pyFromJsonText(ioText);
    } catch (err) {
      fail(ctx, "input_output", `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const inputs = dictGet(io, "inputs");
  const outputs = dictGet(io, "outputs");
  const fnNameV = dictGet(io, "fn_name");
  const fnName = fnNameV?.[0] === "s" ? fnNameV[1] : undefined;
  const ins = inputs?.[0] === "l" ? inputs[1] : [];
  const outs = outputs?.[0] === "l" ? outputs[1] : [];
  if (ins.length !== outs.length)
    fail(ctx, "input_output", `${ins.length} inputs but ${outs.length} outputs`);

  let judge: JudgeSpec;
  let tests: TestCase[];
  if (fnName !== undefined) {
    // Outputs of call-based problems are usually wrapped in a one-element list; unwrap only when
    // every output is, so a function that really returns lists is not mangled.
    const wrapped = outs.length > 0 && outs.every((o) => o[0] === "l" && o[1].length === 1);
    tests = ins.map((args, i): TestCase => {
      if (args[0] !== "l")
        fail(ctx, `input_output.inputs[${i}]`, "expected a list of arguments for a call-based problem");
      const o = outs[i]!;
      return {
        kind: "function",
        name: `test-${i}`,
        args: args[1],
        expected: wrapped ? (o[1] as PyValue[])[0]! : o,
      };
    });
    const entryPoint = entryPointFor(fnName, starter);
    // Outputs came from JSON: a list may be a tuple and ints may be floats; LeetCode-style 1e-6.
    judge = { kind: "function", entryPoint, looseSequences: true, floatAbsTol: 1e-6, floatRelTol: 1e-6 };
  } else {
    tests = ins.map((inp, i): TestCase => {
      const input = asText(inp);
      const output = asText(outs[i]!);
      if (input === undefined || output === undefined)
        fail(ctx, `input_output.inputs[${i}]`, "expected text for a stdin/stdout problem");
      return { kind: "stdio", name: `test-${i}`, input, output };
    });
    judge = { kind: "stdio", compare: STDIO_COMPARE_NO_CHECKER };
  }
  if (tests.length === 0) warnings.push("no tests in input_output");

  const solutionsText = optString(rec, "solutions", ctx) ?? "";
  const sols = solutionsText.trim() === "" ? [] : jsonField(solutionsText, "solutions", ctx);
  if (!Array.isArray(sols) || sols.some((s) => typeof s !== "string"))
    fail(ctx, "solutions", "expected a JSON list of strings");
  const solutions: ReferenceSolution[] = (sols as string[]).map((code) => ({
    language: looksLikePython2(code) ? "python2" : "python",
    code,
    verdict: "accepted",
  }));

  const list = (field: string): string[] => {
    try {
      return parsePyStringList(optString(rec, field, ctx) ?? "");
    } catch (err) {
      if (err instanceof PyLiteralError) fail(ctx, field, `not a Python list of strings: ${err.message}`);
      throw err;
    }
  };
  const diffRaw = optString(rec, "difficulty", ctx) ?? "";
  const time = parseTimeText(optString(rec, "time_limit", ctx));
  const memory = parseMemoryText(optString(rec, "memory_limit", ctx));
  const date = optString(rec, "date", ctx) ?? "";
  const limits: Limits = {
    timeLimitSec: time ?? DEFAULT_TIME_LIMIT_SEC,
    memoryLimitMb: memory ?? DEFAULT_MEMORY_LIMIT_MB,
    timeLimitOrigin: time === undefined ? "default" : "dataset",
  };
  const name = optString(rec, "name", ctx) ?? "";
  return {
    id,
    benchmark: "taco",
    split,
    title:
      name ||
      question
        .split("\n")
        .find((l) => l.trim() !== "")
        ?.slice(0, 80) ||
      id,
    statement: question,
    starterCode: starter || undefined,
    judge,
    extraJudges: [],
    // The TACO paper shows the first test to the model.
    tests: { public: tests.slice(0, 1), private: tests.slice(1), generated: [] },
    limits,
    metadata: {
      difficulty: TACO_DIFFICULTY[diffRaw] ?? "unknown",
      difficultyRaw: diffRaw || undefined,
      tags: list("tags"),
      source: optString(rec, "source", ctx) || undefined,
      contestDate: /^\d{4}-\d{2}-\d{2}/.test(date) ? date : undefined,
      url: optString(rec, "url", ctx) || undefined,
      extra: {
        name: name || undefined,
        rawTags: list("raw_tags"),
        skillTypes: list("skill_types"),
        expectedTimeComplexity: optString(rec, "Expected Time Complexity", ctx) || undefined,
        expectedAuxiliarySpace: optString(rec, "Expected Auxiliary Space", ctx) || undefined,
        pictureNum: optString(rec, "picture_num", ctx) || undefined,
      },
    },
    solutions,
    warnings,
    origin: { file: ctx.file, row: ctx.row },
  };
}
