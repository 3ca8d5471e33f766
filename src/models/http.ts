import type { Pool } from "undici";
import { ModelError } from "./types.js";

/**
 * JSON over HTTP to one server, with the error mapping every client of an inference server
 * needs: HTTP errors with the server's own message and Retry-After, connection failures,
 * per-attempt timeouts and malformed JSON, each a ModelError the retry layer understands.
 * The chat-completions endpoint and the verifier scorers (src/verifiers) share it.
 */

export interface JsonHttpOptions {
  /** Base URL including any API prefix, e.g. `http://host:8000/v1`. */
  baseUrl: string;
  headers?: Record<string, string>;
  /** Time limit for one attempt, headers and body together; 0 disables it. Default 30 min. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Upper bound on sockets to this server. */
  connections?: number;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const CONNECTION_CODES = new Set([
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === "") return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export class JsonHttp {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** Created on first use: loading undici costs ~0.1 s that commands without a model need not pay. */
  private pool: Promise<Pool> | undefined;
  private readonly poolOptions: Pool.Options;
  private readonly origin: string;
  private readonly pathPrefix: string;
  private readonly headers: Record<string, string>;

  constructor(options: JsonHttpOptions) {
    const url = new URL(options.baseUrl);
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.pathPrefix = url.pathname.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.headers = { "content-type": "application/json", accept: "application/json", ...options.headers };
    // Non-streaming answers send their headers only when done: undici's own header and body
    // timeouts would cut long generations, so they are off and one per-attempt limit applies.
    this.origin = url.origin;
    this.poolOptions = {
      connections: options.connections ?? 1024,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    };
  }

  private connectionPool(): Promise<Pool> {
    this.pool ??= import("undici").then(({ Pool }) => new Pool(this.origin, this.poolOptions));
    return this.pool;
  }

  /** POSTs `body` as JSON to `path` (after the base URL's prefix); returns the parsed answer. */
  post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    return this.call("POST", path, typeof body === "string" ? body : JSON.stringify(body), signal);
  }

  get(path: string, signal?: AbortSignal): Promise<unknown> {
    return this.call("GET", path, undefined, signal);
  }

  async call(method: "GET" | "POST", path: string, body: string | undefined, signal?: AbortSignal) {
    if (signal?.aborted) throw new ModelError("aborted", "request aborted", { endpoint: this.baseUrl });
    const controller = new AbortController();
    let timedOut = false;
    const timer =
      this.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, this.timeoutMs)
        : undefined;
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const pool = await this.connectionPool();
      const res = await pool.request({
        method,
        path: this.pathPrefix + path,
        headers: this.headers,
        body,
        signal: controller.signal,
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new ModelError(
          "http",
          `HTTP ${res.statusCode} from ${this.baseUrl}${path}: ${errorDetail(text)}`,
          {
            status: res.statusCode,
            retryAfterMs: parseRetryAfter(res.headers["retry-after"]),
            endpoint: this.baseUrl,
          },
        );
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new ModelError(
          "bad_response",
          `malformed JSON from ${this.baseUrl}${path}: ${text.slice(0, 120)}`,
          {
            cause: err,
            endpoint: this.baseUrl,
          },
        );
      }
    } catch (err) {
      if (err instanceof ModelError) throw err;
      if (timedOut) {
        throw new ModelError(
          "timeout",
          `no complete answer from ${this.baseUrl} within ${this.timeoutMs} ms`,
          {
            cause: err,
            endpoint: this.baseUrl,
          },
        );
      }
      if (signal?.aborted)
        throw new ModelError("aborted", "request aborted", { cause: err, endpoint: this.baseUrl });
      const code = (err as { code?: string }).code ?? "";
      const message = err instanceof Error ? err.message : String(err);
      if (CONNECTION_CODES.has(code) || code.startsWith("UND_ERR")) {
        throw new ModelError("connection", `${this.baseUrl}: ${code} ${message}`.trim(), {
          cause: err,
          endpoint: this.baseUrl,
        });
      }
      throw new ModelError("connection", `${this.baseUrl}: ${message}`, {
        cause: err,
        endpoint: this.baseUrl,
      });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    if (this.pool) await (await this.pool).close();
  }
}

/** The server's error message if the body is an OpenAI-style error, else the start of the body. */
function errorDetail(text: string): string {
  try {
    const json = JSON.parse(text) as {
      error?: { message?: unknown } | string;
      message?: unknown;
      detail?: unknown;
    };
    const e = json.error;
    const message = typeof e === "string" ? e : (e?.message ?? json.message ?? json.detail);
    if (message !== undefined) return String(message).slice(0, 300);
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.slice(0, 300) || "(empty body)";
}
