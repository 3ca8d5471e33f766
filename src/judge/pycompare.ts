import {
  type PyValue,
  compactKey,
  pyIntEqual,
  pyIntIsSmall,
  pyIntIsZero,
  pyIntParts,
  pyIntValue,
  pyRepr,
  pyReprClipped,
} from "../core/pyvalue.js";
import type { AssertCheck } from "../core/verdict.js";

/**
 * Python's own semantics on PyValues, for converted asserts: `==` as CPython evaluates it on
 * builtins (1 == 1.0 == True, [1] != (1,), {1, 2.0} == {1.0, 2}, a Counter equal to a dict),
 * truthiness, `set(x)`, `math.isclose` and `abs(x - y) < tol`. The value came out of the
 * candidate's process as data, so nothing here runs the candidate's `__eq__`; an opaque object
 * (any class the encoding does not know) makes every check fail.
 */

/** Values nested deeper than this are refused (the runner sends at most 200 levels). */
const MAX_DEPTH = 1000;

/** Messages quote values up to this many characters each. */
const REPR_CLIP = 140;

export interface AssertOutcome {
  ok: boolean;
  /** Why the check failed, fit to show a model; absent when it passed. */
  message?: string;
}

/** Judges the value the entry point returned as the original assert would have. */
export function checkAssertCall(check: AssertCheck, got: PyValue): AssertOutcome {
  const scanned = scan(got);
  if (scanned.depth > MAX_DEPTH) {
    return { ok: false, message: `returned a value nested more than ${MAX_DEPTH} levels deep` };
  }
  // ==, and set() of it, reach every item; the other checks look at the value itself only.
  const opaque = check.op === "eq" || check.op === "ne" ? scanned.opaque : opaqueType(got);
  if (opaque) {
    return { ok: false, message: `returned an object of type ${opaque} the judge cannot compare` };
  }
  switch (check.op) {
    case "eq":
    case "ne": {
      let value = got;
      let shown = `returned ${clipRepr(got)}`;
      if (check.wrap) {
        // Decided before the builtin is applied where the result's type or size already
        // settles it: list() of a 60 MB string is not built to find it is no set.
        const want = check.expected;
        const sameKind =
          check.wrap === "list"
            ? want[0] === "l"
            : check.wrap === "tuple"
              ? want[0] === "t"
              : want[0] === "S" || want[0] === "F";
        const n = sequenceLength(got);
        const sizedOut =
          (check.wrap === "list" || check.wrap === "tuple") &&
          n !== undefined &&
          sameKind &&
          n !== (want[1] as PyValue[]).length;
        if (!sameKind || sizedOut) {
          if (check.op === "ne") return { ok: true };
          const what = !sameKind
            ? `${check.wrap}() of it is never equal to ${pyTypeName(want)}`
            : `of ${n} items`;
          return { ok: false, message: `returned ${clipRepr(got)}, ${what}; expected ${clipRepr(want)}` };
        }
        const wrapped = applyBuiltin(check.wrap, got);
        if (typeof wrapped === "string")
          return { ok: false, message: `returned ${clipRepr(got)}; ${wrapped}` };
        value = wrapped;
        shown += `, ${check.wrap}() of it is ${clipRepr(value)}`;
      }
      const equal = pyEquals(value, check.expected);
      if (equal === (check.op === "eq")) return { ok: true };
      return {
        ok: false,
        message:
          check.op === "eq"
            ? `${shown}, expected ${clipRepr(check.expected)}`
            : `${shown}, expected anything but ${clipRepr(check.expected)}`,
      };
    }
    case "isclose":
      return isclose(got, check.expected, check.relTol, check.absTol);
    case "absdiff":
      return absdiff(got, check.expected, check.tol, check.inclusive);
    case "truthy":
    case "falsy": {
      const truth = pyTruthy(got);
      if (truth === (check.op === "truthy")) return { ok: true };
      return {
        ok: false,
        message: `returned ${clipRepr(got)}, expected a ${check.op === "truthy" ? "true" : "false"} value`,
      };
    }
    case "is":
    case "isnot": {
      const same = isSingleton(got, check.expected);
      if (same === (check.op === "is")) return { ok: true };
      const want = pyRepr(check.expected);
      return {
        ok: false,
        message:
          check.op === "is"
            ? `returned ${clipRepr(got)}, expected ${want} itself (\`is ${want}\`)`
            : `returned ${want}, expected anything but ${want} (\`is not ${want}\`)`,
      };
    }
  }
}

