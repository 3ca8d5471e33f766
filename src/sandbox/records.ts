import { type PyValue, pyFromJsonText } from "../core/pyvalue.js";
import type { SandboxTrace, SandboxTraceEvent } from "./types.js";

/**
 * Parsing what a program could have written. The status channel and everything on it (return
 * values, exception names, traces) is the program's own output: a program can write any bytes
 * there. Nothing here throws on bad input; a record that does not have the expected shape is
 * reported as such and becomes the test's runtime error, never a crash of codeloop.
 */

/** Returned values nest at most this deep (runner.py refuses deeper ones when it encodes). */
export const MAX_VALUE_DEPTH = 1000;
/**
 * Nodes in one returned value, packed list items included (runner.py's encoding budget is
 * 2,000,000): about 150 MB of heap at most, for one test.
 */
export const MAX_VALUE_NODES = 2_100_000;
/** Records read from one test's status channel; a program writing millions is not read. */
export const MAX_STATUS_RECORDS = 64;
/**
 * Ints as runner.py writes them: decimal up to 16384 bits (4933 digits) without leading zeros,
 * else hexadecimal. A longer decimal would cost Node seconds to convert, and is forged.
 */
const INT_TEXT = /^-?(?:0|[1-9]\d{0,4939}|0x[1-9a-f][0-9a-f]*)$/;
const MAX_INT_DIGITS = 4940;

const SCALAR_TAGS = new Set(["N", "b", "i", "f", "s", "y"]);
const FLOAT_WORDS = new Set(["nan", "inf", "-inf"]);

function isFloatPart(x: unknown): boolean {
  return (typeof x === "number" && Number.isFinite(x)) || (typeof x === "string" && FLOAT_WORDS.has(x));
}

/**
 * Checks that `v` is a well-formed PyValue, iteratively (a 100,000-deep value must not blow the
 * stack), and returns why not. Big integers must be decimal digit strings.
 */
