import { type PyValue, py, pyIntValue } from "../core/pyvalue.js";
import {
  applyBuiltin,
  compareIntFloat,
  floatOf,
  pyEquals,
  pyHashKey,
  pyIsHashable,
  pyTruthy,
} from "../judge/pycompare.js";
import { type BinaryOp, type CompareOp, DIGITS, MAX_INT_DIGITS, type PyExpr } from "./pyexpr.js";

/**
 * Constant folding of parsed Python expressions (pyexpr.ts) with CPython's semantics: exact
 * ints, floor division and modulo with the divisor's sign, `/` always a float, int/float mixing
 * through correctly rounded conversion, sequence concatenation and repetition, and a few
 * builtins of literals. Whatever cannot be computed to the last bit as CPython would (a float
 * power that is not exact, a division of huge ints, anything that would raise) stays unfolded.
 */

/** Longest str, bytes, list or tuple a repetition may build. */
const MAX_SEQUENCE = 1_000_000;

type Real = { int: bigint } | { float: number };

function realOf(v: PyValue): Real | undefined {
  if (v[0] === "b") return { int: v[1] ? 1n : 0n };
  if (v[0] === "i") return { int: pyIntValue(v[1]) };
  if (v[0] === "f") return { float: floatOf(v[1]) };
  return undefined;
}

/** `float(int)`: correctly rounded, and an OverflowError (undefined) past the float range. */
function intToFloat(i: bigint): number | undefined {
  const f = Number(i);
  return Number.isFinite(f) ? f : undefined;
}

function asFloat(r: Real): number | undefined {
  return "float" in r ? r.float : intToFloat(r.int);
}

function intValue(i: bigint): PyValue | undefined {
  // A result Python could not even print (int_max_str_digits) is not worth folding.
  const s = i.toString();
  return s.replace("-", "").length > MAX_INT_DIGITS ? undefined : ["i", s];
}