function clipRepr(v: PyValue): string {
  return pyReprClipped(v, REPR_CLIP);
}

/** The standard-library types the encoding carries by value (runner.py VALUE_TYPES). */
const KNOWN_TYPES = new Set([
  "collections.Counter",
  "collections.OrderedDict",
  "collections.defaultdict",
  "collections.deque",
  "re.Match",
]);

/** The type name of a value the judge cannot reason about: an opaque object, or an unknown `T`. */
function opaqueType(v: PyValue): string | undefined {
  if (v[0] === "o") return v[1];
  if (v[0] === "T" && !KNOWN_TYPES.has(v[1])) return v[1];
  return undefined;
}

/**
 * How deep the value nests and its first opaque object, found without recursion so a hostile
 * value cannot exhaust the stack. The scan stops as soon as the value nests too deep.
 */
function scan(v: PyValue): { depth: number; opaque?: string } {
  let depth = 0;
  let opaque: string | undefined;
  const values: PyValue[] = [v];
  const depths: number[] = [1];
  while (values.length > 0) {
    const x = values.pop()!;
    const d = depths.pop()!;
    if (d > depth) {
      depth = d;
      if (depth > MAX_DEPTH) break;
    }
    opaque ??= opaqueType(x);
    for (const child of children(x)) {
      values.push(child);
      depths.push(d + 1);
    }
  }
  return opaque ? { depth, opaque } : { depth };
}

function children(v: PyValue): PyValue[] {
  switch (v[0]) {
    case "l":
    case "t":
    case "S":
    case "F":
      return v[1];
    case "d":
      return v[1].flat();
    case "T":
      return [v[2]];
    default:
      return NO_CHILDREN;
  }
}

const NO_CHILDREN: PyValue[] = [];

/** Python's `type(x).__name__` for messages. */
export function pyTypeName(v: PyValue): string {
  switch (v[0]) {
    case "N":
      return "NoneType";
    case "b":
      return "bool";
    case "i":
      return "int";
    case "f":
      return "float";
    case "c":
      return "complex";
    case "s":
      return "str";
    case "y":
      return "bytes";
    case "l":
      return "list";
    case "t":
      return "tuple";
    case "S":
      return "set";
    case "F":
      return "frozenset";
    case "d":
      return "dict";
    case "T":
      return v[1] === "re.Match" ? "re.Match" : v[1].split(".").pop()!;
    case "o":
      return v[1];
  }
}

// ---------------------------------------------------------------------------------------------
// numbers

/**
 * `big`: an int of 2^1096 or more, kept as its string: it exceeds every float, and a BigInt of
 * it could cost seconds (a program can return millions of digits).
 */
type Real = { int: bigint } | { float: number } | { big: string };
type Num = Real | { re: number; im: number };

export function floatOf(x: number | "nan" | "inf" | "-inf"): number {
  return x === "nan"
    ? Number.NaN
    : x === "inf"
      ? Number.POSITIVE_INFINITY
      : x === "-inf"
        ? Number.NEGATIVE_INFINITY
        : x;
}

/** bool, int, float and complex as numbers (bool is an int in Python). */
function numOf(v: PyValue): Num | undefined {
  switch (v[0]) {
    case "b":
      return { int: v[1] ? 1n : 0n };
    case "i":
      return pyIntIsSmall(v[1]) ? { int: pyIntValue(v[1]) } : { big: v[1] };
    case "f":
      return { float: floatOf(v[1]) };
    case "c":
      return { re: floatOf(v[1]), im: floatOf(v[2]) };
    default:
      return undefined;
  }
}

/** Exact comparison of an int with a float, as CPython does it: -1, 0, 1, or NaN for nan. */
export function compareIntFloat(i: bigint, f: number): number {
  if (Number.isNaN(f)) return Number.NaN;
  if (f === Number.POSITIVE_INFINITY) return -1;
  if (f === Number.NEGATIVE_INFINITY) return 1;
  if (Number.isInteger(f)) {
    const g = BigInt(f);
    return i < g ? -1 : i > g ? 1 : 0;
  }
  // floor(f) < f < floor(f) + 1, and no integer lies strictly between.
  return i <= BigInt(Math.floor(f)) ? -1 : 1;
}

