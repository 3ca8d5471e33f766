import { describe, expect, it } from "vitest";
import {
  type CompareResult,
  MAX_INEXACT_TOKEN_BYTES,
  compareOutput,
  parseValidatorFlags,
  tokenEqual,
} from "../../src/judge/compare.js";
import { type CompareOptions, DEFAULT_COMPARE } from "../../src/judge/types.js";
import { STDIO_COMPARE_NO_CHECKER } from "../../src/problems/defaults.js";

const tol = { caseSensitive: true, spaceChangeSensitive: false, floatAbsTol: 1e-6, floatRelTol: 1e-6 };

describe("token comparison", () => {
  it("ignores whitespace amounts by default", () => {
    expect(compareOutput("1 2\n3\n", "1   2 3", DEFAULT_COMPARE).ok).toBe(true);
    expect(compareOutput("1 2\n", "1 2\n\n\n", DEFAULT_COMPARE).ok).toBe(true);
  });

  it("reports the first differing token with its line", () => {
    const r = compareOutput("1\n2\n3\n", "1\n2\n4\n", DEFAULT_COMPARE);
    expect(r).toEqual({ ok: false, message: "token 3 (line 3): expected '3', got '4'" });
  });

  it("reports missing and extra output", () => {
    expect(compareOutput("1 2 3", "1 2", DEFAULT_COMPARE).message).toMatch(
      /ended early: expected 3 tokens, got 2/,
    );
    expect(compareOutput("1", "1 2", DEFAULT_COMPARE).message).toMatch(/too much output/);
    expect(compareOutput("1", "", DEFAULT_COMPARE).ok).toBe(false);
  });

  it("compares integers exactly at any size, even with float tolerance on", () => {
    // Both round to the same double: a double-based judge would accept this.
    expect(Number("12345678901234567890")).toBe(Number("12345678901234567891"));
    expect(tokenEqual("12345678901234567890", "12345678901234567891", tol)).toBe(false);
    expect(tokenEqual("12345678901234567890", "12345678901234567890", tol)).toBe(true);
    expect(tokenEqual("007", "7", tol)).toBe(true);
    // The same value is the same answer with or without tolerance options.
    expect(tokenEqual("007", "7", DEFAULT_COMPARE)).toBe(true);
  });

  it("applies absolute or relative float tolerance (Kattis semantics)", () => {
    const abs = { ...DEFAULT_COMPARE, floatAbsTol: 1e-3 };
    const rel = { ...DEFAULT_COMPARE, floatRelTol: 1e-3 };
    expect(tokenEqual("0.5", "0.5004", abs)).toBe(true);
    expect(tokenEqual("0.5", "0.502", abs)).toBe(false);
    // An integer answer ("1000") is exact whatever the tolerance: see the integer tests below.
    expect(tokenEqual("1000.0", "1000.9", rel)).toBe(true);
    expect(tokenEqual("1000.0", "1002", rel)).toBe(false);
    expect(tokenEqual("1e3", "1000.0000001", tol)).toBe(true);
    expect(tokenEqual("0.5", "0.5004", DEFAULT_COMPARE)).toBe(false);
    expect(tokenEqual("nan", "NaN", tol)).toBe(true);
    expect(tokenEqual("1.5", "abc", tol)).toBe(false);
  });

  it("is case sensitive unless told otherwise", () => {
    expect(compareOutput("YES", "yes", DEFAULT_COMPARE).ok).toBe(false);
    expect(compareOutput("YES", "yes", { ...DEFAULT_COMPARE, caseSensitive: false }).ok).toBe(true);
  });

  it("checks whitespace exactly when space_change_sensitive", () => {
    const o = { ...DEFAULT_COMPARE, spaceChangeSensitive: true };
    expect(compareOutput("1 2\n", "1 2\n", o).ok).toBe(true);
    expect(compareOutput("1 2\n", "1 2", o).ok).toBe(true);
    expect(compareOutput("1 2\n", "1  2\n", o).ok).toBe(false);
    expect(compareOutput("1 2\n", "1\n2\n", o).ok).toBe(false);
    expect(compareOutput("1 2\n", " 1 2\n", o).ok).toBe(false);
  });

  it("parses Kattis validator_flags", () => {
    const parse = (flags: string) => parseValidatorFlags(flags.split(" ").filter(Boolean));
    expect(parse("")).toEqual({
      compare: { caseSensitive: false, spaceChangeSensitive: false },
      unknown: [],
    });
    expect(parse("float_relative_tolerance 1e-5 float_absolute_tolerance 1e-5").compare).toEqual({
      caseSensitive: false,
      spaceChangeSensitive: false,
      floatRelTol: 1e-5,
      floatAbsTol: 1e-5,
    });
    expect(parse("case_sensitive space_change_sensitive float_tolerance 0.01").compare).toEqual({
      caseSensitive: true,
      spaceChangeSensitive: true,
      floatRelTol: 0.01,
      floatAbsTol: 0.01,
    });
    expect(() => parse("float_tolerance abc")).toThrow(
      "validator flag float_tolerance needs a number, got 'abc'",
    );
    expect(parse("bogus_flag case_sensitive").unknown).toEqual(["bogus_flag"]);
  });
});

