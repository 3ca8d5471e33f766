import { createHash } from "node:crypto";

/**
 * What crosses the queue is JSON text. Judge inputs and results are plain data (RunRecord keeps
 * stdout and stderr as strings, PyValues are JSON arrays), but a Buffer could still appear in a
 * record or a job (a test's stdin, a collected file), and JSON.stringify would turn it into
 * `{type: "Buffer", data: [...]}` that nothing turns back. This codec carries Buffers as
 * `{"$b64": "..."}` and rebuilds them, and carries non-finite numbers and -0 exactly.
 */
const B64 = "$b64";
const NUM = "$num";

function replace(this: unknown, key: string, value: unknown): unknown {
  // JSON.stringify calls toJSON before the replacer: read the raw value from the holder.
  const raw = (this as Record<string, unknown>)[key];
  if (Buffer.isBuffer(raw)) return { [B64]: raw.toString("base64") };
  if (raw instanceof Uint8Array) return { [B64]: Buffer.from(raw).toString("base64") };
  if (typeof raw === "number" && (!Number.isFinite(raw) || Object.is(raw, -0))) {
    return { [NUM]: Object.is(raw, -0) ? "-0" : String(raw) };
  }
  return value;
}

function revive(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o[B64] === "string") return Buffer.from(o[B64] as string, "base64");
    if (keys.length === 1 && typeof o[NUM] === "string") return Number(o[NUM]);
  }
  return value;
}

export function encode(value: unknown): string {
  return JSON.stringify(value, replace);
}

export function decode<T>(text: string): T {
  return JSON.parse(text, revive) as T;
}

/** JSON with object keys in sorted order (undefined members dropped), for content hashes. */
export function canonicalJson(value: unknown): string {
  return encode(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object" || Buffer.isBuffer(v) || v instanceof Uint8Array) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

/** sha256 (hex) of a value's canonical JSON, and that JSON. */
export function contentHash(value: unknown): { hash: string; json: string } {
  const json = canonicalJson(value);
  return { hash: createHash("sha256").update(json).digest("hex"), json };
}
