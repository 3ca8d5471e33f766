import { type PyValue, py } from "../core/pyvalue.js";

export class PyLiteralError extends Error {}

/**
 * Parses a Python literal (what `ast.literal_eval` accepts, minus complex numbers and bytes
 * arithmetic) into a PyValue without evaluating anything: TACO stores tag lists as Python
 * list literals, and HumanEval docstring examples are Python expressions.
 */
export function parsePyLiteral(text: string): PyValue {
  const p = new LiteralParser(text);
  const v = p.value();
  p.ws();
  if (!p.done()) p.fail("trailing characters");
  return v;
}

/** Parses a comma-separated argument list such as `[1, 2], 'a'` (no keyword arguments). */
export function parsePyArgs(text: string): PyValue[] {
  const p = new LiteralParser(text);
  const args: PyValue[] = [];
  p.ws();
  while (!p.done()) {
    args.push(p.value());
    p.ws();
    if (p.done()) break;
    p.expect(",");
    p.ws();
  }
  return args;
}

/** A TACO-style list of strings (`"['a', 'b']"`); empty text gives []. */
export function parsePyStringList(text: string): string[] {
  if (text.trim() === "") return [];
  const v = parsePyLiteral(text);
  if (v[0] !== "l" && v[0] !== "t") throw new PyLiteralError("expected a list");
  return v[1].map((x) => {
    if (x[0] !== "s") throw new PyLiteralError("expected a list of strings");
    return x[1];
  });
}

/** Python's one-character string escapes (`\n`, `\t`, ...) and what they stand for. */
export const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\n": "",
};