describe("integer answers", () => {
  const kattis = parseValidatorFlags(["float_tolerance", "1e-6"]).compare;
  const all: [string, CompareOptions][] = [
    ["no checker", STDIO_COMPARE_NO_CHECKER],
    ["default", DEFAULT_COMPARE],
    ["tolerance", tol],
    ["kattis float_tolerance", kattis],
  ];

  it("rejects a float within relative tolerance of an integer answer", () => {
    // The hole: 1e-6 relative tolerance of 1000000007 is about 1000.
    const r = compareOutput("1000000007\n", "1000000000.0\n", STDIO_COMPARE_NO_CHECKER);
    expect(r).toEqual({ ok: false, message: "token 1 (line 1): expected '1000000007', got '1000000000.0'" });
    expect(compareOutput("1000000007\n", "1000000000\n", STDIO_COMPARE_NO_CHECKER).ok).toBe(false);
    expect(compareOutput("1000000007\n", "1.000000007e9\n", STDIO_COMPARE_NO_CHECKER).ok).toBe(false);
    expect(compareOutput("1000000007\n", "1000000007.0\n", STDIO_COMPARE_NO_CHECKER).ok).toBe(true);
  });

  it.each(all)("accepts only the same integer value (%s)", (_name, o) => {
    for (const got of ["3", "3.0", "3.000", "+3", "03", "003.00"])
      expect(tokenEqual("3", got, o), got).toBe(true);
    for (const got of ["3e0", "3.", "3.01", "2.9999999", "3.0000001", ".3e1", "3.0e0", "4", "-3", "three"]) {
      expect(tokenEqual("3", got, o), got).toBe(false);
    }
  });

  it.each(all)("treats zero as unsigned and ignores leading zeros (%s)", (_name, o) => {
    for (const [want, got] of [
      ["-0", "0"],
      ["0", "-0"],
      ["0", "-0.00"],
      ["+0", "000"],
      ["007", "7"],
      ["7", "0007.00"],
      ["-007", "-7.0"],
    ]) {
      expect(tokenEqual(want!, got!, o), `${want} ${got}`).toBe(true);
    }
    for (const [want, got] of [
      ["-7", "7"],
      ["7", "-7"],
      ["-7", "-0.7"],
      ["0", "-"],
      ["70", "7"],
      ["7", "70"],
    ]) {
      expect(tokenEqual(want!, got!, o), `${want} ${got}`).toBe(false);
    }
  });

  it("applies tolerance to non-integer answers only (Kattis flags)", () => {
    // A Kattis problem whose .ans prints an integral real answer as an integer.
    expect(compareOutput("10\n", "10.000000\n", kattis).ok).toBe(true);
    expect(compareOutput("10\n", "9.9999999\n", kattis).ok).toBe(false);
    expect(compareOutput("10.0\n", "9.9999999\n", kattis).ok).toBe(true);
    expect(compareOutput("10.0\n", "10\n", kattis).ok).toBe(true);
  });

  it("compares integers of 10^5 digits exactly", () => {
    const digits = "9".repeat(50_000) + "1234567890".repeat(5_000);
    expect(compareOutput(`${digits}\n`, `${digits}\n`, tol).ok).toBe(true);
    expect(tokenEqual(digits, `+000${digits}`, tol)).toBe(true);
    expect(tokenEqual(digits, `${digits}.000`, tol)).toBe(true);
    expect(tokenEqual(digits, `${digits.slice(0, -1)}1`, tol)).toBe(false);
    expect(tokenEqual(digits, `${digits}0`, tol)).toBe(false);
    expect(tokenEqual(digits, digits.slice(1), tol)).toBe(false);
    expect(tokenEqual(digits, `-${digits}`, tol)).toBe(false);
    const r = compareOutput(`1 ${digits}\n`, `1\n${digits.slice(0, -1)}1\n`, tol);
    expect(r.message).toBe(
      `token 2 (line 2): expected '${digits.slice(0, 57)}...', got '${digits.slice(0, 57)}...'`,
    );
  });
});

