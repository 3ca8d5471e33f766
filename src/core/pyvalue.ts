import { createHash } from "node:crypto";

/**
 * A Python value as data: the form in which function-call arguments are sent into the sandbox
 * and return values come back out of it. Types are explicit, so `1`, `1.0`, `True`, `(1,)` and
 * `[1]` stay distinct, integers keep every digit, and an object of any other class (for example
 * one whose `__eq__` always says True) arrives as an opaque `["o", type, repr]` that equals nothing.
 *
 * The same JSON encoding is produced and parsed by src/sandbox/runner.py.
 */
export type PyValue =
  | ["N"]
  | ["b", boolean]
  | ["i", string]
  | ["f", number | "nan" | "inf" | "-inf"]
  | ["s", string]
  | ["y", string]
  | ["l", PyValue[]]
  | ["t", PyValue[]]
  | ["S", PyValue[]]
  | ["F", PyValue[]]
  | ["d", [PyValue, PyValue][]]
  | ["c", number | "nan" | "inf" | "-inf", number | "nan" | "inf" | "-inf"]
  /**
   * A value of a known standard-library type with value semantics, carried as its builtin
   * form: collections.Counter / OrderedDict / defaultdict (a dict), collections.deque (a list),
   * re.Match (a tuple of its span and matched text).
   */
  | ["T", string, PyValue]
  | ["o", string, string];

/** Bumped whenever the encoding changes, so cached expected outputs are computed again. */
export const PYVALUE_ENCODING_VERSION = 3;

/**
 * Integers wider than this many bits travel in hexadecimal (`0x...`, `-0x...`): CPython 3.11
 * turns an int into decimal in quadratic time (10 s for 845,000 digits, 7 ms in hex), and
 * HumanEval+ returns such ints. Every other int is decimal. For one value the form is fixed,
 * so equal values from the sandbox compare as equal strings.
 */
export const PY_INT_HEX_BITS = 16384;
/** Decimal strings shorter than this cannot exceed PY_INT_HEX_BITS bits. */
const SHORT_DECIMAL = 4900;

/** An int PyValue's string taken apart: sign, base, digits without leading zeros ("" for 0). */
export interface PyIntParts {
  negative: boolean;
  hex: boolean;
  digits: string;
}

export function pyIntParts(s: string): PyIntParts {
  let i = 0;
  let negative = false;
  if (s[0] === "-" || s[0] === "+") {
    negative = s[0] === "-";
    i = 1;
  }
  const hex = s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X");
  if (hex) i += 2;
  while (s[i] === "0") i++;
  const digits = hex ? s.slice(i).toLowerCase() : s.slice(i);
  return { negative: negative && digits !== "", hex, digits };
}

const LOG2_10 = Math.log2(10);

/** Bounds on the bit length of |value|, from the digit count alone. */
function bitRange(p: PyIntParts): [number, number] {
  const n = p.digits.length;
  if (n === 0) return [0, 0];
  return p.hex ? [4 * (n - 1) + 1, 4 * n] : [Math.floor((n - 1) * LOG2_10) + 1, Math.ceil(n * LOG2_10)];
}

/**
 * Whether two int strings hold the same value, in time linear in their length whenever they
 * differ in size: a BigInt is built only for two strings of the same magnitude in different
 * bases (BigInt of 60 million decimal digits takes V8 half a minute).
 */
export function pyIntEqual(a: string, b: string): boolean {
  if (a === b) return true;
  const pa = pyIntParts(a);
  const pb = pyIntParts(b);
  if (pa.negative !== pb.negative) return false;
  if (pa.hex === pb.hex) return pa.digits === pb.digits;
  const [aLo, aHi] = bitRange(pa);
  const [bLo, bHi] = bitRange(pb);
  if (aHi < bLo || bHi < aLo) return false;
  return pyIntValue(a) === pyIntValue(b);
}

export function pyIntIsZero(s: string): boolean {
  return pyIntParts(s).digits === "";
}

/**
 * True when |value| < 2^1096, read off the digit count: such ints convert to BigInt (and to
 * float, when below 2^1024) in no time; larger ones exceed every float.
 */
export function pyIntIsSmall(s: string): boolean {
  return bitRange(pyIntParts(s))[1] <= 1096;
}

