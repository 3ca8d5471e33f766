import { SIMPLE_ESCAPES } from "./pyliteral.js";

/**
 * The Python expressions assert statements are written in, read without running anything: a
 * tokenizer and a parser into a small AST (pyfold.ts computes the value of constant ones).
 * Whatever this subset does not cover (f-strings, lambdas, comprehensions, conditional
 * expressions, starred arguments, complex literals) is a PyExprError.
 */

export class PyExprError extends Error {}

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is" | "is not";
export type BinaryOp = "+" | "-" | "*" | "/" | "//" | "%" | "**" | "<<" | ">>" | "&" | "|" | "^";

export type PyExpr =
  | { kind: "int"; value: bigint }
  | { kind: "float"; value: number }
  | { kind: "str"; value: string }
  /** Bytes as a string of char codes 0-255. */
  | { kind: "bytes"; value: string }
  | { kind: "const"; value: boolean | null }
  | { kind: "name"; id: string }
  | { kind: "attribute"; value: PyExpr; attr: string }
  | { kind: "call"; func: PyExpr; args: PyExpr[]; keywords: { name: string; value: PyExpr }[] }
  | { kind: "subscript"; value: PyExpr; index: PyExpr }
  | { kind: "slice"; lower?: PyExpr; upper?: PyExpr; step?: PyExpr }
  | { kind: "unary"; op: "-" | "+" | "~" | "not"; operand: PyExpr }
  | { kind: "binary"; op: BinaryOp; left: PyExpr; right: PyExpr }
  | { kind: "compare"; left: PyExpr; ops: CompareOp[]; comparators: PyExpr[] }
  | { kind: "boolop"; op: "and" | "or"; values: PyExpr[] }
  | { kind: "tuple" | "list" | "set"; items: PyExpr[] }
  | { kind: "dict"; entries: [PyExpr, PyExpr][] };

// ---------------------------------------------------------------------------------------------
// tokens

export type Token =
  | { t: "int"; v: bigint; at: number }
  | { t: "float"; v: number; at: number }
  | { t: "str"; v: string; bytes: boolean; at: number }
  | { t: "name"; v: string; at: number }
  | { t: "op"; v: string; at: number }
  | { t: "newline"; at: number }
  | { t: "end"; at: number };

const KEYWORDS = new Set([
  "False",
  "None",
  "True",
  "and",
  "as",
  "assert",
  "async",
  "await",
  "break",
  "class",
  "continue",
  "def",
  "del",
  "elif",
  "else",
  "except",
  "finally",
  "for",
  "from",
  "global",
  "if",
  "import",
  "in",
  "is",
  "lambda",
  "nonlocal",
  "not",
  "or",
  "pass",
  "raise",
  "return",
  "try",
  "while",
  "with",
  "yield",
]);

// Longest first, so `**` is not read as two `*`.
const OPERATORS = [
  "**=",
  "//=",
  ">>=",
  "<<=",
  "...",
  "**",
  "//",
  "<<",
  ">>",
  "<=",
  ">=",
  "==",
  "!=",
  ":=",
  "->",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "@=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "@",
  "&",
  "|",
  "^",
  "~",
  "<",
  ">",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ":",
  ".",
  ";",
  "=",
];

/** Python's digit groups: underscores only between digits. */
export const DIGITS = "[0-9](?:_?[0-9])*";
const HEX = /0[xX](?:_?[0-9a-fA-F])+/y;
const OCT = /0[oO](?:_?[0-7])+/y;
const BIN = /0[bB](?:_?[01])+/y;
const FLOAT = new RegExp(
  `(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.)(?:[eE][+-]?${DIGITS})?|${DIGITS}[eE][+-]?${DIGITS}`,
  "y",
);
const DECIMAL = new RegExp(DIGITS, "y");
const IDENTIFIER = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const IDENTIFIER_CHAR = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u;

/** CPython (3.11+) refuses integer literals and int(str) longer than this (int_max_str_digits). */
export const MAX_INT_DIGITS = 4300;

function sticky(re: RegExp, s: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(s)?.[0];
}