/** Fast paths for the common cases, before building Num objects and BigInts. */
function quickNumEq(a: PyValue, b: PyValue): boolean | undefined {
  if (a[0] === "i" && b[0] === "i" && a[1] === b[1]) return true;
  if (a[0] === "f" && b[0] === "f" && typeof a[1] === "number" && typeof b[1] === "number")
    return a[1] === b[1];
  // Ints of up to 15 digits are exact doubles.
  if (a[0] === "i" && b[0] === "f" && typeof b[1] === "number" && a[1].length <= 15)
    return Number(a[1]) === b[1];
  if (a[0] === "f" && b[0] === "i" && typeof a[1] === "number" && b[1].length <= 15)
    return Number(b[1]) === a[1];
  return undefined;
}

function realEq(a: Real, b: Real): boolean {
  if ("big" in a || "big" in b) {
    const [x, y] = "big" in a ? [a.big, b] : [(b as { big: string }).big, a];
    if ("big" in y) return pyIntEqual(x, y.big);
    return "int" in y ? pyIntEqual(x, y.int.toString()) : false;
  }
  if ("int" in a)
    return "int" in b ? a.int === b.int : compareIntFloat(a.int, (b as { float: number }).float) === 0;
  return "int" in b ? compareIntFloat(b.int, a.float) === 0 : a.float === (b as { float: number }).float;
}

function numEq(a: Num, b: Num): boolean {
  if ("re" in a) {
    if ("re" in b) return a.re === b.re && a.im === b.im;
    return a.im === 0 && realEq({ float: a.re }, b);
  }
  if ("re" in b) return numEq(b, a);
  return realEq(a, b);
}

/** A key equal for numbers Python considers equal (1, 1.0, True, 1+0j); undefined for nan. */
function numKey(n: Num): string | undefined {
  if ("re" in n) {
    if (n.im === 0) return numKey({ float: n.re });
    const re = numKey({ float: n.re });
    const im = numKey({ float: n.im });
    return re === undefined || im === undefined ? undefined : `c(${re},${im})`;
  }
  if ("int" in n) return `n${n.int}`;
  if ("big" in n) {
    // No float equals these; the same value written in the other base would get another key,
    // which only a dataset's own 330-digit-plus decimal next to the sandbox's hex could meet.
    const p = pyIntParts(n.big);
    return `n${p.negative ? "-" : ""}${p.hex ? "x" : "d"}${p.digits}`;
  }
  const f = n.float;
  if (Number.isNaN(f)) return undefined;
  if (!Number.isFinite(f)) return f > 0 ? "ninf" : "n-inf";
  if (Number.isSafeInteger(f)) return `n${f === 0 ? 0 : f}`;
  return Number.isInteger(f) ? `n${BigInt(f)}` : `n${String(f)}`;
}

// ---------------------------------------------------------------------------------------------
// hashing and equality

/** Whether `hash(x)` succeeds for a value of this form (lists, dicts and sets are unhashable). */
export function pyIsHashable(v: PyValue): boolean {
  const stack: PyValue[] = [v];
  while (stack.length > 0) {
    const x = stack.pop()!;
    switch (x[0]) {
      case "l":
      case "d":
      case "S":
        return false;
      case "T":
        if (x[1] !== "re.Match") return false;
        break;
      case "t":
        for (const item of x[1]) stack.push(item);
        break;
      default:
        break;
    }
  }
  return true;
}

/**
 * A canonical key of a hashable value: two values get the same key exactly when Python finds
 * them equal, so set members and dict keys are matched in linear time. Undefined for values
 * equal to nothing outside their own process: nan (and what holds one), a regex match (equal
 * only to itself), opaque objects, and unhashable values.
 */
export function pyHashKey(v: PyValue): string | undefined {
  switch (v[0]) {
    case "N":
      return "N";
    case "i":
      return compactKey(numKey(numOf(v)!)!);
    case "f":
      return typeof v[1] === "number" && Number.isSafeInteger(v[1])
        ? `n${v[1] === 0 ? 0 : v[1]}`
        : numKey(numOf(v)!);
    case "b":
    case "c":
      return numKey(numOf(v)!);
    case "s":
      return compactKey(`s${JSON.stringify(v[1])}`);
    case "y":
      return compactKey(`y${Buffer.from(v[1], "base64").toString("base64")}`);
    case "t": {
      const parts: string[] = [];
      for (const x of v[1]) {
        const k = pyHashKey(x);
        if (k === undefined) return undefined;
        parts.push(k);
      }
      return compactKey(`t(${parts.join(",")})`);
    }
    case "F": {
      const keys = memberKeys(v[1]);
      return keys === undefined ? undefined : compactKey(`F(${[...keys].sort().join(",")})`);
    }
    default:
      return undefined;
  }
}

