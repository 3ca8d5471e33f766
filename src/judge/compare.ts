import { isUtf8 } from "node:buffer";
import type { CompareOptions } from "../core/verdict.js";

/*
 * Token comparison of a program's output with the expected answer, Kattis default-validator
 * style, with these decisions:
 *
 * - Tokens are separated by ASCII whitespace only (space, \t, \n, \v, \f, \r), as in testlib and
 *   the Kattis default validator. A UTF-8 BOM, a non-breaking space or any other Unicode space
 *   in the program's output is an ordinary token character: `1\u00A02` is one token, wrong
 *   against `1 2`. Only a leading BOM of the expected answer is skipped, because datasets carry
 *   it as an artefact of how their answer files were written; a program that prints one has
 *   printed a different first token.
 * - An expected token that is an integer (`[+-]?\d+`) needs the same integer value, whatever the
 *   tolerance options or Kattis validator flags say: a relative tolerance of 1e-6 would otherwise
 *   accept `1000000000.0` for `1000000007`. The answer may be another integer (`007` for `7`,
 *   `-0` for `0`) or, because answer files of real-valued problems sometimes print an integral
 *   answer as `3`, a fixed-point decimal whose fractional digits are all zeros (`3.0`, `3.000`,
 *   `-0.00` for `0`); `3.`, `3e0` and `2.9999999` are wrong. Tolerance applies only to expected
 *   tokens that are not integers, so a Kattis problem whose answer is `10` with
 *   `float_tolerance 1e-6` accepts `10.000000` and rejects `9.9999999`.
 * - The work is linear in the size of both texts: cursors walk both byte buffers at once, equal
 *   bytes mean equal tokens, and only two tokens that differ are decoded (UTF-8) for the
 *   numeric and case-insensitive rules. Integers are compared as digit strings, never through
 *   BigInt (a 60-million-digit token took BigInt 22 s).
 * - A token longer than MAX_INEXACT_TOKEN_BYTES that is not byte-identical to the expected token
 *   (or, case-insensitively, identical but for ASCII case) is wrong without numeric parsing: no
 *   answer needs a megabyte-long number compared loosely, and parsing one is how a program makes
 *   the judge slow. That includes `0` followed by a copy of a huge integer answer.
 * - Case-insensitively, tokens that differ only in the case of ASCII letters are equal without
 *   being decoded; other tokens are decoded and lower-cased (Unicode rules). A token that is not
 *   valid UTF-8 matches only tokens with the same bytes but for ASCII case: decoding would map
 *   different invalid bytes to the same replacement character.
 */

export interface CompareResult {
  ok: boolean;
  /** Where and how the outputs differ, for feedback to people and models. */
  message?: string;
}

/** Longest token compared other than byte for byte (numerically or ignoring case). */
export const MAX_INEXACT_TOKEN_BYTES = 1 << 20;

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

/** 1 for the bytes that separate tokens: ASCII whitespace, and nothing else. */
const SEPARATOR = new Uint8Array(256);
for (const b of [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]) SEPARATOR[b] = 1;

const LF = 0x0a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

type TokenMatch = "equal" | "different" | "too long";

function isDigit(b: number): boolean {
  return b >= ZERO && b <= NINE;
}

function isInteger(b: Buffer, start: number, end: number): boolean {
  let i = start;
  if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
  if (i === end) return false;
  for (; i < end; i++) if (!isDigit(b[i]!)) return false;
  return true;
}

/**
 * Whether `got` is the integer `want` (known to be `[+-]?\d+`): an integer or a decimal with
 * only zeros after the point, with the same sign and digits once leading zeros are dropped.
 */
