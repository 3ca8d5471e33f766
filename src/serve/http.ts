import type { IncomingMessage, ServerResponse } from "node:http";

/** An error the client caused or must handle: an HTTP status and a message naming the field. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A body field check failed: 400 with the field's path in the message. */
export function badField(field: string, why: string): HttpError {
  return new HttpError(400, `${field}: ${why}`);
}

const DISCARD_SLACK = 1 << 20;

/**
 * Reads a request body up to `maxBytes`; more is a 413 (the rest of the upload is not read, and
 * the connection is closed after the answer).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes * 4 + DISCARD_SLACK) {
      reject(tooLarge(maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > maxBytes) {
        // Answer at once; the rest of the upload is read and dropped (so the client sees the
        // 413 rather than a reset), up to a cap beyond which the connection is cut.
        done = true;
        chunks.length = 0;
        reject(tooLarge(maxBytes));
        let dropped = size;
        req.on("data", (d: Buffer) => {
          dropped += d.length;
          if (dropped > maxBytes * 4 + DISCARD_SLACK) req.socket.destroy();
        });
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, `request body larger than the limit of ${max} bytes (--max-body)`);
}

/** The body as a JSON object; anything else is a 400 that says what was wrong. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new HttpError(400, "request body must be a JSON object");
  }
  return v as Record<string, unknown>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** "8mb", "512kb", "1048576", "2 MiB" -> bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a size: '${text}' (e.g. 8mb, 512kb, 1048576)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? "b").toLowerCase();
  const mult = unit.startsWith("k")
    ? 1024
    : unit.startsWith("m")
      ? 1024 ** 2
      : unit.startsWith("g")
        ? 1024 ** 3
        : 1;
  const bytes = Math.floor(n * mult);
  if (bytes <= 0) throw new Error(`size must be positive, got '${text}'`);
  return bytes;
}

// Field readers: each names the field it rejects.

export function str(o: Record<string, unknown>, field: string, path = field): string {
  const v = o[field];
  if (typeof v !== "string")
    throw badField(path, v === undefined ? "required (a string)" : `must be a string, got ${typeName(v)}`);
  return v;
}

export function optStr(o: Record<string, unknown>, field: string, path = field): string | undefined {
  return o[field] === undefined || o[field] === null ? undefined : str(o, field, path);
}

export function optBool(o: Record<string, unknown>, field: string, path = field): boolean | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw badField(path, `must be true or false, got ${typeName(v)}`);
  return v;
}

export function optNumber(
  o: Record<string, unknown>,
  field: string,
  range: { min: number; max: number; integer?: boolean },
  path = field,
): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw badField(path, `must be a number, got ${typeName(v)}`);
  if (range.integer && !Number.isInteger(v)) throw badField(path, `must be an integer, got ${v}`);
  if (v < range.min || v > range.max)
    throw badField(path, `must be between ${range.min} and ${range.max}, got ${v}`);
  return v;
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], path: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw badField(path, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got "${value}"`);
  }
  return value as T;
}

export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** Unknown fields are named, so a typo ("stop_on_first_fail") is not silently ignored. */
export function noUnknown(o: Record<string, unknown>, known: readonly string[], prefix = ""): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw badField(`${prefix}${k}`, `unknown field (known: ${known.join(", ")})`);
  }
}
