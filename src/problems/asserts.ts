import type { PyValue } from "../core/pyvalue.js";
import type { AssertCall, AssertCheck } from "../core/verdict.js";
import { pyTruthy } from "../judge/pycompare.js";
import { type PyExpr, PyExprError, parseAssertStatement, parseExpression } from "./pyexpr.js";
import { constValue } from "./pyfold.js";
import { PySourceError, logicalLines } from "./pysource.js";

/**
 * Dataset asserts turned, at load time, into one call of the entry point plus a check the judge
 * evaluates in Node on the returned value (types.ts `AssertCall`), so a candidate cannot pass by
 * exiting early, patching `math.isclose` or returning an object whose `__eq__` always says
 * True. Only asserts of a few shapes whose every other part is a constant are converted; the
 * rest stay scripts, run by the judge's checker.
 */

export type AssertConversion =
  | { kind: "call"; call: AssertCall }
  /** The assert's test is a true constant (`assert True, "..."`): it tests nothing. */
  | { kind: "skip" }
  | { kind: "script"; reason: string };

/** Builtins a converted assert relies on; an import that rebinds one keeps the asserts scripts. */
const RELIED_ON = new Set(["abs", "set", "frozenset", "tuple", "list", "float", "int", "math", "isclose"]);

const WRAPS = new Set(["set", "frozenset", "tuple", "list"]);

/** Tolerances travel as JSON numbers: finite, and exact when they were written as ints. */
function tolerance(v: PyValue | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v[0] === "b") return v[1] ? 1 : 0;
  if (v[0] === "i") {
    const n = Number(v[1]);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (v[0] === "f" && typeof v[1] === "number") return v[1];
  return undefined;
}

function isReal(v: PyValue | undefined): v is PyValue {
  return v !== undefined && (v[0] === "b" || v[0] === "i" || v[0] === "f");
}

function subexpressions(n: PyExpr): PyExpr[] {
  switch (n.kind) {
    case "attribute":
      return [n.value];
    case "call":
      return [n.func, ...n.args, ...n.keywords.map((k) => k.value)];
    case "subscript":
      return [n.value, n.index];
    case "slice":
      return [n.lower, n.upper, n.step].filter((p): p is PyExpr => p !== undefined);
    case "unary":
      return [n.operand];
    case "binary":
      return [n.left, n.right];
    case "compare":
      return [n.left, ...n.comparators];
    case "boolop":
      return n.values;
    case "tuple":
    case "list":
    case "set":
      return n.items;
    case "dict":
      return n.entries.flat();
    default:
      return [];
  }
}

/** Every `name` node of the expression (names of called functions included). */
function names(node: PyExpr): string[] {
  const out: string[] = [];
  const stack: PyExpr[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === "name") out.push(n.id);
    for (const child of subexpressions(n)) stack.push(child);
  }
  return out;
}

/** The first call of an entry name in the expression (depth-first), if any. */
function findEntryCall(node: PyExpr, entryNames: string[]): PyExpr | undefined {
  const stack: PyExpr[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === "call" && n.func.kind === "name" && entryNames.includes(n.func.id)) return n;
    for (const child of subexpressions(n)) stack.push(child);
  }
  return undefined;
}

type Call = Omit<AssertCall, "check">;

/** `f(args)` with f an entry name and every argument a constant. */
function entryCall(node: PyExpr, entryNames: string[]): Call | undefined {
  if (node.kind !== "call" || node.func.kind !== "name" || !entryNames.includes(node.func.id))
    return undefined;
  const args: PyValue[] = [];
  for (const a of node.args) {
    const v = constValue(a);
    if (v === undefined) return undefined;
    args.push(v);
  }
  const kwargs: [string, PyValue][] = [];
  for (const k of node.keywords) {
    const v = constValue(k.value);
    if (v === undefined) return undefined;
    kwargs.push([k.name, v]);
  }
  return kwargs.length > 0 ? { args, kwargs } : { args };
}

/** `f(args)` or `W(f(args))` with W one of set, frozenset, tuple, list. */
function wrappedCall(
  node: PyExpr,
  entryNames: string[],
): { call: Call; wrap?: "set" | "frozenset" | "tuple" | "list" } | undefined {
  const call = entryCall(node, entryNames);
  if (call) return { call };
  if (
    node.kind === "call" &&
    node.func.kind === "name" &&
    WRAPS.has(node.func.id) &&
    node.args.length === 1 &&
    node.keywords.length === 0
  ) {
    const inner = entryCall(node.args[0]!, entryNames);
    if (inner) return { call: inner, wrap: node.func.id as "set" | "frozenset" | "tuple" | "list" };
  }
  return undefined;
}

