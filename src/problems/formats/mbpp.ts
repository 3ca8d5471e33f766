import type { JudgeSpec, TestCase } from "../../judge/types.js";
import { convertAssert, shadowsReliedName } from "../asserts.js";
import { functionCallLimits } from "../defaults.js";
import { pendingWarning } from "../expected.js";
import { type RecordContext, fail, optString, reqString, stringArray } from "../fields.js";
import { splitStatements } from "../pysource.js";
import type { Problem } from "../types.js";
import { argLists, pyFields } from "./humaneval.js";
import { MBPP_COMPLEX_TASKS, RebuildError, rebuildMbppArgs } from "./mbppinputs.js";

/** MBPP's split by task number: prompt 1-10, test 11-510, validation 511-600, train 601-974. */
export function mbppSplit(task: number): string {
  if (task <= 10) return "prompt";
  if (task <= 510) return "test";
  if (task <= 600) return "validation";
  return "train";
}

export function isMbppRecord(keys: Set<string>): boolean {
  return keys.has("task_id") && (keys.has("test_list") || (keys.has("assertion") && keys.has("plus_input")));
}

/** EvalPlus special oracles: these tasks are not judged by plain equality with the canonical output. */
const SPECIAL_ORACLES: Record<string, string> = {
  check_str: "EvalPlus only checks whether the result is None or not",
  text_match_three: "EvalPlus only checks whether the result is None or not",
  text_starta_endb: "EvalPlus only checks whether the result is None or not",
  are_equivalent: "EvalPlus accepts any result for this task",
  sum_div: "EvalPlus also accepts 0 for this task",
};