function sameInteger(w: Buffer, ws: number, we: number, g: Buffer, gs: number, ge: number): boolean {
  let wantNegative = false;
  let i = ws;
  if (w[i] === PLUS || w[i] === MINUS) wantNegative = w[i++] === MINUS;
  while (i < we - 1 && w[i] === ZERO) i++;
  const wantStart = i;

  let gotNegative = false;
  let j = gs;
  if (j < ge && (g[j] === PLUS || g[j] === MINUS)) gotNegative = g[j++] === MINUS;
  const digitsStart = j;
  while (j < ge && isDigit(g[j]!)) j++;
  const gotEnd = j;
  if (gotEnd === digitsStart) return false;
  if (j < ge) {
    if (g[j] !== DOT || j + 1 === ge) return false;
    for (j++; j < ge; j++) if (g[j] !== ZERO) return false;
  }
  j = digitsStart;
  while (j < gotEnd - 1 && g[j] === ZERO) j++;
  const gotStart = j;

  // Zero has no sign: `-0` and `-0.00` are `0`.
  const wantZero = we - wantStart === 1 && w[wantStart] === ZERO;
  const gotZero = gotEnd - gotStart === 1 && g[gotStart] === ZERO;
  if (wantZero || gotZero) return wantZero && gotZero;
  return wantNegative === gotNegative && w.compare(g, gotStart, gotEnd, wantStart, we) === 0;
}

/** The token's text, or undefined when it is not valid UTF-8 (then only its bytes can match). */
function decode(b: Buffer, start: number, end: number): string | undefined {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return b.toString("latin1", start, end);
  return isUtf8(b.subarray(start, end)) ? b.toString("utf8", start, end) : undefined;
}

function floatValue(token: string): number {
  const inf = INFINITY.exec(token);
  if (inf) return inf[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  // Number() reads every other FLOAT form, and `nan` (any case) as NaN.
  return Number(token);
}

function floatsClose(want: number, got: number, o: CompareOptions): boolean {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got);
  // Without this, inf would be within any relative tolerance of every finite number.
  if (!Number.isFinite(want) || !Number.isFinite(got)) return want === got;
  if (want === got) return true;
  const diff = Math.abs(want - got);
  if (o.floatAbsTol !== undefined && diff <= o.floatAbsTol) return true;
  if (o.floatRelTol !== undefined && diff <= o.floatRelTol * Math.abs(want)) return true;
  return false;
}

/** The rules for two non-integer-expected tokens whose bytes differ, on their text. */
function textTokensEqual(want: string, got: string, o: CompareOptions): boolean {
  const tolerant = o.floatAbsTol !== undefined || o.floatRelTol !== undefined;
  if (tolerant && FLOAT.test(want) && FLOAT.test(got)) {
    return floatsClose(floatValue(want), floatValue(got), o);
  }
  return !o.caseSensitive && want.toLowerCase() === got.toLowerCase();
}

/** Whether both ranges are ASCII and equal once A-Z are lower-cased (what toLowerCase does then). */
function asciiFoldEqual(w: Buffer, ws: number, we: number, g: Buffer, gs: number, ge: number): boolean {
  if (we - ws !== ge - gs) return false;
  for (let i = ws, j = gs; i < we; i++, j++) {
    let a = w[i]!;
    let b = g[j]!;
    if ((a | b) >= 0x80) return false;
    if (a >= 0x41 && a <= 0x5a) a |= 0x20;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (a !== b) return false;
  }
  return true;
}

/** Powers of ten that are exact doubles. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, e) => 10 ** e);

/**
 * The value of a decimal token (`[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`) read straight from its
 * bytes, when it has at most 15 significant digits and a small exponent: then the digits are an
 * exact double and one multiplication or division by an exact power of ten rounds correctly
 * (Clinger's fast path), so this is exactly Number(text). Undefined for anything else, which
 * takes the slow path through the token's text. Judging millions of floats within tolerance
 * would otherwise spend most of its time decoding tokens into strings.
 */
function fastDecimal(b: Buffer, start: number, end: number): number | undefined {
  let i = start;
  let negative = false;
  if (i < end && (b[i] === PLUS || b[i] === MINUS)) negative = b[i++] === MINUS;
  let mantissa = 0;
  let significant = 0;
  let intDigits = 0;
  let fracDigits = 0;
  for (; i < end && isDigit(b[i]!); i++, intDigits++) {
    if (mantissa !== 0 || b[i] !== ZERO) significant++;
    mantissa = mantissa * 10 + (b[i]! - ZERO);
  }
  if (i < end && b[i] === DOT) {
    for (i++; i < end && isDigit(b[i]!); i++, fracDigits++) {
      if (mantissa !== 0 || b[i] !== ZERO) significant++;
      mantissa = mantissa * 10 + (b[i]! - ZERO);
    }
  }
  if (intDigits + fracDigits === 0 || significant > 15) return undefined;
  let exponent = 0;
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    let expNegative = false;
    if (i < end && (b[i] === PLUS || b[i] === MINUS)) expNegative = b[i++] === MINUS;
    const expStart = i;
    for (; i < end && isDigit(b[i]!); i++) {
      exponent = exponent * 10 + (b[i]! - ZERO);
      if (exponent > 1000) return undefined;
    }
    if (i === expStart) return undefined;
    if (expNegative) exponent = -exponent;
  }
  if (i !== end) return undefined;
  const scale = exponent - fracDigits;
  if (scale < -22 || scale > 22) return undefined;
  const value = scale < 0 ? mantissa / EXACT_POWERS_OF_TEN[-scale]! : mantissa * EXACT_POWERS_OF_TEN[scale]!;
  return negative ? -value : value;
}