function withCheck(call: Call, check: AssertCheck): AssertConversion {
  return { kind: "call", call: { ...call, check } };
}

/** `abs(f(args) - X)` or `abs(X - f(args))` with X a real constant. */
function absDiffCall(node: PyExpr, entryNames: string[]): { call: Call; expected: PyValue } | undefined {
  if (node.kind !== "call" || node.func.kind !== "name" || node.func.id !== "abs") return undefined;
  if (node.args.length !== 1 || node.keywords.length > 0) return undefined;
  const d = node.args[0]!;
  if (d.kind !== "binary" || d.op !== "-") return undefined;
  for (const [callSide, otherSide] of [
    [d.left, d.right],
    [d.right, d.left],
  ] as const) {
    const call = entryCall(callSide, entryNames);
    const expected = call && constValue(otherSide);
    if (call && isReal(expected)) return { call, expected };
  }
  return undefined;
}

function compareShape(test: Extract<PyExpr, { kind: "compare" }>, entryNames: string[]): AssertConversion {
  if (test.ops.length !== 1) return { kind: "script", reason: "a chained comparison" };
  const op = test.ops[0]!;
  const left = test.left;
  const right = test.comparators[0]!;
  if (op === "==" || op === "!=") {
    for (const [callSide, otherSide] of [
      [left, right],
      [right, left],
    ] as const) {
      const found = wrappedCall(callSide, entryNames);
      const expected = found && constValue(otherSide);
      if (found && expected) {
        const check: AssertCheck = { op: op === "==" ? "eq" : "ne", expected };
        if (found.wrap) check.wrap = found.wrap;
        return withCheck(found.call, check);
      }
    }
    return { kind: "script", reason: "a comparison whose other side is not a constant" };
  }
  if (op === "is" || op === "is not") {
    for (const [callSide, otherSide] of [
      [left, right],
      [right, left],
    ] as const) {
      const call = entryCall(callSide, entryNames);
      // Only the literal singletons: identity with anything else depends on the interpreter.
      if (call && otherSide.kind === "const") {
        return withCheck(call, { op: op === "is" ? "is" : "isnot", expected: constValue(otherSide)! });
      }
    }
    return { kind: "script", reason: "an identity test other than with True, False or None" };
  }
  if (op === "<" || op === "<=" || op === ">" || op === ">=") {
    // abs(...) < tol, or the same written tol > abs(...).
    const [absSide, tolSide] = op === "<" || op === "<=" ? [left, right] : [right, left];
    const diff = absDiffCall(absSide, entryNames);
    const tol = tolerance(constValue(tolSide));
    if (diff && tol !== undefined && Number.isFinite(tol)) {
      return withCheck(diff.call, {
        op: "absdiff",
        expected: diff.expected,
        tol,
        inclusive: op === "<=" || op === ">=",
      });
    }
    return { kind: "script", reason: "an ordering comparison other than abs(result - x) < tol" };
  }
  return { kind: "script", reason: `the '${op}' operator` };
}

function iscloseShape(test: Extract<PyExpr, { kind: "call" }>, entryNames: string[]): AssertConversion {
  if (test.args.length !== 2) return { kind: "script", reason: "isclose() without two positional arguments" };
  let relTol = 1e-9;
  let absTol = 0;
  for (const k of test.keywords) {
    const t = tolerance(constValue(k.value));
    if (t === undefined || !Number.isFinite(t) || t < 0) {
      return { kind: "script", reason: `isclose() with ${k.name} not a non-negative constant` };
    }
    if (k.name === "rel_tol") relTol = t;
    else if (k.name === "abs_tol") absTol = t;
    else return { kind: "script", reason: `isclose() with the keyword ${k.name}` };
  }
  for (const [callSide, otherSide] of [
    [test.args[0]!, test.args[1]!],
    [test.args[1]!, test.args[0]!],
  ] as const) {
    const call = entryCall(callSide, entryNames);
    const expected = call && constValue(otherSide);
    if (call && isReal(expected)) return withCheck(call, { op: "isclose", expected, relTol, absTol });
  }
  return { kind: "script", reason: "isclose() of something other than the call and a real constant" };
}