function taskNumber(v: unknown, ctx: RecordContext): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(/(\d+)$/.exec(v)?.[1]) : Number.NaN;
  if (!Number.isInteger(n)) fail(ctx, "task_id", `expected a task number, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * MBPP (full or sanitized) and MBPP+. Public: the first assert. Private: the other asserts
 * (and MBPP's challenge tests), plus MBPP+ base_input function tests. Asserts of recognised
 * shapes carry their converted `call`, judged in Node. Generated: MBPP+
 * plus_input function tests. Imports among MBPP+ assertions and MBPP's test_setup_code /
 * test_imports become the assert spec's setup.
 */
export function mbppProblem(
  rec: Record<string, unknown>,
  text: string,
  ctx: RecordContext,
  datasetHash: string,
): Problem {
  const plus = "plus_input" in rec;
  const task = taskNumber(rec.task_id, ctx);
  const warnings: string[] = [];
  let asserts: string[];
  let setupParts: string[] = [];
  if (plus) {
    const statements = splitStatements(reqString(rec, "assertion", ctx));
    asserts = statements.filter((s) => s.startsWith("assert"));
    setupParts = statements.filter((s) => !s.startsWith("assert"));
  } else {
    asserts = stringArray(rec.test_list, "test_list", ctx);
    const setup = optString(rec, "test_setup_code", ctx);
    if (setup?.trim()) setupParts.push(setup);
    setupParts.push(...stringArray(rec.test_imports, "test_imports", ctx));
  }
  // A few MBPP+ assertions call math.isclose without importing math (Mbpp/120, 442, 574).
  if (
    !setupParts.some((x) => /^\s*(import\s+math\b|from\s+math\s+import)/m.test(x)) &&
    asserts.some((a) => /\bmath\./.test(a))
  ) {
    setupParts.push("import math");
  }
  const challenge = stringArray(rec.challenge_test_list, "challenge_test_list", ctx);
  if (asserts.length === 0) fail(ctx, plus ? "assertion" : "test_list", "no assert statements");
  const entryPoint =
    optString(rec, "entry_point", ctx) ??
    /^assert\s+(?:not\s+)?\(?\s*(?:math\.isclose\()?\s*([A-Za-z_]\w*)\s*\(/.exec(asserts[0]!)?.[1];
  // Setup code that rebinds a builtin the converted asserts rely on keeps them all scripts.
  const convertible = entryPoint !== undefined && !shadowsReliedName(setupParts.join("\n"), [entryPoint]);
  const toAssert = (script: string, name: string): TestCase => {
    const call = convertible ? convertAssert(script, [entryPoint]) : undefined;
    return call
      ? { kind: "assert", name, script: `${script}\n`, call }
      : { kind: "assert", name, script: `${script}\n` };
  };
  const code = plus ? reqString(rec, "canonical_solution", ctx) : reqString(rec, "code", ctx);
  const statementRaw = plus
    ? reqString(rec, "prompt", ctx)
    : (optString(rec, "text", ctx) ?? reqString(rec, "prompt", ctx));
  const statement = statementRaw.replace(/^\s*('''|""")\s*/, "").replace(/\s*('''|""")\s*$/, "");

  const assertJudge: JudgeSpec = { kind: "assert" };
  if (setupParts.length > 0) assertJudge.setup = `${setupParts.join("\n")}\n`;
  if (entryPoint) assertJudge.entryPoint = entryPoint;
  let judge: JudgeSpec = assertJudge;
  const extraJudges: JudgeSpec[] = [];
  let pendingExpected: Problem["pendingExpected"];
  if (plus) {
    if (!entryPoint) fail(ctx, "entry_point", "missing");
    const fields = pyFields(text, ctx);
    const atolV = fields.get("atol");
    const atol = atolV && (atolV[0] === "f" || atolV[0] === "i") ? Number(atolV[1]) : 0;
    judge = {
      kind: "function",
      entryPoint,
      floatAbsTol: atol > 0 ? atol : 1e-6,
      floatRelTol: 1e-7,
      pythonEquality: true,
    };
    extraJudges.push(assertJudge);
    try {
      const base = rebuildMbppArgs(task, argLists(fields.get("base_input"), "base_input", ctx));
      const extra = rebuildMbppArgs(task, argLists(fields.get("plus_input"), "plus_input", ctx));
      if (base && extra) {
        pendingExpected = {
          canonicalCode: code,
          entryPoint,
          privateArgs: base,
          generatedArgs: extra,
          datasetHash,
        };
        warnings.push(pendingWarning(base.length, extra.length));
      }
    } catch (err) {
      if (!(err instanceof RebuildError)) throw err;
      fail(ctx, "base_input", `cannot rebuild Python inputs: ${err.message}`);
    }
    if (MBPP_COMPLEX_TASKS.has(task)) {
      warnings.push(
        "inputs are complex numbers, which codeloop's Python values cannot carry: only the assert tests are used",
      );
    }
    const oracle = SPECIAL_ORACLES[entryPoint];
    if (oracle) {
      warnings.push(
        `${oracle}; codeloop compares with the canonical output, and the dataset's asserts may disagree with it`,
      );
    }
  }

  const publicTests = [toAssert(asserts[0]!, "test-0")];
  const privateTests = [
    ...asserts.slice(1).map((a, i) => toAssert(a, `test-${i + 1}`)),
    ...challenge.map((a, i) => toAssert(a, `challenge-${i}`)),
  ];
  const assertTests = [...publicTests, ...privateTests];

  return {
    id: plus ? reqString(rec, "task_id", ctx) : String(task),
    benchmark: "mbpp",
    split: plus ? "test" : mbppSplit(task),
    title: entryPoint ?? `task ${task}`,
    statement,
    judge,
    extraJudges,
    tests: {
      public: publicTests,
      private: privateTests,
      generated: [],
    },
    limits: functionCallLimits(),
    metadata: {
      difficulty: "unknown",
      tags: [],
      source: plus ? "MBPP+" : "MBPP",
      extra: {
        entryPoint,
        taskNumber: task,
        assertsConverted: assertTests.filter((t) => t.kind === "assert" && t.call).length,
        assertsTotal: assertTests.length,
      },
    },
    solutions: [{ language: "python", code, verdict: "accepted" }],
    warnings,
    pendingExpected,
    origin: { file: ctx.file, row: ctx.line },
  };
}