/** Tokens of one logical line (newlines inside brackets and after `\` are whitespace). */
export function tokenize(source: string): Token[] {
  // Python reads source with universal newlines.
  const s = source.replace(/\r\n?/g, "\n");
  const out: Token[] = [];
  const brackets: string[] = [];
  const fail = (what: string, at: number): never => {
    throw new PyExprError(`${what} at offset ${at}`);
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\f") {
      i++;
      continue;
    }
    if (c === "\n") {
      if (brackets.length === 0 && out.length > 0 && out[out.length - 1]!.t !== "newline") {
        out.push({ t: "newline", at: i });
      }
      i++;
      continue;
    }
    if (c === "#") {
      while (i < s.length && s[i] !== "\n") i++;
      continue;
    }
    if (c === "\\") {
      if (s[i + 1] !== "\n") fail("unexpected character after line continuation", i);
      i += 2;
      continue;
    }
    const word = sticky(IDENTIFIER, s, i);
    if (word !== undefined) {
      const q = s[i + word.length];
      if ((q === "'" || q === '"') && /^[rRuUbBfF]{1,2}$/.test(word)) {
        const prefix = word.toLowerCase();
        if (prefix.includes("f")) fail("f-strings are not supported", i);
        if (!["r", "u", "b", "br", "rb"].includes(prefix)) fail(`invalid string prefix '${word}'`, i);
        const str = readString(s, i + word.length, prefix.includes("r"), prefix.includes("b"));
        out.push({ t: "str", v: str.value, bytes: prefix.includes("b"), at: i });
        i = str.end;
        continue;
      }
      out.push({ t: "name", v: word.normalize("NFKC"), at: i });
      i += word.length;
      continue;
    }
    if (c === "'" || c === '"') {
      const str = readString(s, i, false, false);
      out.push({ t: "str", v: str.value, bytes: false, at: i });
      i = str.end;
      continue;
    }
    if ((c >= "0" && c <= "9") || (c === "." && s[i + 1] !== undefined && /[0-9]/.test(s[i + 1]!))) {
      const num = readNumber(s, i);
      out.push({ ...num.token, at: i });
      i = num.end;
      continue;
    }
    const op = OPERATORS.find((o) => s.startsWith(o, i));
    if (op === undefined) fail(`unexpected character '${c}'`, i);
    if (op === "(" || op === "[" || op === "{") brackets.push(op);
    else if (op === ")" || op === "]" || op === "}") {
      const open = brackets.pop();
      if (open === undefined || "([{".indexOf(open) !== ")]}".indexOf(op!)) fail(`unmatched '${op}'`, i);
    }
    out.push({ t: "op", v: op!, at: i });
    i += op!.length;
  }
  if (brackets.length > 0) fail(`'${brackets[brackets.length - 1]}' was never closed`, s.length);
  out.push({ t: "end", at: s.length });
  return out;
}

function readNumber(
  s: string,
  at: number,
): { token: { t: "int"; v: bigint } | { t: "float"; v: number }; end: number } {
  const fail = (what: string): never => {
    throw new PyExprError(`${what} at offset ${at}`);
  };
  let token: { t: "int"; v: bigint } | { t: "float"; v: number };
  let text = sticky(HEX, s, at) ?? sticky(OCT, s, at) ?? sticky(BIN, s, at);
  if (text !== undefined) token = { t: "int", v: BigInt(text.replace(/_/g, "")) };
  else {
    text = sticky(FLOAT, s, at);
    if (text !== undefined) token = { t: "float", v: Number(text.replace(/_/g, "")) };
    else {
      text = sticky(DECIMAL, s, at)!;
      const digits = text.replace(/_/g, "");
      if (digits.length > 1 && digits[0] === "0" && /[1-9]/.test(digits)) {
        fail("leading zeros in decimal integer literals are not permitted");
      }
      if (digits.length > MAX_INT_DIGITS) fail("integer literal too long");
      token = { t: "int", v: BigInt(digits) };
    }
  }
  const end = at + text.length;
  const next = s[end];
  if (next === "j" || next === "J") fail("complex literals are not supported");
  if (next !== undefined && (IDENTIFIER_CHAR.test(next) || next === "_")) fail("invalid number literal");
  return { token, end };
}