function bitLength(i: bigint): number {
  return (i < 0n ? -i : i).toString(2).length;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function floorMod(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r !== 0n && r < 0n !== b < 0n ? r + b : r;
}

function copysignZero(sign: number): number {
  return sign < 0 || Object.is(sign, -0) ? -0 : 0;
}

/** CPython's _float_div_mod, for finite operands and a non-zero divisor. */
function floatDivMod(vx: number, wx: number): [number, number] {
  let mod = vx % wx;
  let div = (vx - mod) / wx;
  if (mod) {
    if (wx < 0 !== mod < 0) {
      mod += wx;
      div -= 1.0;
    }
  } else mod = copysignZero(wx);
  let floordiv: number;
  if (div) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else floordiv = copysignZero(vx / wx);
  return [floordiv, mod];
}

const BITS = new DataView(new ArrayBuffer(8));

/** |x| = mant * 2**exp with mant odd, for finite non-zero x. */
function dyadicOf(x: number): { mant: bigint; exp: number } {
  BITS.setFloat64(0, Math.abs(x));
  const bits = BITS.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp = -1074;
  if (biased !== 0) {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  while ((mant & 1n) === 0n) {
    mant >>= 1n;
    exp++;
  }
  return { mant, exp };
}

/** 2**k exactly, for -1074 <= k <= 1023 (built from its bits, not by a library pow). */
function pow2(k: number): number {
  BITS.setBigUint64(0, k >= -1022 ? BigInt(k + 1023) << 52n : 1n << BigInt(k + 1074));
  return BITS.getFloat64(0);
}

/** mant * 2**exp as a double when it is exactly one; undefined otherwise. */
function exactDouble(mant: bigint, exp: number): number | undefined {
  const len = bitLength(mant);
  if (len > 53 || exp < -1074 || exp + len - 1 > 1023) return undefined;
  return Number(mant) * pow2(exp);
}

/**
 * `x ** n` for a float x and an integral n, folded only when the exact power is a double: then
 * every correctly rounding (or sub-ulp) pow, C's included, returns that very double.
 */
function floatPow(x: number, y: number): number | undefined {
  if (!Number.isFinite(x) || !Number.isInteger(y) || Math.abs(y) > 2048) return undefined;
  if (y === 0) return 1;
  if (x === 0) {
    if (y < 0) return undefined; // ZeroDivisionError
    return Object.is(x, -0) && y % 2 !== 0 ? -0 : 0;
  }
  const negative = x < 0 && y % 2 !== 0;
  const { mant, exp } = dyadicOf(x);
  let r: number | undefined;
  if (y > 0) {
    // mant**y has at least (bitLength(mant) - 1) * y + 1 bits: too many is not a double.
    if ((bitLength(mant) - 1) * y + 1 > 53) return undefined;
    r = exactDouble(mant ** BigInt(y), exp * y);
  } else {
    if (mant !== 1n) return undefined;
    r = exactDouble(1n, exp * y);
  }
  return r === undefined ? undefined : negative ? -r : r;
}

function repeat(v: PyValue, count: bigint): PyValue | undefined {
  const n = count < 0n ? 0 : count;
  if (v[0] === "s" || v[0] === "y") {
    const unit = v[0] === "s" ? v[1] : Buffer.from(v[1], "base64").toString("latin1");
    if (BigInt(unit.length) * BigInt(n) > BigInt(MAX_SEQUENCE)) return undefined;
    const s = unit.repeat(Number(n));
    return v[0] === "s" ? ["s", s] : ["y", Buffer.from(s, "latin1").toString("base64")];
  }
  if (v[0] === "l" || v[0] === "t") {
    if (BigInt(v[1].length) * BigInt(n) > BigInt(MAX_SEQUENCE)) return undefined;
    const items: PyValue[] = [];
    for (let k = 0; k < Number(n); k++) for (const x of v[1]) items.push(x);
    return [v[0], items];
  }
  return undefined;
}

function concat(a: PyValue, b: PyValue): PyValue | undefined {
  if (a[0] === "s" && b[0] === "s") return ["s", a[1] + b[1]];
  if (a[0] === "y" && b[0] === "y") {
    return [
      "y",
      Buffer.concat([Buffer.from(a[1], "base64"), Buffer.from(b[1], "base64")]).toString("base64"),
    ];
  }
  if ((a[0] === "l" && b[0] === "l") || (a[0] === "t" && b[0] === "t")) return [a[0], [...a[1], ...b[1]]];
  return undefined;
}

function intArith(op: BinaryOp, a: bigint, b: bigint): PyValue | undefined {
  switch (op) {
    case "+":
      return intValue(a + b);
    case "-":
      return intValue(a - b);
    case "*":
      return bitLength(a) + bitLength(b) > 4 * MAX_INT_DIGITS ? undefined : intValue(a * b);
    case "/": {
      // Python divides exactly and rounds once; doubles do the same only for exact operands.
      const limit = 2n ** 53n;
      if (b === 0n || a > limit || a < -limit || b > limit || b < -limit) return undefined;
      return py.float(Number(a) / Number(b));
    }
    case "//":
      return b === 0n ? undefined : intValue(floorDiv(a, b));
    case "%":
      return b === 0n ? undefined : intValue(floorMod(a, b));
    case "**": {
      if (b < 0n) {
        const x = intToFloat(a);
        const r = x === undefined || a === 0n ? undefined : floatPow(x, Number(b));
        return r === undefined ? undefined : py.float(r);
      }
      if (a === 0n || a === 1n) return intValue(b === 0n ? 1n : a);
      if (a === -1n) return intValue(b % 2n === 0n ? 1n : -1n);
      if (BigInt(bitLength(a) - 1) * b > BigInt(4 * MAX_INT_DIGITS)) return undefined;
      return intValue(a ** b);
    }
    case "<<":
      if (b < 0n || BigInt(bitLength(a)) + b > BigInt(4 * MAX_INT_DIGITS)) return undefined;
      return intValue(a << b);
    case ">>":
      return b < 0n ? undefined : intValue(a >> b);
    case "&":
      return intValue(a & b);
    case "|":
      return intValue(a | b);
    case "^":
      return intValue(a ^ b);
  }
}

function floatArith(op: BinaryOp, a: number, b: number): PyValue | undefined {
  switch (op) {
    case "+":
      return py.float(a + b);
    case "-":
      return py.float(a - b);
    case "*":
      return py.float(a * b);
    case "/":
      return b === 0 ? undefined : py.float(a / b);
    case "//":
    case "%": {
      if (b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return undefined;
      const [q, r] = floatDivMod(a, b);
      return py.float(op === "//" ? q : r);
    }
    case "**": {
      const r = floatPow(a, b);
      return r === undefined ? undefined : py.float(r);
    }
    default:
      return undefined;
  }
}

function binaryValue(op: BinaryOp, a: PyValue, b: PyValue): PyValue | undefined {
  if (op === "+") {
    const joined = concat(a, b);
    if (joined) return joined;
  }
  if (op === "*") {
    const ra = realOf(a);
    const rb = realOf(b);
    if (rb && "int" in rb && !ra) return repeat(a, rb.int);
    if (ra && "int" in ra && !rb) return repeat(b, ra.int);
  }
  if ((op === "&" || op === "|" || op === "^") && a[0] === "b" && b[0] === "b") {
    return ["b", op === "&" ? a[1] && b[1] : op === "|" ? a[1] || b[1] : a[1] !== b[1]];
  }
  const ra = realOf(a);
  const rb = realOf(b);
  if (!ra || !rb) return undefined;
  if ("int" in ra && "int" in rb) return intArith(op, ra.int, rb.int);
  if (op === "<<" || op === ">>" || op === "&" || op === "|" || op === "^") return undefined;
  const fa = asFloat(ra);
  const fb = asFloat(rb);
  if (fa === undefined || fb === undefined) return undefined;
  return floatArith(op, fa, fb);
}

function unaryValue(op: "-" | "+" | "~" | "not", v: PyValue): PyValue | undefined {
  if (op === "not") {
    const truth = pyTruthy(v);
    return truth === undefined ? undefined : ["b", !truth];
  }
  const r = realOf(v);
  if (!r) return undefined;
  if ("int" in r) return intValue(op === "-" ? -r.int : op === "+" ? r.int : ~r.int);
  if (op === "~") return undefined;
  return py.float(op === "-" ? -r.float : r.float);
}

/** Exact order of two real numbers: -1, 0, 1, or NaN when one is nan. */
function compareReals(a: Real, b: Real): number {
  if ("int" in a && "int" in b) return a.int < b.int ? -1 : a.int > b.int ? 1 : 0;
  if ("int" in a) return compareIntFloat(a.int, (b as { float: number }).float);
  if ("int" in b) return -compareIntFloat(b.int, a.float);
  return a.float < b.float ? -1 : a.float > b.float ? 1 : a.float === b.float ? 0 : Number.NaN;
}

function compareValue(op: CompareOp, a: PyValue, b: PyValue): boolean | undefined {
  if (op === "==") return pyEquals(a, b);
  if (op === "!=") return !pyEquals(a, b);
  const ra = realOf(a);
  const rb = realOf(b);
  if (!ra || !rb || !(op === "<" || op === "<=" || op === ">" || op === ">=")) return undefined;
  const c = compareReals(ra, rb);
  if (Number.isNaN(c)) return false;
  return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
}

const FLOAT_STRING = new RegExp(
  `^[+-]?(?:(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`,
  "i",
);
const INT_STRING = new RegExp(`^[+-]?${DIGITS}$`);

/** The ASCII whitespace `str.strip()` removes; other space characters are left unfolded. */
function stripAscii(s: string): string | undefined {
  const t = s.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, "");
  return /^[\x21-\x7e]*$/.test(t) ? t : undefined;
}

function floatFromString(s: string): number | undefined {
  const t = stripAscii(s);
  if (t === undefined || !FLOAT_STRING.test(t)) return undefined;
  const body = t.replace(/^[+-]/, "").toLowerCase();
  const sign = t.startsWith("-") ? -1 : 1;
  if (body === "nan") return Number.NaN;
  if (body === "inf" || body === "infinity") return sign * Number.POSITIVE_INFINITY;
  return sign * Number(body.replace(/_/g, ""));
}

function intFromString(s: string): bigint | undefined {
  const t = stripAscii(s);
  if (t === undefined || !INT_STRING.test(t)) return undefined;
  const digits = t.replace(/^[+-]/, "").replace(/_/g, "");
  if (digits.length > MAX_INT_DIGITS) return undefined;
  const v = BigInt(digits);
  return t.startsWith("-") ? -v : v;
}

/** tuple(), list(), set(), frozenset(), float() and int() of constant arguments. */
function builtinCall(name: string, args: PyValue[]): PyValue | undefined {
  if (args.length > 1) return undefined;
  const arg = args[0];
  switch (name) {
    case "tuple":
    case "list":
    case "set":
    case "frozenset": {
      if (!arg)
        return name === "tuple" ? ["t", []] : name === "list" ? ["l", []] : [name === "set" ? "S" : "F", []];
      // Iterating a set follows its hash order, which a constant folder should not predict.
      if ((name === "tuple" || name === "list") && (arg[0] === "S" || arg[0] === "F")) return undefined;
      if (!["l", "t", "s", "y", "d", "S", "F"].includes(arg[0])) return undefined;
      const v = applyBuiltin(name, arg);
      return typeof v === "string" ? undefined : v;
    }
    case "float": {
      if (!arg) return py.float(0);
      if (arg[0] === "s") {
        const f = floatFromString(arg[1]);
        return f === undefined ? undefined : py.float(f);
      }
      const r = realOf(arg);
      if (!r) return undefined;
      const f = asFloat(r);
      return f === undefined ? undefined : py.float(f);
    }
    case "int": {
      if (!arg) return ["i", "0"];
      if (arg[0] === "s") {
        const i = intFromString(arg[1]);
        return i === undefined ? undefined : intValue(i);
      }
      const r = realOf(arg);
      if (!r) return undefined;
      if ("int" in r) return intValue(r.int);
      return Number.isFinite(r.float) ? intValue(BigInt(Math.trunc(r.float))) : undefined;
    }
    default:
      return undefined;
  }
}

/** Members in display order, the first of equal ones kept (as BUILD_SET does); unhashable: undefined. */
function setDisplay(items: PyValue[]): PyValue | undefined {
  const v = applyBuiltin("set", ["l", items]);
  return typeof v === "string" ? undefined : v;
}

/** Dict display: the first key object of equal keys, with the last value given for it. */
function dictDisplay(entries: [PyValue, PyValue][]): PyValue | undefined {
  const out: [PyValue, PyValue][] = [];
  const at = new Map<string, number>();
  for (const [k, v] of entries) {
    if (!pyIsHashable(k)) return undefined;
    const key = pyHashKey(k);
    const seen = key === undefined ? undefined : at.get(key);
    if (seen !== undefined) out[seen]![1] = v;
    else {
      if (key !== undefined) at.set(key, out.length);
      out.push([k, v]);
    }
  }
  return ["d", out];
}

function allValues(nodes: PyExpr[]): PyValue[] | undefined {
  const out: PyValue[] = [];
  for (const n of nodes) {
    const v = constValue(n);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/**
 * The value of an expression made only of literals, computed as CPython would; undefined for
 * anything else (names, calls other than a few builtins of literals, anything that would raise,
 * anything whose result this folder cannot guarantee to the last bit).
 */
export function constValue(node: PyExpr): PyValue | undefined {
  switch (node.kind) {
    case "int":
      return intValue(node.value);
    case "float":
      return py.float(node.value);
    case "str":
      return ["s", node.value];
    case "bytes":
      return ["y", Buffer.from(node.value, "latin1").toString("base64")];
    case "const":
      return node.value === null ? ["N"] : ["b", node.value];
    case "unary": {
      const v = constValue(node.operand);
      return v === undefined ? undefined : unaryValue(node.op, v);
    }
    case "binary": {
      const a = constValue(node.left);
      const b = a === undefined ? undefined : constValue(node.right);
      return a === undefined || b === undefined ? undefined : binaryValue(node.op, a, b);
    }
    case "compare": {
      const values = allValues([node.left, ...node.comparators]);
      if (!values) return undefined;
      let result = true;
      for (let k = 0; k < node.ops.length; k++) {
        const r = compareValue(node.ops[k]!, values[k]!, values[k + 1]!);
        if (r === undefined) return undefined;
        result &&= r;
      }
      return ["b", result];
    }
    case "boolop": {
      // Every operand must fold, even those Python would not evaluate: nothing is left unread.
      const values = allValues(node.values);
      if (!values) return undefined;
      for (const v of values.slice(0, -1)) {
        const truth = pyTruthy(v)!;
        if (node.op === "and" ? !truth : truth) return v;
      }
      return values[values.length - 1];
    }
    case "tuple":
    case "list": {
      const items = allValues(node.items);
      return items ? [node.kind === "tuple" ? "t" : "l", items] : undefined;
    }
    case "set": {
      const items = allValues(node.items);
      return items ? setDisplay(items) : undefined;
    }
    case "dict": {
      const keys = allValues(node.entries.map(([k]) => k));
      const values = keys && allValues(node.entries.map(([, v]) => v));
      return keys && values ? dictDisplay(keys.map((k, n) => [k, values[n]!])) : undefined;
    }
    case "call": {
      if (node.func.kind !== "name" || node.keywords.length > 0) return undefined;
      const args = allValues(node.args);
      return args ? builtinCall(node.func.id, args) : undefined;
    }
    default:
      return undefined;
  }
}