/** The keys of a set's members, or undefined when one of them matches nothing. */
function memberKeys(items: PyValue[]): Set<string> | undefined {
  const keys = new Set<string>();
  for (const x of items) {
    const k = pyHashKey(x);
    if (k === undefined) return undefined;
    keys.add(k);
  }
  return keys;
}

/** Dict entries by key; undefined when a key matches nothing or appears twice. */
function entriesByKey(entries: [PyValue, PyValue][]): Map<string, [PyValue, PyValue]> | undefined {
  const byKey = new Map<string, [PyValue, PyValue]>();
  for (const e of entries) {
    const k = pyHashKey(e[0]);
    if (k === undefined || byKey.has(k)) return undefined;
    byKey.set(k, e);
  }
  return byKey;
}

function dictEntries(v: PyValue): [PyValue, PyValue][] | undefined {
  if (v[0] === "d") return v[1];
  if (v[0] === "T" && v[1] !== "collections.deque" && v[1] !== "re.Match" && v[2][0] === "d") return v[2][1];
  return undefined;
}

function dictEq(a: [PyValue, PyValue][], b: [PyValue, PyValue][]): boolean {
  if (a.length !== b.length) return false;
  const ka = entriesByKey(a);
  const kb = entriesByKey(b);
  if (!ka || !kb) return false;
  for (const [k, [, x]] of ka) {
    const other = kb.get(k);
    if (!other || !pyEquals(x, other[1])) return false;
  }
  return true;
}

/** Counter == Counter since Python 3.10: a missing key counts as zero. */
function counterEq(a: [PyValue, PyValue][], b: [PyValue, PyValue][]): boolean {
  const ka = entriesByKey(a);
  const kb = entriesByKey(b);
  if (!ka || !kb) return false;
  const zero: PyValue = ["i", "0"];
  for (const [k, [, x]] of ka) if (!pyEquals(x, kb.get(k)?.[1] ?? zero)) return false;
  for (const [k, [, x]] of kb) if (!pyEquals(ka.get(k)?.[1] ?? zero, x)) return false;
  return true;
}

function sequenceEq(a: PyValue[], b: PyValue[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!pyEquals(a[i]!, b[i]!)) return false;
  return true;
}

/**
 * Python's `a == b` on two values of builtin and known standard-library types. Opaque objects
 * are never equal (callers fail on them before asking). Both values must be nested at most
 * MAX_DEPTH levels (checkAssertCall ensures it for returned values).
 */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const quick = quickNumEq(a, b);
  if (quick !== undefined) return quick;
  const na = numOf(a);
  if (na) {
    const nb = numOf(b);
    return nb !== undefined && numEq(na, nb);
  }
  switch (a[0]) {
    case "o":
      return false;
    case "N":
      return b[0] === "N";
    case "s":
      return b[0] === "s" && a[1] === b[1];
    case "y":
      return b[0] === "y" && Buffer.from(a[1], "base64").equals(Buffer.from(b[1], "base64"));
    case "l":
    case "t":
      return b[0] === a[0] && sequenceEq(a[1], b[1] as PyValue[]);
    case "S":
    case "F": {
      if (b[0] !== "S" && b[0] !== "F") return false;
      const ka = memberKeys(a[1]);
      const kb = memberKeys(b[1]);
      if (!ka || !kb || ka.size !== kb.size) return false;
      for (const k of ka) if (!kb.has(k)) return false;
      return true;
    }
    case "d":
    case "T": {
      if (opaqueType(a) || opaqueType(b)) return false;
      if (a[0] === "T" && a[1] === "re.Match") return false;
      if (a[0] === "T" && a[1] === "collections.deque") {
        return (
          b[0] === "T" && b[1] === a[1] && a[2][0] === "l" && b[2][0] === "l" && sequenceEq(a[2][1], b[2][1])
        );
      }
      const ea = dictEntries(a);
      const eb = dictEntries(b);
      if (!ea || !eb) return false;
      const typeA = a[0] === "T" ? a[1] : "dict";
      const typeB = b[0] === "T" ? b[1] : "dict";
      if (typeA === "collections.Counter" && typeB === "collections.Counter") return counterEq(ea, eb);
      if (typeA === "collections.OrderedDict" && typeB === "collections.OrderedDict") {
        // Two OrderedDicts must also hold their keys in the same order.
        if (ea.length !== eb.length) return false;
        for (let i = 0; i < ea.length; i++) if (!pyEquals(ea[i]![0], eb[i]![0])) return false;
      }
      return dictEq(ea, eb);
    }
  }
  return false;
}

