import { createHash, timingSafeEqual } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { JudgeService } from "../judge/index.js";
import type { Problem } from "../problems/index.js";
import type { FeedbackKind } from "../prompts/index.js";
import type { Executor } from "../sandbox/index.js";
import type { ServeContext } from "./context.js";
import { Episodes } from "./episodes.js";
import { HttpError, badField, parseJsonObject, readBody, sendJson } from "./http.js";
import { asRequestError, judgeItem, judgeResponse, parseJudgeItem } from "./judge-api.js";
import { Limiter } from "./limiter.js";
import { Metrics } from "./metrics.js";
import { parseRunCode, runCode } from "./run-code.js";

export interface ServeOptions {
  judge: JudgeService;
  /** Runs /run_code's programs; the sandbox the judge uses. */
  executor: Executor;
  problems?: readonly Problem[];
  /** Bearer token every route but /healthz needs; none: open. */
  token?: string;
  /** Request body limit in bytes (default 8 MiB). */
  maxBodyBytes?: number;
  /** Jobs that may wait for a slot (default 4 x capacity). */
  queueLimit?: number;
  /** Default feedback kind of episodes (default failed-test). */
  feedback?: FeedbackKind;
  /** Episodes idle this long are dropped (default 600 s). */
  episodeTimeoutMs?: number;
  /** Items per batch request at most (default 1000). */
  maxBatchItems?: number;
  log?: (line: string) => void;
}

export const DEFAULT_MAX_BODY = 8 * 1024 * 1024;

