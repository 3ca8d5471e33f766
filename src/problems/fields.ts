import { ProblemLoadError } from "./errors.js";

/** Where a record came from, for error messages. */
export interface RecordContext {
  file: string;
  row?: number;
  line?: number;
}

export function fail(ctx: RecordContext, field: string, detail: string): never {
  throw new ProblemLoadError(ctx.file, detail, { row: ctx.row, line: ctx.line, field });
}

export function reqString(rec: Record<string, unknown>, field: string, ctx: RecordContext): string {
  const v = rec[field];
  if (typeof v !== "string") fail(ctx, field, `expected a string, got ${describe(v)}`);
  return v;
}

export function optString(
  rec: Record<string, unknown>,
  field: string,
  ctx: RecordContext,
): string | undefined {
  const v = rec[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") fail(ctx, field, `expected a string, got ${describe(v)}`);
  return v;
}

/** Integers arrive as number, bigint (parquet INT64) or text (TACO). */
export function optInt(rec: Record<string, unknown>, field: string, ctx: RecordContext): number | undefined {
  const v = rec[field];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  fail(ctx, field, `expected an integer, got ${describe(v)}`);
}

export function optArray(
  rec: Record<string, unknown>,
  field: string,
  ctx: RecordContext,
): unknown[] | undefined {
  const v = rec[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(ctx, field, `expected a list, got ${describe(v)}`);
  return v;
}

export function stringArray(v: unknown, field: string, ctx: RecordContext): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    fail(ctx, field, `expected a list of strings, got ${describe(v)}`);
  }
  return v as string[];
}

/** JSON text that must parse. */
export function jsonField(text: string, field: string, ctx: RecordContext): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(ctx, field, `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string")
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return typeof v;
}
