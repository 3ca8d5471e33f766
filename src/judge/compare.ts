import type { CompareOptions } from "./types.js";

export interface CompareResult {
  ok: boolean;
  /** Where and how the outputs differ, for feedback to people and models. */
  message?: string;
}

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i;

function tokensWithSeparators(text: string): { tokens: string[]; seps: string[] } {
  const tokens: string[] = [];
  const seps: string[] = [];
  const re = /\S+/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    seps.push(text.slice(last, m.index));
    tokens.push(m[0]);
    last = m.index + m[0].length;
  }
  return { tokens, seps };
}

function intEqual(a: string, b: string): boolean {
  return BigInt(a) === BigInt(b);
}

/** Token equality under Kattis default-validator rules, with integers exact at any size. */
export function tokenEqual(want: string, got: string, o: CompareOptions): boolean {
  if (want === got) return true;
  const tolerant = o.floatAbsTol !== undefined || o.floatRelTol !== undefined;
  if (INTEGER.test(want) && INTEGER.test(got)) return tolerant ? intEqual(want, got) : false;
  if (tolerant && FLOAT.test(want) && FLOAT.test(got)) {
    const w = Number(want);
    const g = Number(got);
    if (Number.isNaN(w) || Number.isNaN(g)) return Number.isNaN(w) && Number.isNaN(g);
    if (w === g) return true;
    const diff = Math.abs(w - g);
    if (o.floatAbsTol !== undefined && diff <= o.floatAbsTol) return true;
    if (o.floatRelTol !== undefined && diff <= o.floatRelTol * Math.abs(w)) return true;
    return false;
  }
  return !o.caseSensitive && want.toLowerCase() === got.toLowerCase();
}

function lineOf(seps: string[], index: number): number {
  let line = 1;
  for (let i = 0; i <= index && i < seps.length; i++) {
    for (const ch of seps[i]!) if (ch === "\n") line++;
  }
  return line;
}

function show(token: string): string {
  return token.length > 60 ? `${token.slice(0, 57)}...` : token;
}

/** Compares a program's output with the expected answer. */
export function compareOutput(expected: string, got: string, o: CompareOptions): CompareResult {
  const want = tokensWithSeparators(expected);
  const have = tokensWithSeparators(got);
  const n = Math.min(want.tokens.length, have.tokens.length);
  for (let i = 0; i < n; i++) {
    if (!tokenEqual(want.tokens[i]!, have.tokens[i]!, o)) {
      const line = lineOf(have.seps, i);
      return {
        ok: false,
        message: `token ${i + 1} (line ${line}): expected '${show(want.tokens[i]!)}', got '${show(have.tokens[i]!)}'`,
      };
    }
    if (o.spaceChangeSensitive && i > 0 && want.seps[i] !== have.seps[i]) {
      return { ok: false, message: `whitespace before token ${i + 1} differs` };
    }
  }
  if (want.tokens.length !== have.tokens.length) {
    return {
      ok: false,
      message:
        have.tokens.length < want.tokens.length
          ? `output ended early: expected ${want.tokens.length} tokens, got ${have.tokens.length}`
          : `too much output: expected ${want.tokens.length} tokens, got ${have.tokens.length}`,
    };
  }
  if (o.spaceChangeSensitive) {
    const trailW = expected.slice(expected.trimEnd().length);
    const trailG = got.slice(got.trimEnd().length);
    const leadW = want.seps[0] ?? "";
    const leadG = have.seps[0] ?? "";
    if (leadW !== leadG || trailW.replace(/\n$/, "") !== trailG.replace(/\n$/, "")) {
      return { ok: false, message: "leading or trailing whitespace differs" };
    }
  }
  return { ok: true };
}

/**
 * Maps Kattis `validator_flags` for the default validator onto compare options. Kattis' default
 * validator ignores case and amounts of whitespace unless told otherwise. Flags it does not
 * know are returned (a custom validator may take them); a tolerance without a number throws.
 */
export function parseValidatorFlags(flags: string[]): { compare: CompareOptions; unknown: string[] } {
  const compare: CompareOptions = { caseSensitive: false, spaceChangeSensitive: false };
  const unknown: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    const num = (): number => {
      const v = Number(flags[i + 1]);
      if (flags[i + 1] === undefined || !Number.isFinite(v)) {
        throw new Error(
          `validator flag ${f} needs a number${flags[i + 1] === undefined ? "" : `, got '${flags[i + 1]}'`}`,
        );
      }
      i++;
      return v;
    };
    if (f === "case_sensitive") compare.caseSensitive = true;
    else if (f === "space_change_sensitive") compare.spaceChangeSensitive = true;
    else if (f === "float_relative_tolerance") compare.floatRelTol = num();
    else if (f === "float_absolute_tolerance") compare.floatAbsTol = num();
    else if (f === "float_tolerance") {
      const v = num();
      compare.floatRelTol = v;
      compare.floatAbsTol = v;
    } else unknown.push(f);
  }
  return { compare, unknown };
}