/** Route names for metrics: ids collapsed so label sets stay bounded. */
function routeOf(method: string, path: string): string {
  if (/^\/v1\/episodes\/[^/]+\/answer$/.test(path)) return `${method} /v1/episodes/:id/answer`;
  if (/^\/v1\/episodes\/[^/]+$/.test(path)) return `${method} /v1/episodes/:id`;
  const known = [
    "/healthz",
    "/v1/capacity",
    "/metrics",
    "/v1/judge",
    "/v1/judge/batch",
    "/run_code",
    "/v1/episodes",
  ];
  return known.includes(path) ? `${method} ${path}` : "other";
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

/**
 * codeloop's judge service over node:http: the native judge API, SandboxFusion's /run_code,
 * the RL episode API, health, capacity and metrics. Every program runs in the executor's
 * sandbox; this process only compares outputs. See docs/serve.md.
 */
export class JudgeServer {
  readonly http: Server;
  readonly ctx: ServeContext;
  readonly episodes: Episodes;
  private readonly tokenDigest: Buffer | null;
  private readonly maxBody: number;
  private readonly maxBatch: number;
  private readonly log: (line: string) => void;
  private active = 0;
  private draining = false;
  private idle: (() => void)[] = [];

  constructor(private readonly opts: ServeOptions) {
    const capacity = Math.max(1, opts.judge.capacity);
    const limiter = new Limiter(capacity, opts.queueLimit ?? capacity * 4);
    const problems = new Map<string, Problem>();
    for (const p of opts.problems ?? []) problems.set(p.id, p);
    const metrics = new Metrics(() => ({
      queued: limiter.queued,
      inFlight: limiter.inFlight,
      capacity,
      episodes: this.episodes?.size ?? 0,
    }));
    this.ctx = {
      judge: opts.judge,
      executor: opts.executor,
      problems,
      limiter,
      metrics,
      feedback: opts.feedback ?? "failed-test",
    };
    this.episodes = new Episodes(this.ctx, opts.episodeTimeoutMs ?? 600_000);
    this.tokenDigest = opts.token ? digest(opts.token) : null;
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.maxBatch = opts.maxBatchItems ?? 1000;
    this.log = opts.log ?? (() => {});
    this.http = createServer((req, res) => this.handle(req, res));
    this.http.keepAliveTimeout = 5000;
    // Judging a batch can take minutes: no server-side request timeout beyond the client's own.
    this.http.requestTimeout = 0;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(port, host, () => {
        this.http.off("error", reject);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Stops taking work (new requests get 503, /healthz says draining), waits for the requests in
   * flight to be answered, then closes the listener and its connections.
   */
  async drain(): Promise<void> {
    this.draining = true;
    this.http.closeIdleConnections();
    if (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.episodes.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  /** Closes at once (tests); in-flight requests are cut. */
  async close(): Promise<void> {
    this.episodes.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.tokenDigest) return true;
    const h = req.headers.authorization ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(h);
    // Digests have the same length whatever was sent, so the comparison takes the same time.
    return timingSafeEqual(digest(m ? m[1]!.trim() : `\0${h}`), this.tokenDigest) && m !== null;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const route = routeOf(method, path);
    this.active++;
    let counted = false;
    const finish = () => {
      if (counted) return;
      counted = true;
      this.ctx.metrics.request(route, res.statusCode, (performance.now() - t0) / 1000);
      this.active--;
      if (this.active === 0) for (const f of this.idle.splice(0)) f();
    };
    res.on("finish", finish);
    res.on("close", finish);
    if (this.draining) res.setHeader("connection", "close");
    this.route(req, res, method, path).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status === 413) res.setHeader("connection", "close");
        if (!res.headersSent) sendJson(res, err.status, { error: err.message }, err.headers);
        return;
      }
      this.log(
        `error on ${method} ${path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      if (!res.headersSent)
        sendJson(res, 500, { error: `internal error: ${err instanceof Error ? err.message : String(err)}` });
      else res.destroy();
    });
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
  ): Promise<void> {
    if (path === "/healthz") {
      if (method !== "GET") throw new HttpError(405, "/healthz takes GET", { allow: "GET" });
      sendJson(res, this.draining ? 503 : 200, { status: this.draining ? "draining" : "ok" });
      return;
    }
    if (!this.authorized(req)) {
      throw new HttpError(401, "missing or wrong bearer token (send 'Authorization: Bearer <token>')", {
        "www-authenticate": 'Bearer realm="codeloop"',
      });
    }
    if (this.draining) {
      throw new HttpError(
        503,
        "the server is shutting down and takes no new work; retry on another replica",
        {
          "retry-after": "1",
        },
      );
    }
    const lim = this.ctx.limiter;
    const expect = (m: string) => {
      if (method !== m) throw new HttpError(405, `${path} takes ${m}, not ${method}`, { allow: m });
    };
    const body = async () => parseJsonObject(await readBody(req, this.maxBody));
    if (path === "/v1/capacity") {
      expect("GET");
      sendJson(res, 200, {
        slots: lim.capacity,
        in_flight: lim.inFlight,
        queued: lim.queued,
        queue_limit: lim.queueLimit,
        episodes: this.episodes.size,
        draining: this.draining,
      });
      return;
    }
    if (path === "/metrics") {
      expect("GET");
      const text = this.ctx.metrics.render();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(text);
      return;
    }
    if (path === "/v1/judge") {
      expect("POST");
      const b = await body();
      const item = parseJudgeItem(b, this.ctx);
      const r = await judgeItem(this.ctx, item).catch((e) => {
        throw asRequestError(e);
      });
      sendJson(res, 200, judgeResponse(item, r));
      return;
    }
    if (path === "/v1/judge/batch") {
      expect("POST");
      const b = await body();
      if (!Array.isArray(b.items)) throw badField("items", "required: an array of judge requests");
      if (b.items.length > this.maxBatch)
        throw badField("items", `at most ${this.maxBatch} items per batch, got ${b.items.length}`);
      for (const k of Object.keys(b)) if (k !== "items") throw badField(k, "unknown field (known: items)");
      if (!lim.admits()) throw lim.overloaded();
      const results = await Promise.all(
        b.items.map(async (raw: unknown, i: number) => {
          const p = `items[${i}].`;
          try {
            const item = parseJudgeItem(raw, this.ctx, p);
            return judgeResponse(item, await judgeItem(this.ctx, item, true));
          } catch (err) {
            const e = asRequestError(err, p);
            if (e instanceof HttpError) return { error: e.message, status: e.status };
            this.log(`error on batch item ${i}: ${(e as Error).stack ?? String(e)}`);
            return { error: `internal error: ${(e as Error).message}`, status: 500 };
          }
        }),
      );
      sendJson(res, 200, { results });
      return;
    }
    if (path === "/run_code") {
      expect("POST");
      const r = parseRunCode(await body());
      sendJson(res, 200, await runCode(this.ctx, r));
      return;
    }
    if (path === "/v1/episodes") {
      expect("POST");
      sendJson(res, 200, this.episodes.start(await body()));
      return;
    }
    const answer = /^\/v1\/episodes\/([^/]+)\/answer$/.exec(path);
    if (answer) {
      expect("POST");
      const b = await body();
      sendJson(res, 200, await this.episodes.answer(decodeURIComponent(answer[1]!), b));
      return;
    }
    const ep = /^\/v1\/episodes\/([^/]+)$/.exec(path);
    if (ep) {
      expect("DELETE");
      sendJson(res, 200, this.episodes.delete(decodeURIComponent(ep[1]!)));
      return;
    }
    throw new HttpError(404, `no route ${method} ${path} (see docs/serve.md)`);
  }
}
