import type { PyValue } from "../../judge/pyvalue.js";
import { pyFromJsonText } from "../../judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../judge/types.js";
import { checkFunctionAsserts, convertAssert, shadowsReliedName } from "../asserts.js";
import { functionCallLimits } from "../defaults.js";
import { pendingWarning } from "../expected.js";
import { type RecordContext, fail, reqString } from "../fields.js";
import { parsePyArgs, parsePyLiteral } from "../pyliteral.js";
import { matchingBracket, splitStatements } from "../pysource.js";
import type { Problem } from "../types.js";

/** Named fields of a JSON object line, parsed as PyValues so 1.0 stays a float. */
export function pyFields(text: string, ctx: RecordContext): Map<string, PyValue> {
  let v: PyValue;
  try {
    v = pyFromJsonText(text);
  } catch (err) {
    fail(ctx, "(line)", `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (v[0] !== "d") fail(ctx, "(line)", "expected a JSON object");
  const out = new Map<string, PyValue>();
  for (const [k, x] of v[1]) if (k[0] === "s") out.set(k[1], x);
  return out;
}

/** A JSON list of argument lists (EvalPlus base_input / plus_input). */
export function argLists(v: PyValue | undefined, field: string, ctx: RecordContext): PyValue[][] {
  // MBPP+ writes an empty plus_input as {} (Mbpp/793).
  if (v === undefined || v[0] === "N" || (v[0] === "d" && v[1].length === 0)) return [];
  if (v[0] !== "l") fail(ctx, field, "expected a list of argument lists");
  return v[1].map((args, i) => {
    if (args[0] !== "l") fail(ctx, `${field}[${i}]`, "expected a list of arguments");
    return args[1];
  });
}

function literalOk(text: string, args: boolean): boolean {
  try {
    if (args) parsePyArgs(text);
    else parsePyLiteral(text);
    return true;
  } catch {
    return false;
  }
}

const SEPARATORS = [
  /^==>/,
  /^=>/,
  /^➞/,
  /^->/,
  /^==/,
  /^=(?!=)/,
  /^should return\b/,
  /^returns?\b/,
  /^#\s*(=>|returns?\b)/,
];

/**
 * One example from the docstring as an assert script: a `>>> f(...)` line with its output, or a
 * line like `f(...) ==> value` / `f(...) -> value`. Only calls whose arguments and result are plain
 * Python literals qualify, so prose such as `is_happy(a) => False` is skipped.
 */
export function docstringExample(prompt: string, entryPoint: string): string | undefined {
  const lines = prompt.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*>>>\s?(.*)$/.exec(lines[i]!);
    // Doctest lines may wrap the call (`round(f(x), 2)`), but not assign.
    if (!m || !m[1]!.includes(`${entryPoint}(`) || /^\s*[\w.]+\s*=[^=]/.test(m[1]!)) continue;
    let call = m[1]!.replace(/\s+#.*$/, "").trim();
    let j = i + 1;
    while (j < lines.length && /^\s*\.\.\.\s?/.test(lines[j]!))
      call += `\n${lines[j++]!.replace(/^\s*\.\.\.\s?/, "")}`;
    const out: string[] = [];
    while (
      j < lines.length &&
      lines[j]!.trim() !== "" &&
      !/^\s*>>>/.test(lines[j]!) &&
      !/^\s*("""|\'\'\')/.test(lines[j]!)
    ) {
      out.push(lines[j++]!.trim());
    }
    const expected = out.join(" ");
    if (expected !== "" && literalOk(expected, false)) return `assert ${call} == ${expected}\n`;
  }
  // Prose examples: look after the last "example(s)" heading first, so a recurrence such as
  // `tri(1) = 3` in the description (HumanEval/130) is not taken for an example.
  const text = lines.join("\n");
  const headings = [...text.matchAll(/example/gi)].map((m) => m.index!).reverse();
  for (const start of [...headings, 0]) {
    const found = proseExample(text, start, entryPoint);
    if (found) return found;
  }
  return undefined;
}

function proseExample(text: string, start: number, entryPoint: string): string | undefined {
  let from = start;
  for (;;) {
    const at = text.indexOf(`${entryPoint}(`, from);
    if (at < 0) return undefined;
    from = at + 1;
    // Only calls that start an example line, not the `def` itself or mentions in prose.
    const lineStart = text.lastIndexOf("\n", at) + 1;
    if (!/^\s*(\*\s*|for\s+)?$/.test(text.slice(lineStart, at))) continue;
    const close = matchingBracket(text, at + entryPoint.length);
    if (close < 0) continue;
    const lineEnd = text.indexOf("\n", close);
    let rest = text.slice(close, lineEnd < 0 ? undefined : lineEnd).trim();
    const sep = SEPARATORS.find((re) => re.test(rest));
    if (!sep) continue;
    rest = rest.replace(sep, "").trim().replace(/\.$/, "").trim();
    const args = text.slice(at + entryPoint.length + 1, close - 1);
    if (rest !== "" && literalOk(args, true) && literalOk(rest, false)) {
      return `assert ${entryPoint}(${args}) == ${rest}\n`;
    }
  }
}

/** The first `assert candidate(...) ...` of a HumanEval check function, renamed to the entry point. */
export function firstCheckAssert(test: string, entryPoint: string): string | undefined {
  const body = /def check\(candidate\):\n([\s\S]*)/.exec(test)?.[1];
  if (!body) return undefined;
  const dedented = body
    .split("\n")
    .map((l) => l.replace(/^ {4}/, ""))
    .join("\n");
  const first = splitStatements(dedented).find((s) => /^assert candidate\(/.test(s));
  return first ? `${first.replace(/\bcandidate\(/g, `${entryPoint}(`)}\n` : undefined;
}

export function isHumanEvalRecord(keys: Set<string>): boolean {
  return (
    keys.has("task_id") &&
    keys.has("prompt") &&
    keys.has("entry_point") &&
    keys.has("test") &&
    keys.has("canonical_solution")
  );
}

/**
 * HumanEval / HumanEval+. Public: one docstring example (else the first check assert). Private:
 * the official check's asserts, each converted into a call and a check judged in Node
 * (`check-0`, `check-1`, ...) when all of them convert, else the `check(entry_point)` script as
 * one test; plus (HumanEval+) base_input function tests.
 * Generated: HumanEval+ plus_input function tests. Function tests wait in `pendingExpected`
 * until computeExpected runs the canonical solution.
 */
export function humanevalProblem(
  rec: Record<string, unknown>,
  text: string,
  ctx: RecordContext,
  datasetHash: string,
): Problem {
  const taskId = reqString(rec, "task_id", ctx);
  const prompt = reqString(rec, "prompt", ctx);
  const entryPoint = reqString(rec, "entry_point", ctx);
  const canonical = reqString(rec, "canonical_solution", ctx);
  const test = reqString(rec, "test", ctx);
  const warnings: string[] = [];
  const plus = "base_input" in rec || "plus_input" in rec;

  // The prompt runs before converted asserts' calls too; if it rebound a builtin they rely on,
  // their meaning would differ from the dataset's, so nothing is converted.
  const shadowed = shadowsReliedName(prompt, [entryPoint]);
  let example = docstringExample(prompt, entryPoint);
  if (!example) {
    example = firstCheckAssert(test, entryPoint);
    if (example) warnings.push("no usable docstring example: the public test is the first assert of check()");
  }
  const publicTests: TestCase[] = [];
  if (example) {
    const call = shadowed ? undefined : convertAssert(example, [entryPoint]);
    publicTests.push(
      call
        ? { kind: "assert", name: "docstring", script: example, call }
        : { kind: "assert", name: "docstring", script: example },
    );
  }
  if (!example) warnings.push("no public test: neither a docstring example nor a simple check() assert");

  const checked = shadowed ? { reason: `the prompt ${shadowed}` } : checkFunctionAsserts(test, entryPoint);
  const privateTests: TestCase[] =
    "asserts" in checked
      ? checked.asserts.map((a, i) => ({
          kind: "assert",
          name: `check-${i}`,
          script: a.script,
          call: a.call,
        }))
      : [{ kind: "assert", name: "check", script: `${test}\n\ncheck(${entryPoint})\n` }];
  const assertTests = [...publicTests, ...privateTests];
  const assertJudge: JudgeSpec = { kind: "assert", context: prompt, entryPoint };
  let judge: JudgeSpec = assertJudge;
  const extraJudges: JudgeSpec[] = [];
  let pendingExpected: Problem["pendingExpected"];
  if (plus) {
    const fields = pyFields(text, ctx);
    const atolV = fields.get("atol");
    const atol = atolV && (atolV[0] === "f" || atolV[0] === "i") ? Number(atolV[1]) : 0;
    // EvalPlus compares floats with numpy allclose: atol from the data (1e-6 when 0), rtol 1e-7.
    judge = {
      kind: "function",
      entryPoint,
      floatAbsTol: atol > 0 ? atol : 1e-6,
      floatRelTol: 1e-7,
      pythonEquality: true,
    };
    extraJudges.push(assertJudge);
    const privateArgs = argLists(fields.get("base_input"), "base_input", ctx);
    const generatedArgs = argLists(fields.get("plus_input"), "plus_input", ctx);
    pendingExpected = {
      canonicalCode: prompt + canonical,
      entryPoint,
      privateArgs,
      generatedArgs,
      datasetHash,
    };
    warnings.push(pendingWarning(privateArgs.length, generatedArgs.length));
    if (entryPoint === "find_zero") {
      warnings.push(
        "EvalPlus judges find_zero by |poly(x)| <= atol, not by equality with the canonical root",
      );
    }
  }

  return {
    id: taskId,
    benchmark: "humaneval",
    split: "test",
    title: entryPoint,
    statement: prompt,
    starterCode: prompt,
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
      source: plus ? "HumanEval+" : "HumanEval",
      extra: {
        entryPoint,
        assertsConverted: assertTests.filter((t) => t.kind === "assert" && t.call).length,
        assertsTotal: assertTests.length,
        ...("reason" in checked ? { checkKeptAsScript: checked.reason } : {}),
      },
    },
    solutions: [{ language: "python", code: prompt + canonical, verdict: "accepted" }],
    warnings,
    pendingExpected,
    origin: { file: ctx.file, row: ctx.line },
  };
}