describe("floats", () => {
  it("handles inf and nan", () => {
    expect(tokenEqual("inf", "Infinity", tol)).toBe(true);
    expect(tokenEqual("-inf", "-INF", tol)).toBe(true);
    expect(tokenEqual("inf", "-inf", tol)).toBe(false);
    expect(tokenEqual("inf", "nan", tol)).toBe(false);
    expect(tokenEqual("inf", "1e308", { ...DEFAULT_COMPARE, floatRelTol: 1e-6 })).toBe(false);
    expect(tokenEqual("1e308", "inf", { ...DEFAULT_COMPARE, floatRelTol: 1e-6 })).toBe(false);
    expect(tokenEqual("nan", "-nan", tol)).toBe(true);
    expect(tokenEqual("nan", "1.5", tol)).toBe(false);
    expect(tokenEqual("1.5", "nan", tol)).toBe(false);
  });

  it("reads decimals exactly as Number() does", () => {
    // Zero tolerance: equal only at the same double, so a misrounded read shows.
    const exact = { ...DEFAULT_COMPARE, floatAbsTol: 0 };
    const bits = new BigUint64Array(1);
    const double = new Float64Array(bits.buffer);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 20_000; round++) {
      const digits = Array.from({ length: 1 + Math.floor(random() * 18) }, () =>
        Math.floor(random() * 10),
      ).join("");
      const point = Math.floor(random() * (digits.length + 1));
      const exponent = random() < 0.5 ? "" : `e${Math.floor(random() * 70) - 35}`;
      const sign = random() < 0.2 ? "-" : "";
      const token = `${sign}${digits.slice(0, point)}.${digits.slice(point)}${exponent}`;
      if (token.replace(/^-/, "").startsWith(".e") || token.endsWith(".")) continue;
      double[0] = Number(token);
      expect(tokenEqual(token, String(double[0]), exact), token).toBe(true);
      bits[0]! ^= 1n;
      expect(tokenEqual(token, String(double[0]), exact), token).toBe(false);
    }
  });

  it("reads every FLOAT form", () => {
    expect(tokenEqual("0.5", ".5", tol)).toBe(true);
    expect(tokenEqual("5.0", "5.", tol)).toBe(true);
    expect(tokenEqual("-0.5", "-5E-1", tol)).toBe(true);
    expect(tokenEqual("0.5", "0x1", tol)).toBe(false);
    expect(tokenEqual("0.5", "0.5f", tol)).toBe(false);
  });
});