function isIsclose(func: PyExpr): boolean {
  if (func.kind === "name") return func.id === "isclose";
  return (
    func.kind === "attribute" &&
    func.attr === "isclose" &&
    func.value.kind === "name" &&
    func.value.id === "math"
  );
}

/**
 * What one `assert <test>[, <message>]` statement becomes. `entryNames` are the names under
 * which the test calls the function under test (`["candidate", "add"]`). The message is only
 * evaluated when the assert fails, so it may be anything that parses.
 */
export function classifyAssert(statement: string, entryNames: string[]): AssertConversion {
  let parsed: ReturnType<typeof parseAssertStatement>;
  try {
    parsed = parseAssertStatement(statement.trim());
  } catch (err) {
    if (err instanceof PyExprError) return { kind: "script", reason: err.message };
    throw err;
  }
  const test = parsed.test;
  const mentions = names(test).filter((n) => entryNames.includes(n)).length;
  if (mentions === 0) {
    const v = constValue(test);
    if (v === undefined) return { kind: "script", reason: "does not call the function under test" };
    // A false constant always fails: that stays a script so it fails as written.
    return pyTruthy(v) ? { kind: "skip" } : { kind: "script", reason: "a constant that is false" };
  }
  if (mentions > 1) return { kind: "script", reason: "uses the function under test more than once" };
  const called = findEntryCall(test, entryNames);
  if (!called) return { kind: "script", reason: "uses the function under test without calling it" };
  if (!entryCall(called, entryNames))
    return { kind: "script", reason: "calls it with arguments that are not constants" };
  const call = entryCall(test, entryNames);
  if (call) return withCheck(call, { op: "truthy" });
  if (test.kind === "unary" && test.op === "not") {
    const negated = entryCall(test.operand, entryNames);
    if (negated) return withCheck(negated, { op: "falsy" });
  }
  if (test.kind === "compare") return compareShape(test, entryNames);
  if (test.kind === "call" && isIsclose(test.func)) return iscloseShape(test, entryNames);
  return { kind: "script", reason: "not a recognised assert shape" };
}

/** The converted form of one assert statement, or undefined when it stays a script. */
export function convertAssert(statement: string, entryNames: string[]): AssertCall | undefined {
  const c = classifyAssert(statement, entryNames);
  return c.kind === "call" ? c.call : undefined;
}

/** A converted assert of a check function, with its statement as the dataset wrote it. */
export interface ConvertedAssert {
  script: string;
  call: AssertCall;
}