export function pyValueProblem(v: unknown): string | undefined {
  const stack: [unknown, number][] = [[v, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (++nodes > MAX_VALUE_NODES) return "value too large";
    if (depth > MAX_VALUE_DEPTH) return "value nested too deeply";
    if (!Array.isArray(x) || x.length === 0 || typeof x[0] !== "string") return "not a tagged value";
    const tag = x[0] as string;
    if (SCALAR_TAGS.has(tag)) {
      if (tag === "N") {
        if (x.length !== 1) return "malformed None";
      } else if (x.length !== 2) return `malformed '${tag}' value`;
      else if (tag === "b" && typeof x[1] !== "boolean") return "malformed bool";
      else if (tag === "i" && (typeof x[1] !== "string" || !INT_TEXT.test(x[1]))) return "malformed int";
      else if (tag === "f" && !isFloatPart(x[1])) return "malformed float";
      else if (tag === "s" && typeof x[1] !== "string") return "malformed str";
      else if (tag === "y" && (typeof x[1] !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(x[1])))
        return "malformed bytes";
      continue;
    }
    switch (tag) {
      case "c":
        if (x.length !== 3 || !isFloatPart(x[1]) || !isFloatPart(x[2])) return "malformed complex";
        break;
      case "l":
      case "t":
      case "S":
      case "F":
        if (x.length !== 2 || !Array.isArray(x[1])) return `malformed '${tag}' value`;
        for (const item of x[1] as unknown[]) stack.push([item, depth + 1]);
        break;
      case "d":
        if (x.length !== 2 || !Array.isArray(x[1])) return "malformed dict";
        for (const pair of x[1] as unknown[]) {
          if (!Array.isArray(pair) || pair.length !== 2) return "malformed dict entry";
          stack.push([pair[0], depth + 1], [pair[1], depth + 1]);
        }
        break;
      case "T":
        if (x.length !== 3 || typeof x[1] !== "string") return "malformed typed value";
        stack.push([x[2], depth + 1]);
        break;
      case "o":
        if (x.length !== 3 || typeof x[1] !== "string" || typeof x[2] !== "string") return "malformed object";
        break;
      default:
        return `unknown value tag '${tag.slice(0, 20)}'`;
    }
  }
  return undefined;
}

/** One parsed status record: an object with a string `k`, or the reason it is not one. */
export type StatusRecord = { k: string; [field: string]: unknown };

export interface StatusLines {
  records: StatusRecord[];
  /** Set when some line was not a record (the program wrote into the channel). */
  garbled?: string;
}

/**
 * One linear pass over a record's bytes before JSON.parse sees it: how deep its arrays and
 * objects nest (strings skipped) and how many there are. A 16 MiB line of brackets took
 * JSON.parse many seconds and gigabytes; no value runner.py writes comes near these bounds.
 */
function jsonShapeOk(raw: Buffer, start: number, end: number): boolean {
  let depth = 0;
  let containers = 0;
  for (let i = start; i < end; i++) {
    const c = raw[i]!;
    if (c === 0x22) {
      // Skip a string, escapes included.
      for (i++; i < end && raw[i] !== 0x22; i++) if (raw[i] === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH || ++containers > MAX_JSON_CONTAINERS) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}

/** A PyValue level is two JSON arrays deep (tag and items); dict pairs add one more each. */
const MAX_JSON_DEPTH = 3 * MAX_VALUE_DEPTH + 8;
const MAX_JSON_CONTAINERS = 3 * MAX_VALUE_NODES + 8;

/** Splits the raw status channel into records (the first MAX_STATUS_RECORDS); never throws. */
export function parseStatus(raw: Buffer | undefined): StatusLines {
  const out: StatusLines = { records: [] };
  if (!raw || raw.length === 0) return out;
  let start = 0;
  let lines = 0;
  while (start < raw.length) {
    if (++lines > MAX_STATUS_RECORDS) {
      out.garbled ??= `more than ${MAX_STATUS_RECORDS} records in the status channel`;
      break;
    }
    let end = raw.indexOf(10, start);
    if (end < 0) end = raw.length;
    if (end > start) {
      let rec: unknown;
      try {
        rec = jsonShapeOk(raw, start, end) ? JSON.parse(raw.toString("utf8", start, end)) : undefined;
      } catch {
        rec = undefined;
      }
      if (
        typeof rec === "object" &&
        rec !== null &&
        !Array.isArray(rec) &&
        typeof (rec as { k?: unknown }).k === "string"
      ) {
        out.records.push(rec as StatusRecord);
      } else {
        out.garbled ??= "a line of the status channel is not a record";
      }
    }
    start = end + 1;
  }
  return out;
}

function str(x: unknown, max = 500): string | undefined {
  return typeof x === "string" ? x.slice(0, max) : undefined;
}

/** A trace record's payload, checked field by field and capped; undefined if it is not one. */
export function parseTrace(x: unknown): SandboxTrace | undefined {
  if (typeof x !== "object" || x === null) return undefined;
  const t = x as { events?: unknown; omitted?: unknown; outcome?: unknown };
  if (!Array.isArray(t.events)) return undefined;
  const events: SandboxTraceEvent[] = [];
  for (const e of t.events.slice(0, 2000)) {
    if (typeof e !== "object" || e === null) return undefined;
    const ev = e as { line?: unknown; func?: unknown; source?: unknown; vars?: unknown };
    if (!Number.isSafeInteger(ev.line) || typeof ev.func !== "string" || typeof ev.source !== "string")
      return undefined;
    const vars: Record<string, string> = {};
    if (typeof ev.vars === "object" && ev.vars !== null && !Array.isArray(ev.vars)) {
      for (const [k, v] of Object.entries(ev.vars).slice(0, 100)) {
        if (typeof v === "string") vars[k.slice(0, 100)] = v.slice(0, 1000);
      }
    }
    events.push({
      line: ev.line as number,
      func: ev.func.slice(0, 200),
      source: ev.source.slice(0, 1000),
      vars,
    });
  }
  const trace: SandboxTrace = { events };
  const om = t.omitted as { after?: unknown; count?: unknown } | undefined;
  if (om && Number.isSafeInteger(om.after) && Number.isSafeInteger(om.count)) {
    trace.omitted = { after: om.after as number, count: om.count as number };
  }
  const outcome = str(t.outcome, 300);
  if (outcome !== undefined) trace.outcome = outcome;
  return trace;
}

/**
 * Expands runner.py's packed lists (["J", "l"|"t", <JSON text of scalars>], its fast form for
 * long lists) into ordinary PyValues, in place; returns why it cannot, if it cannot.
 */
function unpack(v: unknown): string | undefined {
  const stack: unknown[] = [v];
  let nodes = 0;
  while (stack.length > 0) {
    const x = stack.pop();
    if (++nodes > MAX_VALUE_NODES) return "value too large";
    if (!Array.isArray(x) || x.length === 0) continue;
    if (x[0] === "Jd" || x[0] === "Jq") {
      if (x.length !== 3 || (x[1] !== "l" && x[1] !== "t") || typeof x[2] !== "string")
        return "malformed packed list";
      // Counted before anything is allocated: 8 bytes an item, 4 base64 characters per 3 bytes.
      nodes += Math.floor((x[2].length * 3) / 32);
      if (nodes > MAX_VALUE_NODES) return "value too large";
      const bytes = Buffer.from(x[2], "base64");
      if (bytes.length % 8 !== 0) return "malformed packed list";
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const items: PyValue[] = new Array(bytes.length / 8);
      for (let k = 0; k < items.length; k++) {
        if (x[0] === "Jd") {
          const f = view.getFloat64(8 * k, true);
          items[k] = [
            "f",
            Number.isNaN(f)
              ? "nan"
              : f === Number.POSITIVE_INFINITY
                ? "inf"
                : f === Number.NEGATIVE_INFINITY
                  ? "-inf"
                  : f,
          ];
        } else items[k] = ["i", view.getBigInt64(8 * k, true).toString()];
      }
      const kind = x[1];
      x.length = 0;
      x.push(kind, items);
      continue;
    }
    if (x[0] === "J" || x[0] === "Jn" || x[0] === "JM") {
      // ["J", kind, text]: scalars; ["Jn", kind, "t"|"l", text]: rows of scalars;
      // ["JM", text]: [key, value] pairs of scalars.
      const tag = x[0];
      const text = x[x.length - 1];
      const shapeOk =
        tag === "J"
          ? x.length === 3 && (x[1] === "l" || x[1] === "t")
          : tag === "Jn"
            ? x.length === 4 && (x[1] === "l" || x[1] === "t") && (x[2] === "l" || x[2] === "t")
            : x.length === 2;
      if (!shapeOk || typeof text !== "string") return "malformed packed list";
      // Items are counted (by their separators) before any is parsed.
      for (let at = text.indexOf(","); at >= 0; at = text.indexOf(",", at + 1)) {
        if (++nodes > MAX_VALUE_NODES) return "value too large";
      }
      let items: PyValue;
      try {
        items = pyFromJsonText(text, { maxIntDigits: MAX_INT_DIGITS });
      } catch {
        return "malformed packed list";
      }
      if (items[0] !== "l") return "malformed packed list";
      const rows = items[1];
      if (tag === "J") {
        if (!rows.every((e) => PACKED_TAGS.has(e[0]))) return "malformed packed list";
        const kind = x[1];
        x.length = 0;
        x.push(kind, rows);
        continue;
      }
      const scalarRow = (r: PyValue, n?: number): r is ["l", PyValue[]] =>
        r[0] === "l" && (n === undefined || r[1].length === n) && r[1].every((e) => PACKED_TAGS.has(e[0]));
      if (tag === "Jn") {
        if (!rows.every((r) => scalarRow(r))) return "malformed packed list";
        const [, kind, inner] = x as [string, "l" | "t", "l" | "t", string];
        x.length = 0;
        x.push(
          kind,
          rows.map((r) => [inner, (r as ["l", PyValue[]])[1]]),
        );
        continue;
      }
      if (!rows.every((r) => scalarRow(r, 2))) return "malformed packed dict";
      x.length = 0;
      x.push(
        "d",
        rows.map((r) => (r as ["l", PyValue[]])[1] as [PyValue, PyValue]),
      );
      continue;
    }
    // A tagged node's children start at 1; a list of items or of dict pairs is all children.
    for (let i = typeof x[0] === "string" ? 1 : 0; i < x.length; i++)
      if (Array.isArray(x[i])) stack.push(x[i]);
  }
  return undefined;
}

const PACKED_TAGS = new Set(["N", "b", "i", "f", "s"]);

/** A returned value from a "ret" record, validated; or why it cannot be used. */
export function returnedValue(rec: StatusRecord): { value?: PyValue; problem?: string } {
  const problem = unpack(rec.v) ?? pyValueProblem(rec.v);
  return problem ? { problem } : { value: rec.v as PyValue };
}

export { str as recordString };