/** Python's `bool(x)`; undefined for an opaque object (its `__bool__` is the candidate's). */
export function pyTruthy(v: PyValue): boolean | undefined {
  switch (v[0]) {
    case "N":
      return false;
    case "b":
      return v[1];
    case "i":
      return !pyIntIsZero(v[1]);
    case "f":
      return floatOf(v[1]) !== 0;
    case "c":
      return floatOf(v[1]) !== 0 || floatOf(v[2]) !== 0;
    case "s":
      return v[1].length > 0;
    case "y":
      return v[1].length > 0;
    case "l":
    case "t":
    case "S":
    case "F":
    case "d":
      return v[1].length > 0;
    case "T":
      if (opaqueType(v)) return undefined;
      return v[1] === "re.Match" ? true : pyTruthy(v[2]);
    case "o":
      return undefined;
  }
}

function isSingleton(got: PyValue, want: PyValue): boolean {
  if (want[0] === "N") return got[0] === "N";
  if (want[0] === "b") return got[0] === "b" && got[1] === want[1];
  return false;
}

// ---------------------------------------------------------------------------------------------
// builtins applied to the returned value

/** The items `iter(x)` yields, or a TypeError-like message. */
export function pyIterate(v: PyValue): PyValue[] | string {
  switch (v[0]) {
    case "l":
    case "t":
    case "S":
    case "F":
      return v[1];
    case "s":
      return Array.from(v[1], (ch): PyValue => ["s", ch]);
    case "y":
      return Array.from(Buffer.from(v[1], "base64"), (b): PyValue => ["i", String(b)]);
    case "d":
      return v[1].map(([k]) => k);
    case "T":
      if (v[1] === "re.Match") break;
      return pyIterate(v[2]);
    default:
      break;
  }
  return `TypeError: '${pyTypeName(v)}' object is not iterable`;
}

/** How many items iterating a str or bytes gives, counted without building them. */
function sequenceLength(v: PyValue): number | undefined {
  if (v[0] === "s") {
    let n = 0;
    for (const _ of v[1]) n++;
    return n;
  }
  if (v[0] === "y") return Buffer.byteLength(v[1], "base64");
  return undefined;
}

/** `set(x)`, `frozenset(x)`, `tuple(x)` or `list(x)` of a value, or a TypeError-like message. */
export function applyBuiltin(name: "set" | "frozenset" | "tuple" | "list", v: PyValue): PyValue | string {
  if ((name === "set" || name === "frozenset") && (v[0] === "s" || v[0] === "y")) {
    // The distinct characters (or bytes) only: one item per character of a 60 MB string
    // exhausted the heap before anything was compared.
    const distinct = new Set<string | number>(v[0] === "s" ? v[1] : Buffer.from(v[1], "base64"));
    const members = [...distinct].map((c): PyValue => (typeof c === "string" ? ["s", c] : ["i", String(c)]));
    return [name === "set" ? "S" : "F", members];
  }
  const items = pyIterate(v);
  if (typeof items === "string") return items;
  if (name === "tuple") return ["t", items];
  if (name === "list") return ["l", items];
  const kept: PyValue[] = [];
  const seen = new Set<string>();
  for (const x of items) {
    if (!pyIsHashable(x)) return `TypeError: unhashable type: '${unhashablePart(x)}'`;
    const k = pyHashKey(x);
    // Members equal to nothing (nan) are all kept: each is a distinct object.
    if (k !== undefined) {
      if (seen.has(k)) continue;
      seen.add(k);
    }
    kept.push(x);
  }
  return [name === "set" ? "S" : "F", kept];
}

/** The type Python names in "unhashable type: ...": the innermost unhashable part of a tuple. */
function unhashablePart(v: PyValue): string {
  if (v[0] === "t") {
    const inner = v[1].find((x) => !pyIsHashable(x));
    if (inner) return unhashablePart(inner);
  }
  return pyTypeName(v);
}

// ---------------------------------------------------------------------------------------------
// math.isclose and abs(x - y) < tol

