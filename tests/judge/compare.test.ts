import { describe, expect, it } from "vitest";
import { compareOutput, parseValidatorFlags, tokenEqual } from "../../src/judge/compare.js";
import { DEFAULT_COMPARE } from "../../src/judge/types.js";

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
    expect(tokenEqual("007", "7", DEFAULT_COMPARE)).toBe(false);
  });

  it("applies absolute or relative float tolerance (Kattis semantics)", () => {
    const abs = { ...DEFAULT_COMPARE, floatAbsTol: 1e-3 };
    const rel = { ...DEFAULT_COMPARE, floatRelTol: 1e-3 };
    expect(tokenEqual("0.5", "0.5004", abs)).toBe(true);
    expect(tokenEqual("0.5", "0.502", abs)).toBe(false);
    expect(tokenEqual("1000", "1000.9", rel)).toBe(true);
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