/** One string literal starting at its opening quote; the value as Python decodes it. */
function readString(s: string, at: number, raw: boolean, bytes: boolean): { value: string; end: number } {
  const fail = (what: string): never => {
    throw new PyExprError(`${what} in the string literal at offset ${at}`);
  };
  const q = s[at]!;
  const quote = s.startsWith(q.repeat(3), at) ? q.repeat(3) : q;
  let i = at + quote.length;
  let out = "";
  const plain = (ch: string) => {
    if (bytes && ch > "\x7f") fail("non-ASCII character in bytes");
    out += ch;
  };
  for (;;) {
    if (i >= s.length) fail("unterminated string");
    if (s.startsWith(quote, i)) return { value: out, end: i + quote.length };
    const c = s[i]!;
    if (c === "\n" && quote.length === 1) fail("newline");
    if (c !== "\\") {
      plain(c);
      i++;
      continue;
    }
    const e = s[i + 1];
    if (e === undefined) fail("unterminated string");
    if (raw) {
      // A raw string keeps the backslash, and the backslash still stops the quote from ending it.
      plain(c);
      plain(e!);
      i += 2;
      continue;
    }
    i += 2;
    const simple = SIMPLE_ESCAPES[e!];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const hexLen = e === "x" ? 2 : bytes ? 0 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (hexLen > 0) {
      const hex = s.slice(i, i + hexLen);
      if (hex.length !== hexLen || !/^[0-9a-fA-F]+$/.test(hex)) fail(`truncated \\${e} escape`);
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) fail("illegal Unicode character");
      out += String.fromCodePoint(code);
      i += hexLen;
      continue;
    }
    if (e! >= "0" && e! <= "7") {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i - 1, i + 2))![0];
      const code = Number.parseInt(oct, 8);
      if (bytes && code > 0xff) fail("octal escape out of range for bytes");
      out += String.fromCodePoint(code);
      i += oct.length - 1;
      continue;
    }
    if (e === "N" && !bytes) fail("\\N{...} escapes are not supported");
    // Python keeps an unknown escape as written.
    plain(c);
    plain(e!);
  }
}

// ---------------------------------------------------------------------------------------------
// parser

/** Nesting deeper than this is refused, so hostile text cannot exhaust the stack. */
const MAX_NESTING = 200;