/** `float(x)` for a real number as math functions convert it, or a message. */
function realAsFloat(v: PyValue): number | string {
  const n = numOf(v);
  if (!n || "re" in n) return `TypeError: must be real number, not ${pyTypeName(v)}`;
  if ("float" in n) return n.float;
  if ("big" in n) return "OverflowError: int too large to convert to float";
  const f = Number(n.int);
  return Number.isFinite(f) ? f : "OverflowError: int too large to convert to float";
}

function isclose(got: PyValue, expected: PyValue, relTol: number, absTol: number): AssertOutcome {
  const a = realAsFloat(got);
  const b = realAsFloat(expected);
  const shown = `returned ${clipRepr(got)}, expected a value close to ${clipRepr(expected)} (math.isclose with rel_tol=${relTol}, abs_tol=${absTol})`;
  if (typeof a === "string") return { ok: false, message: `${shown}: ${a}` };
  if (typeof b === "string") return { ok: false, message: `${shown}: ${b}` };
  // CPython's math_isclose_impl, step by step.
  if (a === b) return { ok: true };
  if (!Number.isFinite(a) && !Number.isNaN(a)) return { ok: false, message: shown };
  if (!Number.isFinite(b) && !Number.isNaN(b)) return { ok: false, message: shown };
  const diff = Math.abs(b - a);
  const close = diff <= Math.abs(relTol * b) || diff <= Math.abs(relTol * a) || diff <= absTol;
  return close ? { ok: true } : { ok: false, message: shown };
}

/** `got - expected` as Python computes it for numbers, or a TypeError-like message. */
function subtract(got: PyValue, expected: PyValue): Num | string {
  const a = numOf(got);
  const b = numOf(expected);
  if (!a || !b) {
    return `TypeError: unsupported operand type(s) for -: '${pyTypeName(got)}' and '${pyTypeName(expected)}'`;
  }
  if (("int" in a || "big" in a) && ("int" in b || "big" in b)) {
    // Exact, as Python's int subtraction; equal values first, so two huge equal ints cost no
    // BigInt at all.
    const as = "big" in a ? a.big : a.int.toString();
    const bs = "big" in b ? b.big : b.int.toString();
    if (pyIntEqual(as, bs)) return { int: 0n };
    return { int: ("big" in a ? pyIntValue(a.big) : a.int) - ("big" in b ? pyIntValue(b.big) : b.int) };
  }
  const toFloat = (n: Real): number | string => {
    if ("float" in n) return n.float;
    if ("big" in n) return "OverflowError: int too large to convert to float";
    const f = Number(n.int);
    return Number.isFinite(f) ? f : "OverflowError: int too large to convert to float";
  };
  if ("re" in a || "re" in b) {
    const [ar, ai] = "re" in a ? [a.re, a.im] : [toFloat(a), 0];
    const [br, bi] = "re" in b ? [b.re, b.im] : [toFloat(b), 0];
    if (typeof ar === "string") return ar;
    if (typeof br === "string") return br;
    return { re: ar - br, im: ai - bi };
  }
  const af = toFloat(a);
  const bf = toFloat(b);
  if (typeof af === "string") return af;
  if (typeof bf === "string") return bf;
  return { float: af - bf };
}

function absdiff(got: PyValue, expected: PyValue, tol: number, inclusive: boolean): AssertOutcome {
  const op = inclusive ? "<=" : "<";
  const shown = `returned ${clipRepr(got)}, expected abs(result - ${clipRepr(expected)}) ${op} ${tol}`;
  const d = subtract(got, expected);
  if (typeof d === "string") return { ok: false, message: `${shown}: ${d}` };
  let ok: boolean;
  if ("int" in d) {
    const c = compareIntFloat(d.int < 0n ? -d.int : d.int, tol);
    ok = inclusive ? c <= 0 : c < 0;
  } else {
    let m: number;
    if ("re" in d) {
      m = Math.hypot(d.re, d.im);
      // CPython raises OverflowError when the modulus of a finite complex overflows.
      if (!Number.isFinite(m) && Number.isFinite(d.re) && Number.isFinite(d.im)) {
        return { ok: false, message: `${shown}: OverflowError: absolute value too large` };
      }
    } else m = "float" in d ? Math.abs(d.float) : Number.POSITIVE_INFINITY;
    ok = inclusive ? m <= tol : m < tol;
  }
  return ok ? { ok: true } : { ok: false, message: shown };
}