/** The rules for two tokens whose bytes differ. */
function matchTokens(
  w: Buffer,
  ws: number,
  we: number,
  g: Buffer,
  gs: number,
  ge: number,
  o: CompareOptions,
): TokenMatch {
  if (we - ws > MAX_INEXACT_TOKEN_BYTES || ge - gs > MAX_INEXACT_TOKEN_BYTES) return "too long";
  if (isInteger(w, ws, we)) return sameInteger(w, ws, we, g, gs, ge) ? "equal" : "different";
  // Fast paths on bytes with the results of the text rules below (see compareOutput on case).
  if (!o.caseSensitive && asciiFoldEqual(w, ws, we, g, gs, ge)) return "equal";
  if (o.floatAbsTol !== undefined || o.floatRelTol !== undefined) {
    const want = fastDecimal(w, ws, we);
    const got = want === undefined ? undefined : fastDecimal(g, gs, ge);
    if (want !== undefined && got !== undefined) return floatsClose(want, got, o) ? "equal" : "different";
  }
  const want = decode(w, ws, we);
  const got = decode(g, gs, ge);
  if (want === undefined || got === undefined) return "different";
  return textTokensEqual(want, got, o) ? "equal" : "different";
}

/**
 * Token equality under Kattis default-validator rules, with integers exact at any size (see the
 * notes at the top of this file); the rule compareOutput applies to each pair of tokens.
 */
export function tokenEqual(want: string, got: string, o: CompareOptions): boolean {
  if (want === got) return true;
  const w = Buffer.from(want, "utf8");
  const g = Buffer.from(got, "utf8");
  return w.equals(g) || matchTokens(w, 0, w.length, g, 0, g.length, o) === "equal";
}

/** At most about 60 characters of a token, for messages; decodes only its first bytes. */
function show(b: Buffer, start: number, end: number): string {
  // 240 bytes hold at least 60 characters of UTF-8.
  const text = b.toString("utf8", start, Math.min(end, start + 240));
  return end - start > 240 || text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function rangesEqual(a: Buffer, as: number, ae: number, b: Buffer, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let i = as, j = bs; i < ae; i++, j++) if (a[i] !== b[j]) return false;
  return true;
}

/** Tokens in b from `start`, which is at a token or at the end. */
function countTokens(b: Buffer, start: number): number {
  let n = 0;
  let inToken = false;
  for (let i = start; i < b.length; i++) {
    const sep = SEPARATOR[b[i]!] === 1;
    if (!sep && !inToken) n++;
    inToken = !sep;
  }
  return n;
}

/** The range with one final newline dropped, the one difference in trailing space ignored. */
function withoutFinalNewline(b: Buffer, start: number, end: number): number {
  return end > start && b[end - 1] === LF ? end - 1 : end;
}

function asBytes(text: string | Buffer): Buffer {
  return typeof text === "string" ? Buffer.from(text, "utf8") : text;
}

/**
 * Compares a program's output with the expected answer, token by token (rules at the top of
 * this file). Buffers are read as they are, so a judge need not decode a large output first.
 */