/** Names an import statement binds, or undefined when it is not a plain import. */
function importedNames(text: string): string[] | undefined {
  const body = text
    .replace(/#.*$/gm, "")
    .replace(/\\\n/g, " ")
    .replace(/[()]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  const dotted = "[A-Za-z_][\\w]*(?:\\s?\\.\\s?[A-Za-z_]\\w*)*";
  // Each imported part as [what is imported, the name it is bound to].
  const list = (s: string): [string, string][] | undefined => {
    const out: [string, string][] = [];
    for (const part of s.split(",")) {
      if (part.trim() === "") continue;
      const m = new RegExp(`^(${dotted})(?: as ([A-Za-z_]\\w*))?$`).exec(part.trim());
      if (!m) return undefined;
      out.push([m[1]!, m[2] ?? m[1]!.split(".")[0]!.trim()]);
    }
    return out.length > 0 ? out : undefined;
  };
  let m = /^import (.+)$/.exec(body);
  if (m) return list(m[1]!)?.map(([, bound]) => bound);
  m = new RegExp(`^from (\\.*(?:${dotted})?) import (.+)$`).exec(body);
  if (!m || m[2]!.trim() === "*") return undefined;
  const parts = list(m[2]!);
  // `from math import isclose` is how the bare isclose() gets its meaning.
  return parts
    ?.filter(([name, bound]) => !(m![1] === "math" && name === "isclose" && bound === "isclose"))
    .map(([, bound]) => bound);
}

function importProblem(text: string, entryNames: string[]): string | undefined {
  const bound = importedNames(text);
  if (!bound) return "an import other than a plain one";
  const clash = bound.find((n) => (RELIED_ON.has(n) && n !== "math") || entryNames.includes(n));
  if (clash) return `an import that rebinds '${clash}'`;
  if (bound.includes("math") && !/^import\s+math\s*(#.*)?$/.test(text))
    return "an import that rebinds 'math'";
  return undefined;
}

/**
 * Why module-level code (HumanEval's prompt, MBPP's setup) would change what a converted assert
 * means: it binds, at top level, a builtin the conversion relies on or an entry name through an
 * import. Undefined when it does not. Functions and classes of other names are fine.
 */
export function shadowsReliedName(code: string, entryNames: string[]): string | undefined {
  let lines: ReturnType<typeof logicalLines>;
  try {
    lines = logicalLines(code);
  } catch (err) {
    if (err instanceof PySourceError) return err.message;
    throw err;
  }
  for (const l of lines) {
    if (l.indent !== "") continue;
    if (/^(import|from)\s/.test(l.text)) {
      const problem = importProblem(l.text, entryNames);
      if (problem) return `line ${l.line}: ${problem}`;
      continue;
    }
    const bound =
      /^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/.exec(l.text)?.[1] ??
      /^([A-Za-z_]\w*)\s*(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)?=(?!=)/.exec(l.text)?.[1];
    if (bound && RELIED_ON.has(bound)) return `line ${l.line}: binds '${bound}'`;
  }
  return undefined;
}

/**
 * The asserts of a HumanEval `test` field (`METADATA = ...` and `def check(candidate):`), all
 * converted, in order; or why the check must stay one script. Every statement of the body must
 * be a convertible assert, a true constant assert (dropped), a constant expression such as a
 * docstring, `pass` or an import; the module may hold only METADATA assignments, imports and
 * the check function.
 */
export function checkFunctionAsserts(
  test: string,
  entryPoint: string,
): { asserts: ConvertedAssert[] } | { reason: string } {
  const entryNames = ["candidate", entryPoint];
  let lines: ReturnType<typeof logicalLines>;
  try {
    lines = logicalLines(test);
  } catch (err) {
    if (err instanceof PySourceError) return { reason: err.message };
    throw err;
  }
  const asserts: ConvertedAssert[] = [];
  let checks = 0;
  let bodyIndent: string | undefined;
  let inCheck = false;
  for (const l of lines) {
    const where = `line ${l.line}`;
    if (l.indent === "") {
      inCheck = false;
      if (/^def check\(\s*candidate\s*\)\s*:\s*(#.*)?$/.test(l.text)) {
        checks++;
        inCheck = true;
        continue;
      }
      const assign = /^METADATA\s*=(?!=)([\s\S]*)$/.exec(l.text);
      if (assign) {
        try {
          if (constValue(parseExpression(assign[1]!)) !== undefined) continue;
        } catch (err) {
          if (!(err instanceof PyExprError)) throw err;
        }
        return { reason: `${where}: METADATA is not a constant` };
      }
      if (/^(import|from)\s/.test(l.text)) {
        const problem = importProblem(l.text, entryNames);
        if (problem) return { reason: `${where}: ${problem}` };
        continue;
      }
      return { reason: `${where}: a module statement other than METADATA, imports and check()` };
    }
    if (!inCheck) return { reason: `${where}: unexpected indentation` };
    bodyIndent ??= l.indent;
    if (l.indent !== bodyIndent) return { reason: `${where}: a nested block` };
    if (/^pass\s*(#.*)?$/.test(l.text)) continue;
    if (/^(import|from)\s/.test(l.text)) {
      const problem = importProblem(l.text, entryNames);
      if (problem) return { reason: `${where}: ${problem}` };
      continue;
    }
    if (/^assert\b/.test(l.text)) {
      const c = classifyAssert(l.text, entryNames);
      if (c.kind === "script") return { reason: `${where}: ${c.reason}` };
      if (c.kind === "call") asserts.push({ script: `${l.text}\n`, call: c.call });
      continue;
    }
    let constant = false;
    try {
      constant = constValue(parseExpression(l.text)) !== undefined;
    } catch (err) {
      if (!(err instanceof PyExprError)) throw err;
    }
    if (!constant) {
      const first = l.text.split("\n")[0]!;
      const shown = first.length > 40 ? `${first.slice(0, 37)}...` : first;
      return { reason: `${where}: a statement other than an assert (${shown})` };
    }
  }
  if (checks !== 1)
    return { reason: checks === 0 ? "no check(candidate) function" : "check() defined twice" };
  if (asserts.length === 0) return { reason: "check() asserts nothing" };
  return { asserts };
}

/** The converted asserts of a HumanEval check function, or undefined when it stays a script. */
export function convertCheckFunction(test: string, entryPoint: string): ConvertedAssert[] | undefined {
  const r = checkFunctionAsserts(test, entryPoint);
  return "asserts" in r ? r.asserts : undefined;
}