const COMPARE_OPS = new Set(["==", "!=", "<", "<=", ">", ">="]);

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly toks: Token[]) {}

  peek(offset = 0): Token {
    return this.toks[Math.min(this.i + offset, this.toks.length - 1)]!;
  }

  fail(what: string, tok: Token = this.peek()): never {
    throw new PyExprError(`${what} at offset ${tok.at}`);
  }

  isOp(v: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.t === "op" && t.v === v;
  }

  isWord(v: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.t === "name" && t.v === v;
  }

  eat(v: string): boolean {
    if (this.isOp(v) || this.isWord(v)) {
      this.i++;
      return true;
    }
    return false;
  }

  expect(v: string): void {
    if (!this.eat(v)) this.fail(`expected '${v}'`);
  }

  /** End of the logical line: only newlines may remain. */
  end(): void {
    while (this.peek().t === "newline") this.i++;
    if (this.peek().t !== "end") this.fail("unexpected text after the expression");
  }

  /** `a, b` at the top of an expression statement is a tuple. */
  exprList(): PyExpr {
    const first = this.expr();
    if (!this.isOp(",")) return first;
    const items = [first];
    while (this.eat(",")) {
      if (this.peek().t === "newline" || this.peek().t === "end") break;
      items.push(this.expr());
    }
    return { kind: "tuple", items };
  }

  expr(): PyExpr {
    if (++this.depth > MAX_NESTING) this.fail("expression nested too deeply");
    try {
      if (this.isWord("lambda")) this.fail("lambda expressions are not supported");
      const e = this.orTest();
      if (this.isWord("if")) this.fail("conditional expressions are not supported");
      if (this.isOp(":=")) this.fail("assignment expressions are not supported");
      return e;
    } finally {
      this.depth--;
    }
  }

  private boolOp(op: "and" | "or", operand: () => PyExpr): PyExpr {
    const first = operand();
    if (!this.isWord(op)) return first;
    const values = [first];
    while (this.eat(op)) values.push(operand());
    return { kind: "boolop", op, values };
  }

  orTest(): PyExpr {
    return this.boolOp("or", () => this.andTest());
  }

  andTest(): PyExpr {
    return this.boolOp("and", () => this.notTest());
  }

  notTest(): PyExpr {
    if (this.eat("not")) {
      if (++this.depth > MAX_NESTING) this.fail("expression nested too deeply");
      try {
        return { kind: "unary", op: "not", operand: this.notTest() };
      } finally {
        this.depth--;
      }
    }
    return this.comparison();
  }

  private compareOp(): CompareOp | undefined {
    const t = this.peek();
    if (t.t === "op" && COMPARE_OPS.has(t.v)) {
      this.i++;
      return t.v as CompareOp;
    }
    if (this.isWord("in")) {
      this.i++;
      return "in";
    }
    if (this.isWord("not") && this.isWord("in", 1)) {
      this.i += 2;
      return "not in";
    }
    if (this.isWord("is")) {
      this.i++;
      return this.eat("not") ? "is not" : "is";
    }
    return undefined;
  }

  comparison(): PyExpr {
    const left = this.binary(0);
    const ops: CompareOp[] = [];
    const comparators: PyExpr[] = [];
    for (;;) {
      const op = this.compareOp();
      if (op === undefined) break;
      ops.push(op);
      comparators.push(this.binary(0));
    }
    return ops.length === 0 ? left : { kind: "compare", left, ops, comparators };
  }

  // Binary operators by precedence level, loosest first; all left-associative.
  private static readonly LEVELS: BinaryOp[][] = [
    ["|"],
    ["^"],
    ["&"],
    ["<<", ">>"],
    ["+", "-"],
    ["*", "/", "//", "%"],
  ];

  binary(level: number): PyExpr {
    if (level === Parser.LEVELS.length) return this.factor();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.t === "op" && t.v === "@") this.fail("the @ operator is not supported");
      if (t.t !== "op" || !Parser.LEVELS[level]!.includes(t.v as BinaryOp)) return left;
      this.i++;
      left = { kind: "binary", op: t.v as BinaryOp, left, right: this.binary(level + 1) };
    }
  }

  factor(): PyExpr {
    const t = this.peek();
    if (t.t === "op" && (t.v === "-" || t.v === "+" || t.v === "~")) {
      this.i++;
      if (++this.depth > MAX_NESTING) this.fail("expression nested too deeply");
      try {
        return { kind: "unary", op: t.v as "-" | "+" | "~", operand: this.factor() };
      } finally {
        this.depth--;
      }
    }
    return this.power();
  }

  power(): PyExpr {
    if (this.isWord("await")) this.fail("await is not supported");
    const base = this.primary();
    // `**` binds tighter than a unary minus on its left (-2**2 == -4) and takes one on its right.
    if (!this.eat("**")) return base;
    if (++this.depth > MAX_NESTING) this.fail("expression nested too deeply");
    try {
      return { kind: "binary", op: "**", left: base, right: this.factor() };
    } finally {
      this.depth--;
    }
  }

  primary(): PyExpr {
    let e = this.atom();
    for (;;) {
      if (this.eat(".")) {
        const t = this.peek();
        if (t.t !== "name" || KEYWORDS.has(t.v)) this.fail("expected an attribute name");
        this.i++;
        e = { kind: "attribute", value: e, attr: t.v };
      } else if (this.eat("(")) e = this.call(e);
      else if (this.eat("[")) e = this.subscript(e);
      else return e;
    }
  }

  call(func: PyExpr): PyExpr {
    const args: PyExpr[] = [];
    const keywords: { name: string; value: PyExpr }[] = [];
    while (!this.isOp(")")) {
      if (this.isOp("*") || this.isOp("**")) this.fail("*args and **kwargs are not supported");
      const t = this.peek();
      if (t.t === "name" && !KEYWORDS.has(t.v) && this.isOp("=", 1)) {
        this.i += 2;
        if (keywords.some((k) => k.name === t.v)) this.fail(`keyword argument repeated: ${t.v}`, t);
        keywords.push({ name: t.v, value: this.expr() });
      } else {
        if (keywords.length > 0) this.fail("positional argument follows keyword argument");
        args.push(this.expr());
        if (this.isWord("for")) this.fail("generator expressions are not supported");
      }
      if (!this.eat(",")) break;
    }
    this.expect(")");
    return { kind: "call", func, args, keywords };
  }

  private sliceOrExpr(): PyExpr {
    const part = (): PyExpr | undefined =>
      this.isOp(":") || this.isOp(",") || this.isOp("]") ? undefined : this.expr();
    const lower = part();
    if (!this.eat(":")) {
      if (!lower) this.fail("expected an index");
      return lower!;
    }
    const upper = part();
    const step = this.eat(":") ? part() : undefined;
    return { kind: "slice", lower, upper, step };
  }

  subscript(value: PyExpr): PyExpr {
    const items = [this.sliceOrExpr()];
    let tuple = false;
    while (this.eat(",")) {
      tuple = true;
      if (this.isOp("]")) break;
      items.push(this.sliceOrExpr());
    }
    this.expect("]");
    return { kind: "subscript", value, index: tuple ? { kind: "tuple", items } : items[0]! };
  }

  /** Items of a display up to `close`, with an optional trailing comma. */
  private items(close: string, first?: PyExpr): { items: PyExpr[]; trailingComma: boolean } {
    const items: PyExpr[] = first ? [first] : [];
    let trailingComma = false;
    if (first) {
      if (this.isWord("for")) this.fail("comprehensions are not supported");
      if (!this.eat(",")) return { items, trailingComma };
      trailingComma = true;
    }
    while (!this.isOp(close)) {
      if (this.isOp("*") || this.isOp("**")) this.fail("unpacking in displays is not supported");
      items.push(this.expr());
      if (this.isWord("for")) this.fail("comprehensions are not supported");
      trailingComma = this.eat(",");
      if (!trailingComma) break;
    }
    return { items, trailingComma };
  }

  atom(): PyExpr {
    const t = this.peek();
    switch (t.t) {
      case "int":
        this.i++;
        return { kind: "int", value: t.v };
      case "float":
        this.i++;
        return { kind: "float", value: t.v };
      case "str": {
        // Adjacent literals are one string, as in Python.
        let value = "";
        while (this.peek().t === "str") {
          const s = this.peek() as Extract<Token, { t: "str" }>;
          if (s.bytes !== t.bytes) this.fail("cannot mix bytes and nonbytes literals", s);
          value += s.v;
          this.i++;
        }
        return { kind: t.bytes ? "bytes" : "str", value };
      }
      case "name":
        this.i++;
        if (t.v === "True" || t.v === "False") return { kind: "const", value: t.v === "True" };
        if (t.v === "None") return { kind: "const", value: null };
        if (t.v === "yield") this.fail("yield is not supported", t);
        if (KEYWORDS.has(t.v)) this.fail(`unexpected keyword '${t.v}'`, t);
        return { kind: "name", id: t.v };
      case "op":
        break;
      default:
        this.fail("expected an expression");
    }
    if (this.eat("(")) {
      if (this.eat(")")) return { kind: "tuple", items: [] };
      if (this.isOp("*")) this.fail("unpacking in displays is not supported");
      if (this.isWord("yield")) this.fail("yield is not supported");
      const first = this.expr();
      const { items, trailingComma } = this.items(")", first);
      this.expect(")");
      // `(x)` is x itself; a comma makes a tuple.
      return items.length === 1 && !trailingComma ? first : { kind: "tuple", items };
    }
    if (this.eat("[")) {
      const { items } = this.items("]");
      this.expect("]");
      return { kind: "list", items };
    }
    if (this.eat("{")) {
      if (this.eat("}")) return { kind: "dict", entries: [] };
      if (this.isOp("**")) this.fail("unpacking in displays is not supported");
      if (this.isOp("*")) this.fail("unpacking in displays is not supported");
      const first = this.expr();
      if (!this.eat(":")) {
        const { items } = this.items("}", first);
        this.expect("}");
        return { kind: "set", items };
      }
      const entries: [PyExpr, PyExpr][] = [[first, this.expr()]];
      if (this.isWord("for")) this.fail("comprehensions are not supported");
      while (this.eat(",") && !this.isOp("}")) {
        if (this.isOp("**")) this.fail("unpacking in displays is not supported");
        const k = this.expr();
        this.expect(":");
        entries.push([k, this.expr()]);
      }
      this.expect("}");
      return { kind: "dict", entries };
    }
    if (this.isOp("...")) this.fail("Ellipsis is not supported");
    return this.fail(`unexpected '${(t as { v: string }).v}'`);
  }
}

/** Parses one expression (an expression statement: `a, b` is a tuple). */
export function parseExpression(source: string): PyExpr {
  const p = new Parser(tokenize(source));
  const e = p.exprList();
  p.end();
  return e;
}

/** Parses `assert <test>[, <message>]`, one statement, which may span lines. */
export function parseAssertStatement(source: string): { test: PyExpr; message?: PyExpr } {
  const p = new Parser(tokenize(source));
  p.expect("assert");
  const test = p.expr();
  const message = p.eat(",") ? p.expr() : undefined;
  p.end();
  return message ? { test, message } : { test };
}