describe("whitespace and encodings", () => {
  it("separates tokens by ASCII whitespace only", () => {
    expect(compareOutput("1 2\n", "1\t2\v\f\r\n", DEFAULT_COMPARE).ok).toBe(true);
    expect(compareOutput("1 2\n", "1\u00A02\n", DEFAULT_COMPARE)).toEqual({
      ok: false,
      message: "token 1 (line 1): expected '1', got '1\u00A02'",
    });
    expect(compareOutput("1 2\n", "1 2\u00A0\n", STDIO_COMPARE_NO_CHECKER).ok).toBe(false);
    expect(compareOutput("1 2\n", "1 2\u2003\n", STDIO_COMPARE_NO_CHECKER).ok).toBe(false);
    expect(compareOutput("a\u00A0b\n", "a\u00A0b\n", DEFAULT_COMPARE).ok).toBe(true);
  });

  it("ignores a BOM leading the expected answer, not one in the output", () => {
    expect(compareOutput("\uFEFF1 2\n", "1 2\n", DEFAULT_COMPARE).ok).toBe(true);
    expect(compareOutput("\uFEFF1 2\n", "1 2\n", { ...DEFAULT_COMPARE, spaceChangeSensitive: true }).ok).toBe(
      true,
    );
    expect(compareOutput("1 2\n", "\uFEFF1 2\n", STDIO_COMPARE_NO_CHECKER)).toEqual({
      ok: false,
      message: "token 1 (line 1): expected '1', got '\uFEFF1'",
    });
    expect(compareOutput("\uFEFF1 2\n", "\uFEFF1 2\n", DEFAULT_COMPARE).ok).toBe(false);
    // Elsewhere a BOM is a token character on both sides.
    expect(compareOutput("1 \uFEFF2\n", "1 \uFEFF2\n", DEFAULT_COMPARE).ok).toBe(true);
    expect(compareOutput("1 \uFEFF2\n", "1 2\n", DEFAULT_COMPARE).ok).toBe(false);
  });

  it("accepts CRLF output against an LF answer unless whitespace must match", () => {
    expect(compareOutput("1 2\n3\n", "1 2\r\n3\r\n", STDIO_COMPARE_NO_CHECKER).ok).toBe(true);
    expect(compareOutput("1 2\n3\n", "1 2\r\n3\r\n", DEFAULT_COMPARE).ok).toBe(true);
    const strict = { ...DEFAULT_COMPARE, spaceChangeSensitive: true };
    expect(compareOutput("1 2\n3\n", "1 2\r\n3\r\n", strict).message).toBe(
      "whitespace before token 3 differs",
    );
    expect(compareOutput("1 2\n3\n", "1 2\n3\r\n", strict).message).toBe(
      "leading or trailing whitespace differs",
    );
    expect(compareOutput("1\n2\n4\n", "1\r\n2\r\n3\r\n", DEFAULT_COMPARE).message).toBe(
      "token 3 (line 3): expected '4', got '3'",
    );
  });

  it("checks leading and trailing whitespace when space_change_sensitive", () => {
    const strict = { ...DEFAULT_COMPARE, spaceChangeSensitive: true };
    expect(compareOutput("", "", strict).ok).toBe(true);
    expect(compareOutput("", "\n", strict).ok).toBe(true);
    expect(compareOutput("\n\n", "\n", strict).ok).toBe(false);
    expect(compareOutput("1\n\n", "1\n", strict).ok).toBe(false);
    expect(compareOutput("1 \n", "1\n", strict).ok).toBe(false);
    expect(compareOutput("1", "1\n", strict).ok).toBe(true);
    expect(compareOutput("1 2\n", "1 3\n", strict).message).toBe("token 2 (line 1): expected '2', got '3'");
    // A differing token is reported before the whitespace in front of it.
    expect(compareOutput("1 2\n", "1  3\n", strict).message).toBe("token 2 (line 1): expected '2', got '3'");
  });

  it("lower-cases Unicode when case-insensitive", () => {
    const o = { ...DEFAULT_COMPARE, caseSensitive: false };
    expect(compareOutput("ÄÖÜ straße\n", "äöü STRAßE\n", o).ok).toBe(true);
    expect(compareOutput("ÄÖÜ\n", "äöü\n", DEFAULT_COMPARE).ok).toBe(false);
  });

  it("matches tokens that are not valid UTF-8 only byte for byte, but for ASCII case", () => {
    const o = { ...DEFAULT_COMPARE, caseSensitive: false };
    expect(compareOutput(Buffer.from([0x41, 0xff]), Buffer.from([0x41, 0xff]), o).ok).toBe(true);
    // ASCII case still folds; the other bytes must be identical.
    expect(compareOutput(Buffer.from([0x41, 0xff]), Buffer.from([0x61, 0xff]), o).ok).toBe(true);
    expect(compareOutput(Buffer.from([0x41, 0xff]), Buffer.from([0x61, 0xff]), DEFAULT_COMPARE).ok).toBe(
      false,
    );
    expect(compareOutput(Buffer.from([0x41, 0xff]), Buffer.from([0x41, 0xfe]), o).ok).toBe(false);
    // Decoding would turn 0xff into U+FFFD and make these equal.
    expect(compareOutput("\uFFFD", Buffer.from([0xff]), o).ok).toBe(false);
  });
});