class LiteralParser {
  i = 0;
  constructor(readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  fail(what: string): never {
    throw new PyLiteralError(`${what} at offset ${this.i}`);
  }

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.i++;
      else if (c === "\\" && this.s[this.i + 1] === "\n") this.i += 2;
      else break;
    }
  }

  expect(c: string): void {
    if (this.s[this.i] !== c) this.fail(`expected '${c}'`);
    this.i++;
  }

  value(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail("unexpected end");
    if (c === "[") return ["l", this.seq("]")];
    if (c === "(") {
      // A parenthesised single value without a trailing comma is just that value.
      this.i++;
      this.ws();
      const items: PyValue[] = [];
      let trailingComma = false;
      while (this.s[this.i] !== ")") {
        items.push(this.value());
        this.ws();
        trailingComma = false;
        if (this.s[this.i] === ",") {
          this.i++;
          this.ws();
          trailingComma = true;
        } else if (this.s[this.i] !== ")") this.fail("expected ',' or ')'");
      }
      this.i++;
      if (items.length === 1 && !trailingComma) return items[0]!;
      return ["t", items];
    }
    if (c === "{") return this.braces();
    const quoteStart = /^([rRbBuU]{0,2})(['"])/.exec(this.s.slice(this.i, this.i + 3));
    if (quoteStart) {
      const first = this.str();
      // Adjacent string literals concatenate, as in Python.
      let out = first;
      for (;;) {
        const save = this.i;
        this.ws();
        if (/^[rRbBuU]{0,2}['"]/.test(this.s.slice(this.i, this.i + 3)) && out[0] === "s") {
          const next = this.str();
          if (next[0] !== "s") this.fail("cannot mix str and bytes");
          out = ["s", (out[1] as string) + next[1]];
        } else {
          this.i = save;
          break;
        }
      }
      return out;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i, this.i + 32));
    if (word) {
      this.i += word[0].length;
      switch (word[0]) {
        case "None":
          return ["N"];
        case "True":
          return ["b", true];
        case "False":
          return ["b", false];
        case "set":
          this.ws();
          this.expect("(");
          this.ws();
          this.expect(")");
          return ["S", []];
        default:
          this.i -= word[0].length;
          this.fail(`name '${word[0]}' is not a literal`);
      }
    }
    return this.number();
  }

  seq(close: string): PyValue[] {
    this.i++;
    const items: PyValue[] = [];
    this.ws();
    while (this.s[this.i] !== close) {
      items.push(this.value());
      this.ws();
      if (this.s[this.i] === ",") {
        this.i++;
        this.ws();
      } else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.i++;
    return items;
  }

  braces(): PyValue {
    this.i++;
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return ["d", []];
    }
    const first = this.value();
    this.ws();
    if (this.s[this.i] === ":") {
      this.i++;
      const entries: [PyValue, PyValue][] = [[first, this.value()]];
      this.ws();
      while (this.s[this.i] === ",") {
        this.i++;
        this.ws();
        if (this.s[this.i] === "}") break;
        const k = this.value();
        this.ws();
        this.expect(":");
        entries.push([k, this.value()]);
        this.ws();
      }
      this.expect("}");
      return ["d", entries];
    }
    const items = [first];
    while (this.s[this.i] === ",") {
      this.i++;
      this.ws();
      if (this.s[this.i] === "}") break;
      items.push(this.value());
      this.ws();
    }
    this.expect("}");
    return ["S", items];
  }

  str(): PyValue {
    const m = /^([rRbBuU]{0,2})/.exec(this.s.slice(this.i, this.i + 2))!;
    const prefix = m[1]!.toLowerCase();
    this.i += prefix.length;
    const raw = prefix.includes("r");
    const bytes = prefix.includes("b");
    const q = this.s[this.i]!;
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const quote = triple ? q.repeat(3) : q;
    this.i += quote.length;
    let out = "";
    for (;;) {
      if (this.done()) this.fail("unterminated string");
      if (this.s.startsWith(quote, this.i)) {
        this.i += quote.length;
        break;
      }
      const c = this.s[this.i]!;
      if (c === "\n" && !triple) this.fail("newline in string");
      if (c !== "\\") {
        out += c;
        this.i++;
        continue;
      }
      const e = this.s[this.i + 1];
      if (e === undefined) this.fail("unterminated string");
      if (raw) {
        out += c + e;
        this.i += 2;
        continue;
      }
      this.i += 2;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        continue;
      }
      const hexLen = e === "x" ? 2 : e === "u" && !bytes ? 4 : e === "U" && !bytes ? 8 : 0;
      if (hexLen > 0) {
        const hex = this.s.slice(this.i, this.i + hexLen);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLen) this.fail("bad escape");
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.i += hexLen;
        continue;
      }
      if (e >= "0" && e <= "7") {
        const oct = /^[0-7]{1,3}/.exec(this.s.slice(this.i - 1, this.i + 2))![0];
        out += String.fromCodePoint(Number.parseInt(oct, 8));
        this.i += oct.length - 1;
        continue;
      }
      // Python keeps unknown escapes as written.
      out += c + e;
    }
    if (bytes) return ["y", Buffer.from(out, "latin1").toString("base64")];
    return ["s", out];
  }

  number(): PyValue {
    const rest = this.s.slice(this.i, this.i + 4096);
    const m =
      /^[-+]?\s*(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(\d[\d_]*)?(\.[\d_]*)?([eE][-+]?\d+)?)/.exec(
        rest,
      );
    const lexeme = m?.[0] ?? "";
    if (!/\d/.test(lexeme)) this.fail("expected a value");
    this.i += lexeme.length;
    const neg = lexeme.startsWith("-");
    const body = lexeme.replace(/^[-+]\s*/, "").replace(/_/g, "");
    if (/^0[xXoObB]/.test(body)) {
      const v = BigInt(body);
      return py.int(neg ? -v : v);
    }
    if (/^\d+$/.test(body)) {
      const v = BigInt(body);
      return py.int(neg ? -v : v);
    }
    if (this.s[this.i] === "j" || this.s[this.i] === "J") this.fail("complex numbers are not supported");
    const f = Number(body);
    if (Number.isNaN(f)) this.fail("bad number");
    return py.float(neg ? -f : f);
  }
}