/** The value of an int PyValue's string, decimal or hexadecimal. */
export function pyIntValue(s: string): bigint {
  if (s.startsWith("-0x")) return -BigInt(s.slice(1));
  return BigInt(s);
}

/** The one string a value has in runner.py's encoding: the form for equality and keys. */
export function pyIntCanonical(s: string): string {
  const p = pyIntParts(s);
  if (p.hex) return `${p.negative ? "-" : ""}0x${p.digits || "0"}`;
  if (p.digits.length < SHORT_DECIMAL) return `${p.negative ? "-" : ""}${p.digits || "0"}`;
  const v = BigInt(s);
  const bits = (v < 0n ? -v : v).toString(2).length;
  if (bits <= PY_INT_HEX_BITS) return s;
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/** Decimal text of an int PyValue's string, for people and models. */
export function pyIntDecimal(s: string): string {
  return s.includes("x") ? pyIntValue(s).toString() : s;
}

export const py = {
  none: (): PyValue => ["N"],
  bool: (v: boolean): PyValue => ["b", v],
  int: (v: number | bigint | string): PyValue => ["i", BigInt(v).toString()],
  float: (v: number): PyValue => [
    "f",
    Number.isNaN(v)
      ? "nan"
      : v === Number.POSITIVE_INFINITY
        ? "inf"
        : v === Number.NEGATIVE_INFINITY
          ? "-inf"
          : v,
  ],
  str: (v: string): PyValue => ["s", v],
  list: (items: PyValue[]): PyValue => ["l", items],
  tuple: (items: PyValue[]): PyValue => ["t", items],
  set: (items: PyValue[]): PyValue => ["S", items],
  dict: (entries: [PyValue, PyValue][]): PyValue => ["d", entries],
};

export class PyValueError extends Error {}

/**
 * Parses JSON text into a PyValue, keeping what JSON.parse would lose: whether a number was
 * written as an integer (`2`) or a float (`2.0`, `1e5`), and every digit of big integers.
 * Objects become dicts with string keys.
 */
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

export function pyFromJsonText(text: string, options: { maxIntDigits?: number } = {}): PyValue {
  const maxIntDigits = options.maxIntDigits ?? Number.POSITIVE_INFINITY;
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++;
  };
  const fail = (what: string): never => {
    throw new PyValueError(`invalid JSON at offset ${i}: ${what}`);
  };
  const parseString = (): string => {
    // Find the closing quote, then let JSON.parse handle escapes.
    const start = i;
    i++;
    while (i < n && text[i] !== '"') {
      if (text[i] === "\\") i++;
      i++;
    }
    if (i >= n) fail("unterminated string");
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: [PyValue, PyValue][] = [];
      ws();
      if (text[i] === "}") {
        i++;
        return ["d", entries];
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a string key");
        const key = parseString();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        entries.push([["s", key], value()]);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return ["d", entries];
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: PyValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return ["l", items];
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return ["l", items];
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return ["s", parseString()];
    if (text.startsWith("true", i)) {
      i += 4;
      return ["b", true];
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return ["b", false];
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return ["N"];
    }
    // Python's json module also writes these non-standard literals.
    if (text.startsWith("NaN", i)) {
      i += 3;
      return ["f", "nan"];
    }
    if (text.startsWith("Infinity", i)) {
      i += 8;
      return ["f", "inf"];
    }
    if (text.startsWith("-Infinity", i)) {
      i += 9;
      return ["f", "-inf"];
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail("unexpected character");
    const lexeme = m![0];
    i += lexeme.length;
    if (m![1] === undefined && m![2] === undefined) {
      // Checked before BigInt, whose decimal parsing is quadratic (seconds for a million digits).
      if (lexeme.length > maxIntDigits + 1) fail("integer too long");
      return ["i", BigInt(lexeme).toString()];
    }
    return py.float(Number(lexeme));
  };
  const result = value();
  ws();
  if (i !== n) fail("trailing characters");
  return result;
}

/** Converts a plain JS value (from JSON.parse or code) into a PyValue. */
export function pyFromJs(v: unknown): PyValue {
  if (v === null || v === undefined) return ["N"];
  if (typeof v === "boolean") return ["b", v];
  if (typeof v === "bigint") return ["i", v.toString()];
  if (typeof v === "number") return Number.isInteger(v) ? ["i", BigInt(v).toString()] : py.float(v);
  if (typeof v === "string") return ["s", v];
  if (Array.isArray(v)) return ["l", v.map(pyFromJs)];
  if (typeof v === "object") {
    return ["d", Object.entries(v).map(([k, x]): [PyValue, PyValue] => [["s", k], pyFromJs(x)])];
  }
  throw new PyValueError(`cannot convert ${typeof v} to a Python value`);
}

const SINGLE_QUOTE = /'/;
function reprString(s: string): string {
  const quote = SINGLE_QUOTE.test(s) && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch < " ") out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's complex repr: `(1+2j)`, `(1.5-0.5j)`, `2j` when the real part is +0. */
function reprComplex(re: number | string, im: number | string): string {
  const part = (x: number | string) => reprFloat(x).replace(/\.0$/, "");
  if (re === 0 && !Object.is(re, -0)) return `${part(im)}j`;
  const negative = typeof im === "number" ? im < 0 || Object.is(im, -0) : im === "-inf";
  const abs = typeof im === "number" ? Math.abs(im) : im === "-inf" ? "inf" : im;
  return `(${part(re)}${negative ? "-" : "+"}${part(abs)}j)`;
}

function reprFloat(f: number | string): string {
  if (f === "nan") return "nan";
  if (f === "inf") return "inf";
  if (f === "-inf") return "-inf";
  const x = f as number;
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const s = String(x);
  return s.includes("e") ? s.replace(/e\+?(-?)(\d)$/, "e$10$2").replace("e+", "e+") : s;
}

/** Python-like repr, for showing values to people and models. */
export function pyRepr(v: PyValue): string {
  switch (v[0]) {
    case "N":
      return "None";
    case "b":
      return v[1] ? "True" : "False";
    case "i":
      return pyIntDecimal(v[1]);
    case "f":
      return reprFloat(v[1]);
    case "s":
      return reprString(v[1]);
    case "y":
      return `b${reprString(Buffer.from(v[1], "base64").toString("latin1"))}`;
    case "l":
      return `[${v[1].map(pyRepr).join(", ")}]`;
    case "t":
      return v[1].length === 1 ? `(${pyRepr(v[1][0]!)},)` : `(${v[1].map(pyRepr).join(", ")})`;
    case "S":
      return v[1].length === 0 ? "set()" : `{${v[1].map(pyRepr).join(", ")}}`;
    case "F":
      return `frozenset({${v[1].map(pyRepr).join(", ")}})`;
    case "d":
      return `{${v[1].map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
    case "c":
      return reprComplex(v[1], v[2]);
    case "T": {
      const short = v[1].split(".").pop()!;
      if (v[1] === "re.Match" && v[2][0] === "t") {
        const [span, text] = v[2][1];
        return `<re.Match object; span=${pyRepr(span!)}, match=${pyRepr(text!)}>`;
      }
      return `${short}(${pyRepr(v[2])})`;
    }
    case "o":
      return v[2];
  }
}

/**
 * repr() of a value clipped to `max` characters, rendering only the part that can show: a
 * 60 MB string or a million-element list costs no more than a short one (a full repr of a
 * program's 60 MB return value took 14 s for a 300-character message).
 */
export function pyReprClipped(v: PyValue, max: number): string {
  // Every node renders as at least one character, so the first nodes in order cover the clip.
  const budget = { nodes: 2 * max };
  const s = pyRepr(shrink(v, budget, max));
  return s.length > max ? `${s.slice(0, Math.max(0, max - 3))}...` : s;
}

function shrink(v: PyValue, budget: { nodes: number }, max: number): PyValue {
  budget.nodes--;
  const take = <X>(xs: X[], one: (x: X) => X): X[] => {
    const out: X[] = [];
    for (const x of xs) {
      if (budget.nodes <= 0) break;
      out.push(one(x));
    }
    return out;
  };
  switch (v[0]) {
    case "s":
      return v[1].length > 4 * max ? ["s", v[1].slice(0, 4 * max)] : v;
    case "y": {
      const b = Buffer.from(v[1], "base64");
      return b.length > 4 * max ? ["y", b.subarray(0, 4 * max).toString("base64")] : v;
    }
    case "i": {
      // A wide int's decimal digits would need a BigInt conversion: show its size instead.
      if (pyIntIsSmall(v[1])) return v;
      const p = pyIntParts(v[1]);
      const digits = p.hex ? Math.ceil(p.digits.length * Math.log10(16)) : p.digits.length;
      const head = p.hex ? "" : ` ${p.digits.slice(0, 12)}...`;
      return ["o", "int", `<int of ${p.hex ? "about " : ""}${digits} digits${head}>`];
    }
    case "l":
    case "t":
    case "S":
    case "F":
      return [v[0], take(v[1], (x) => shrink(x, budget, max))];
    case "d":
      return ["d", take(v[1], ([k, x]) => [shrink(k, budget, max), shrink(x, budget, max)])];
    case "T":
      // A match renders from its whole (span, text) pair.
      return v[1] === "re.Match" ? v : ["T", v[1], shrink(v[2], budget, max)];
    default:
      return v;
  }
}

export interface PyEqualOptions {
  absTol?: number;
  relTol?: number;
  /** Expected came from JSON: a list matches a tuple, a float matches an int. */
  loose?: boolean;
  /** numpy.allclose: within absTol + relTol * |want| (else: within either one). */
  sumTolerance?: boolean;
}

function asNumber(v: PyValue): number | undefined {
  if (v[0] === "f") {
    const f = v[1];
    return f === "nan"
      ? Number.NaN
      : f === "inf"
        ? Number.POSITIVE_INFINITY
        : f === "-inf"
          ? Number.NEGATIVE_INFINITY
          : f;
  }
  if (v[0] === "i")
    return pyIntIsSmall(v[1])
      ? Number(pyIntValue(v[1]))
      : pyIntParts(v[1]).negative
        ? Number.NEGATIVE_INFINITY
        : Number.POSITIVE_INFINITY;
  return undefined;
}

function partNumber(x: number | "nan" | "inf" | "-inf"): number {
  return x === "nan"
    ? Number.NaN
    : x === "inf"
      ? Number.POSITIVE_INFINITY
      : x === "-inf"
        ? Number.NEGATIVE_INFINITY
        : x;
}

function floatsClose(want: number, got: number, o: PyEqualOptions): boolean {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got);
  if (want === got) return true;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return false;
  const diff = Math.abs(want - got);
  if (o.sumTolerance) return diff <= (o.absTol ?? 0) + (o.relTol ?? 0) * Math.abs(want);
  if (o.absTol !== undefined && diff <= o.absTol) return true;
  if (o.relTol !== undefined && diff <= o.relTol * Math.abs(want)) return true;
  return false;
}

/** A canonical key for values without floats, so sets and dicts compare in O(n log n). */
/**
 * A long key stands for itself by its digest: keys of nested values are built from their
 * children's keys, and copying whole subtrees' keys at every level made a 200-deep value of 2M
 * items cost half a minute. Digests keep every level's work proportional to its own children.
 */
export function compactKey(key: string): string {
  return key.length <= 256 ? key : `#${createHash("sha256").update(key).digest("base64")}`;
}

function canonicalKey(v: PyValue): string | undefined {
  switch (v[0]) {
    case "f":
    case "c":
    case "o":
      return undefined;
    case "T": {
      const inner = canonicalKey(v[2]);
      return inner === undefined ? undefined : compactKey(`T:${v[1]}(${inner})`);
    }
    case "l":
    case "t":
    case "S":
    case "F": {
      const parts: string[] = [];
      for (const x of v[1]) {
        const k = canonicalKey(x);
        if (k === undefined) return undefined;
        parts.push(k);
      }
      if (v[0] === "S" || v[0] === "F") parts.sort();
      return compactKey(`${v[0]}(${parts.join(",")})`);
    }
    case "d": {
      const parts: string[] = [];
      for (const [k, x] of v[1]) {
        const a = canonicalKey(k);
        const b = canonicalKey(x);
        if (a === undefined || b === undefined) return undefined;
        parts.push(`${a}:${b}`);
      }
      parts.sort();
      return compactKey(`d(${parts.join(",")})`);
    }
    case "i":
      // Values from the sandbox are canonical already (decimal of at most 4933 digits, else
      // hexadecimal): only a dataset's own huge decimal is converted here.
      return `i:${pyIntCanonical(v[1])}`;
    default:
      return compactKey(JSON.stringify(v));
  }
}

/** Unordered comparison: every expected element is matched by a distinct actual element. */
function unorderedEqual(want: PyValue[], got: PyValue[], o: PyEqualOptions): boolean {
  if (want.length !== got.length) return false;
  const wantKeys = want.map(canonicalKey);
  const gotKeys = got.map(canonicalKey);
  if (wantKeys.every((k) => k !== undefined) && gotKeys.every((k) => k !== undefined)) {
    const a = (wantKeys as string[]).slice().sort();
    const b = (gotKeys as string[]).slice().sort();
    return a.every((k, i) => k === b[i]);
  }
  const used = new Array<boolean>(got.length).fill(false);
  outer: for (const w of want) {
    for (let j = 0; j < got.length; j++) {
      if (!used[j] && pyEqual(w, got[j]!, o)) {
        used[j] = true;
        continue outer;
      }
    }
    return false;
  }
  return true;
}

/**
 * Type-strict equality of an expected and an actual value, with float tolerance applied
 * recursively. Opaque objects never compare equal.
 */
export function pyEqual(want: PyValue, got: PyValue, o: PyEqualOptions = {}): boolean {
  if (want[0] === "o" || got[0] === "o") return false;
  if (want[0] === "f") {
    if (got[0] !== "f" && !(got[0] === "i")) return false;
    return floatsClose(asNumber(want)!, asNumber(got)!, o);
  }
  // An expected int (JSON data: TACO, LiveCodeBench) matches an integral float of the very
  // same value, never one within tolerance: 1e9 is not 1000000007.
  if (want[0] === "i" && got[0] === "f" && o.loose) {
    const g = got[1];
    return typeof g === "number" && Number.isInteger(g) && pyIntEqual(want[1], BigInt(g).toString());
  }
  if (want[0] === "l" && o.loose && got[0] === "t") return pyEqual(want, ["l", got[1]], o);
  if (want[0] !== got[0]) return false;
  switch (want[0]) {
    case "N":
      return true;
    case "c": {
      const g = got as typeof want;
      return (
        floatsClose(partNumber(want[1]), partNumber(g[1]), o) &&
        floatsClose(partNumber(want[2]), partNumber(g[2]), o)
      );
    }
    case "T": {
      const g = got as typeof want;
      return want[1] === g[1] && pyEqual(want[2], g[2], o);
    }
    case "i":
      return pyIntEqual(want[1], got[1] as string);
    case "b":
    case "s":
    case "y":
      return want[1] === got[1];
    case "l":
    case "t": {
      const a = want[1];
      const b = got[1] as PyValue[];
      return a.length === b.length && a.every((x, i) => pyEqual(x, b[i]!, o));
    }
    case "S":
    case "F":
      return unorderedEqual(want[1], got[1] as PyValue[], o);
    case "d": {
      const a = want[1];
      const b = got[1] as [PyValue, PyValue][];
      if (a.length !== b.length) return false;
      const byKey = new Map<string, PyValue>();
      for (const [k, x] of b) {
        const key = canonicalKey(k);
        if (key === undefined) return unorderedEqual(a.map(pairToTuple), b.map(pairToTuple), o);
        byKey.set(key, x);
      }
      for (const [k, x] of a) {
        const key = canonicalKey(k);
        if (key === undefined) return unorderedEqual(a.map(pairToTuple), b.map(pairToTuple), o);
        const g = byKey.get(key);
        if (g === undefined || !pyEqual(x, g, o)) return false;
      }
      return true;
    }
  }
  return false;
}

function pairToTuple([k, v]: [PyValue, PyValue]): PyValue {
  return ["t", [k, v]];
}

/** True when the value contains a float anywhere (callers use it to decide on tolerance). */
export function pyHasFloat(v: PyValue): boolean {
  switch (v[0]) {
    case "f":
    case "c":
      return true;
    case "T":
      return pyHasFloat(v[2]);
    case "l":
    case "t":
    case "S":
    case "F":
      return v[1].some(pyHasFloat);
    case "d":
      return v[1].some(([k, x]) => pyHasFloat(k) || pyHasFloat(x));
    default:
      return false;
  }
}