describe("large outputs", () => {
  it("compares a 10 MB output", () => {
    const line = `${Array.from({ length: 1000 }, (_, i) => String(i * 7919)).join(" ")}\n`;
    const expected = line.repeat(Math.ceil(10_000_000 / line.length));
    const got = Buffer.from(expected.replaceAll("\n", "\r\n"));
    const start = performance.now();
    expect(compareOutput(expected, got, STDIO_COMPARE_NO_CHECKER).ok).toBe(true);
    const bad = Buffer.from(got);
    bad[bad.length - 3] = 0x30 + ((bad[bad.length - 3]! - 0x30 + 1) % 10);
    const r = compareOutput(expected, bad, STDIO_COMPARE_NO_CHECKER);
    // Generous: this takes tens of milliseconds; bench/compare.mjs measures it properly.
    expect(performance.now() - start).toBeLessThan(3000);
    const lines = Math.ceil(10_000_000 / line.length);
    expect(r.message).toMatch(new RegExp(`^token ${lines * 1000} \\(line ${lines}\\): `));
  });

  it("compares huge equal tokens by their bytes and rejects huge unequal ones without parsing", () => {
    const huge = "7".repeat(MAX_INEXACT_TOKEN_BYTES + 1);
    expect(compareOutput(`${huge}\n`, `${huge}\n`, STDIO_COMPARE_NO_CHECKER).ok).toBe(true);
    const r = compareOutput(`x ${huge}\n`, `x ${huge.slice(0, -1)}8\n`, STDIO_COMPARE_NO_CHECKER);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(
      /^token 2 \(line 1\): expected '7{57}\.\.\.', got '7{57}\.\.\.' \(.*too long to compare as a number/,
    );
    // Over the cap only an exact copy matches, even of the same integer value.
    expect(compareOutput(huge, `0${huge}`, tol).message).toMatch(/too long to compare as a number/);
    expect(compareOutput(`1.${"0".repeat(MAX_INEXACT_TOKEN_BYTES)}`, "1.0", tol).message).toMatch(
      /too long to compare as a number/,
    );
    expect(compareOutput("1.0", `1.${"0".repeat(MAX_INEXACT_TOKEN_BYTES)}`, tol).message).toMatch(
      /too long to compare as a number/,
    );
    // At the cap the rules still apply.
    const atCap = `1.${"0".repeat(MAX_INEXACT_TOKEN_BYTES - 2)}`;
    expect(compareOutput("1.0", atCap, tol).ok).toBe(true);
  });

  it("counts tokens to the end when one side stops", () => {
    expect(compareOutput("1 2 3 4 5", "1 2", DEFAULT_COMPARE).message).toBe(
      "output ended early: expected 5 tokens, got 2",
    );
    expect(compareOutput("1 2", "1 2\n3\n\n4 5 ", DEFAULT_COMPARE).message).toBe(
      "too much output: expected 2 tokens, got 5",
    );
    expect(compareOutput("", "  \n", DEFAULT_COMPARE).ok).toBe(true);
    expect(compareOutput("\n", "x", DEFAULT_COMPARE).message).toBe(
      "too much output: expected 0 tokens, got 1",
    );
  });
});

/**
 * The old array-based algorithm with the rules compare.ts documents (ASCII separators, exact
 * integers, expected BOM ignored), written for clarity: BigInt, regexes, whole-text strings.
 */
function referenceCompare(expectedText: string, got: string, o: CompareOptions): CompareResult {
  const expected = expectedText.startsWith("\uFEFF") ? expectedText.slice(1) : expectedText;
  const split = (text: string) => {
    const tokens: string[] = [];
    const seps: string[] = [];
    const re = /[^ \t\n\v\f\r]+/g;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      seps.push(text.slice(last, m.index));
      tokens.push(m[0]);
      last = m.index + m[0].length;
    }
    return { tokens, seps, trail: text.slice(last) };
  };
  const value = (t: string): number => {
    const lower = t.toLowerCase();
    if (/^\+?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
    if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
    return /nan$/.test(lower) ? Number.NaN : Number(t);
  };
  const equal = (a: string, b: string): boolean => {
    if (a === b) return true;
    if (/^[+-]?\d+$/.test(a)) {
      if (/^[+-]?\d+$/.test(b)) return BigInt(a) === BigInt(b);
      const m = /^([+-]?\d+)\.0+$/.exec(b);
      return m !== null && BigInt(m[1]!) === BigInt(a);
    }
    const float = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i;
    if ((o.floatAbsTol !== undefined || o.floatRelTol !== undefined) && float.test(a) && float.test(b)) {
      const w = value(a);
      const g = value(b);
      if (Number.isNaN(w) || Number.isNaN(g)) return Number.isNaN(w) && Number.isNaN(g);
      if (!Number.isFinite(w) || !Number.isFinite(g)) return w === g;
      const diff = Math.abs(w - g);
      return (
        diff === 0 ||
        (o.floatAbsTol !== undefined && diff <= o.floatAbsTol) ||
        (o.floatRelTol !== undefined && diff <= o.floatRelTol * Math.abs(w))
      );
    }
    return !o.caseSensitive && a.toLowerCase() === b.toLowerCase();
  };
  const show = (t: string) => (t.length > 60 ? `${t.slice(0, 57)}...` : t);
  const want = split(expected);
  const have = split(got);
  const n = Math.min(want.tokens.length, have.tokens.length);
  for (let i = 0; i < n; i++) {
    if (!equal(want.tokens[i]!, have.tokens[i]!)) {
      const line =
        1 +
        have.seps
          .slice(0, i + 1)
          .join("")
          .split("\n").length -
        1;
      return {
        ok: false,
        message: `token ${i + 1} (line ${line}): expected '${show(want.tokens[i]!)}', got '${show(have.tokens[i]!)}'`,
      };
    }
    if (o.spaceChangeSensitive && i > 0 && want.seps[i] !== have.seps[i]) {
      return { ok: false, message: `whitespace before token ${i + 1} differs` };
    }
  }
  if (want.tokens.length < have.tokens.length) {
    return {
      ok: false,
      message: `too much output: expected ${want.tokens.length} tokens, got ${have.tokens.length}`,
    };
  }
  if (want.tokens.length > have.tokens.length) {
    return {
      ok: false,
      message: `output ended early: expected ${want.tokens.length} tokens, got ${have.tokens.length}`,
    };
  }
  if (
    o.spaceChangeSensitive &&
    ((want.seps[0] ?? "") !== (have.seps[0] ?? "") ||
      want.trail.replace(/\n$/, "") !== have.trail.replace(/\n$/, ""))
  ) {
    return { ok: false, message: "leading or trailing whitespace differs" };
  }
  return { ok: true };
}

describe("differential test against the reference algorithm", () => {
  // mulberry32: a small seeded generator, so a failure can be replayed.
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const INTS = ["0", "-0", "+0", "00", "7", "007", "-7", "+7", "12", "1000000007", "1000000000"];
  const BIG = [
    "123456789012345678901234567890",
    "123456789012345678901234567891",
    "0123456789012345678901234567890",
  ];
  const FLOATS = [
    "3.0",
    "3.000",
    "3.",
    "3e0",
    "-0.00",
    "0.0",
    ".0",
    "2.9999999",
    "3.0000001",
    "0.5",
    "0.5000001",
    "0.5004",
    "1e3",
    "1E3",
    "1000.0000001",
    "1000000000.0",
    "1000000007.0",
    "1.000000007e9",
    "inf",
    "-inf",
    "INF",
    "Infinity",
    "-Infinity",
    "nan",
    "NaN",
    "-nan",
    "1e400",
    "-1e400",
    "1.5e-7",
    "7.0",
    "-7.00",
    "12.0000",
  ];
  const WORDS = [
    "yes",
    "YES",
    "Yes",
    "no",
    "abc",
    "ABC",
    "Straße",
    "STRASSE",
    "straße",
    "ÄÖÜ",
    "äöü",
    "1\u00A02",
    "\uFEFFyes",
    "x\u00A0",
    "İ",
    "i̇",
    "a".repeat(70),
    "A".repeat(70),
    "é".repeat(61),
  ];
  const POOL = [...INTS, ...BIG, ...FLOATS, ...WORDS];
  const SEPS = [" ", " ", " ", "  ", "\t", "\n", "\n", "\r\n", "\n\n", "\v", "\f", "\r", " \n"];
  const OPTIONS: CompareOptions[] = [
    DEFAULT_COMPARE,
    STDIO_COMPARE_NO_CHECKER,
    tol,
    { caseSensitive: false, spaceChangeSensitive: true },
    { caseSensitive: true, spaceChangeSensitive: true, floatAbsTol: 1e-3 },
    { caseSensitive: false, spaceChangeSensitive: false, floatRelTol: 1e-6 },
  ];

  it("agrees on thousands of random small inputs, as strings and as Buffers", () => {
    const random = rng(20240611);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    let accepted = 0;
    for (let round = 0; round < 8000; round++) {
      const n = Math.floor(random() * 6);
      const tokens = Array.from({ length: n }, () => pick(POOL));
      const seps = Array.from({ length: n + 1 }, (_, i) =>
        i === 0 || i === n ? pick(["", "", "", ...SEPS]) : pick(SEPS),
      );
      const expected =
        (random() < 0.1 ? "\uFEFF" : "") + tokens.map((t, i) => seps[i] + t).join("") + seps[n];
      // Most outputs are near misses of the answer, so that acceptance is common.
      const gotTokens = tokens.flatMap((t): string[] => {
        const r = random();
        if (r < 0.6) return [t];
        if (r < 0.65) return [];
        if (r < 0.7) return [t, pick(POOL)];
        if (r < 0.8) return [random() < 0.5 ? t.toUpperCase() : t.toLowerCase()];
        return [pick(POOL)];
      });
      if (random() < 0.05) gotTokens.push(pick(POOL));
      const gotSeps = Array.from({ length: gotTokens.length + 1 }, (_, i) =>
        random() < 0.7 && seps[i] !== undefined && (i > 0 || seps[i] !== "") ? seps[i]! : pick(["", ...SEPS]),
      );
      // Adjacent tokens need a separator between them.
      const got =
        (random() < 0.03 ? "\uFEFF" : "") +
        gotTokens.map((t, i) => (i > 0 && gotSeps[i] === "" ? " " : gotSeps[i]) + t).join("") +
        gotSeps[gotTokens.length];
      const o = pick(OPTIONS);
      const want = referenceCompare(expected, got, o);
      const label = JSON.stringify({ expected, got, o });
      expect(compareOutput(expected, got, o), label).toEqual(want);
      expect(compareOutput(Buffer.from(expected), Buffer.from(got), o), label).toEqual(want);
      if (want.ok) accepted++;
    }
    // Both verdicts are well represented.
    expect(accepted).toBeGreaterThan(1000);
    expect(accepted).toBeLessThan(7000);
  });

  it("agrees token by token with the reference on every pair of pool tokens", () => {
    for (const o of OPTIONS) {
      for (const a of POOL) {
        for (const b of POOL) {
          // The reference drops one BOM leading the answer; tokenEqual sees tokens, not answers.
          const r = referenceCompare(a.startsWith("\uFEFF") ? `\uFEFF${a}` : a, b, o);
          expect(tokenEqual(a, b, o), JSON.stringify({ a, b, o })).toBe(r.ok);
        }
      }
    }
  });
});

describe("Buffer and string inputs", () => {
  it("give identical results", () => {
    const cases: [string, string, CompareOptions][] = [
      ["1 2\n3\n", "1 2\n4\n", DEFAULT_COMPARE],
      ["ÄÖÜ 1.5\n", "äöü 1.5000001\n", STDIO_COMPARE_NO_CHECKER],
      ["\uFEFF1\n", "1\n", DEFAULT_COMPARE],
      ["1 2", "1", DEFAULT_COMPARE],
      ["1 2\n", "1  2\n", { ...DEFAULT_COMPARE, spaceChangeSensitive: true }],
      ["é".repeat(100), "é".repeat(99), DEFAULT_COMPARE],
    ];
    for (const [e, g, o] of cases) {
      const fromStrings = compareOutput(e, g, o);
      expect(compareOutput(Buffer.from(e), Buffer.from(g), o)).toEqual(fromStrings);
      expect(compareOutput(e, Buffer.from(g), o)).toEqual(fromStrings);
      expect(compareOutput(Buffer.from(e), g, o)).toEqual(fromStrings);
    }
  });
});