export function compareOutput(
  expected: string | Buffer,
  got: string | Buffer,
  o: CompareOptions,
): CompareResult {
  const w = asBytes(expected);
  const g = asBytes(got);
  const wl = w.length;
  const gl = g.length;
  let wi = wl >= 3 && w[0] === 0xef && w[1] === 0xbb && w[2] === 0xbf ? 3 : 0;
  let gi = 0;
  let line = 1;
  let tokens = 0;
  const foldCase = !o.caseSensitive;

  // The separators before the current token: the leading whitespace first, the trailing
  // whitespace once both texts have ended.
  let wSep = wi;
  while (wi < wl && SEPARATOR[w[wi]!] === 1) wi++;
  let gSep = gi;
  while (gi < gl) {
    const b = g[gi]!;
    if (SEPARATOR[b] !== 1) break;
    if (b === LF) line++;
    gi++;
  }
  const wLead = [wSep, wi] as const;
  const gLead = [gSep, gi] as const;

  while (wi < wl && gi < gl) {
    // Both cursors are at a token: walk while the bytes agree, or differ only in the case of
    // ASCII letters when case does not matter. Most tokens end here, equal: tokens equal but
    // for ASCII case are equal under every rule (the numeric rule too, where case changes only
    // `e`, `inf` and `nan`, and the lower-casing rule, since an ASCII letter's case changes
    // nothing about its neighbours' lower case).
    const ws = wi;
    const gs = gi;
    const common = Math.min(wl - wi, gl - gi);
    let k = 0;
    while (k < common) {
      const a = w[wi + k]!;
      const b = g[gi + k]!;
      if (a !== b) {
        const lower = a | 0x20;
        if (!foldCase || lower !== (b | 0x20) || lower < 0x61 || lower > 0x7a) break;
      } else if (SEPARATOR[a] === 1) break;
      k++;
    }
    wi += k;
    gi += k;
    const wantEnded = wi === wl || SEPARATOR[w[wi]!] === 1;
    const gotEnded = gi === gl || SEPARATOR[g[gi]!] === 1;
    tokens++;
    if (!wantEnded || !gotEnded) {
      while (wi < wl && SEPARATOR[w[wi]!] !== 1) wi++;
      while (gi < gl && SEPARATOR[g[gi]!] !== 1) gi++;
      const match = matchTokens(w, ws, wi, g, gs, gi, o);
      if (match !== "equal") {
        const where = `token ${tokens} (line ${line}): expected '${show(w, ws, wi)}', got '${show(g, gs, gi)}'`;
        return {
          ok: false,
          message:
            match === "too long"
              ? `${where} (over ${MAX_INEXACT_TOKEN_BYTES} bytes: too long to compare as a number, only an exact copy matches)`
              : where,
        };
      }
    }
    if (o.spaceChangeSensitive && tokens > 1 && !rangesEqual(w, wSep, ws, g, gSep, gs)) {
      return { ok: false, message: `whitespace before token ${tokens} differs` };
    }
    wSep = wi;
    while (wi < wl && SEPARATOR[w[wi]!] === 1) wi++;
    gSep = gi;
    while (gi < gl) {
      const b = g[gi]!;
      if (SEPARATOR[b] !== 1) break;
      if (b === LF) line++;
      gi++;
    }
  }

  if (wi < wl) {
    return {
      ok: false,
      message: `output ended early: expected ${tokens + countTokens(w, wi)} tokens, got ${tokens}`,
    };
  }
  if (gi < gl) {
    return {
      ok: false,
      message: `too much output: expected ${tokens} tokens, got ${tokens + countTokens(g, gi)}`,
    };
  }
  if (o.spaceChangeSensitive) {
    // With no tokens at all, everything is trailing whitespace and there is no leading one.
    const leadEqual = tokens === 0 || rangesEqual(w, wLead[0], wLead[1], g, gLead[0], gLead[1]);
    const trailEqual = rangesEqual(
      w,
      wSep,
      withoutFinalNewline(w, wSep, wl),
      g,
      gSep,
      withoutFinalNewline(g, gSep, gl),
    );
    if (!leadEqual || !trailEqual) return { ok: false, message: "leading or trailing whitespace differs" };
  }
  return { ok: true };
}

/**
 * Maps Kattis `validator_flags` for the default validator onto compare options. Kattis' default
 * validator ignores case and amounts of whitespace unless told otherwise. Flags it does not
 * know are returned (a custom validator may take them); a tolerance without a number throws.
 * Whatever the flags, integer answers stay exact (see the notes at the top of this file).
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
