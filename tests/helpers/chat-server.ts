// A local HTTP server that speaks the OpenAI chat-completions API with scripted answers and
// injected faults, for tests and benchmarks. Only node: imports, so the benchmark can load a
// transpiled copy of this file without a TypeScript loader.
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What the server knows of one chat request when deciding its answer. */
export interface ChatServerRequest {
  /** Arrival order among chat requests, from 0. */
  index: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when the body was not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are whatever the client sent
  body: any;
  /** Chat requests being handled right now, this one included. */
  inFlight: number;
}

/** A way for one request to go wrong. */
export type Fault =
  /** An HTTP error status, optionally with Retry-After (seconds, or an HTTP date). */
  | { fault: "status"; status: number; retryAfter?: number | string; body?: string }
  /** 200 with a body that is not JSON. */
  | { fault: "malformed" }
  /** Headers and part of the body, then the connection is destroyed. */
  | { fault: "drop" }
  /** The connection is destroyed before any response. */
  | { fault: "reset" }
  /** No answer at all until the server closes (for client timeouts). */
  | { fault: "hang" };

export interface Answer {
  /** Text of every choice (choice i gets texts[i] when `texts` is given). */
  text?: string;
  texts?: string[];
  finishReason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Wait before sending anything (slow headers, like a non-streaming generation). */
  delayMs?: number;
  /** Send headers at once, then wait this long before the body. */
  bodyDelayMs?: number;
  /**
   * The first token's top logprobs, sent (when the request asks for logprobs) as
   * `choices[i].logprobs.content[0].top_logprobs`; the first entry is the chosen token.
   */
  logprobs?: { token: string; logprob: number }[];
}

/** A plain string is the answer text. */
export type Reply = string | Answer | Fault;

export interface ChatServerOptions {
  /** Replies consumed in arrival order; once used up, `respond` (or the default) answers. */
  script?: Reply[];
  respond?: (request: ChatServerRequest) => Reply | Promise<Reply>;
  /** Per-request fault hook, consulted before the script; return undefined for no fault. */
  fault?: (request: ChatServerRequest) => Fault | undefined;
  /** Delay before every answer (added to an answer's own delayMs). */
  latencyMs?: number;
  /** Return `n` choices when asked (default true); false mimics servers that ignore `n`. */
  honourN?: boolean;
  /** Same seed and prompt give the same default text (default true). */
  honourSeed?: boolean;
  honourLogprobs?: boolean;
  /** Listed by GET <prefix>/models. */
  models?: string[];
  /** Above this many chat requests in flight, answer 429 with Retry-After `capacityRetryAfter`. */
  capacity?: number;
  capacityRetryAfter?: number;
  /** How many requests `requests` keeps (default 10,000; 0 for benchmarks). */
  logLimit?: number;
  /** API prefix; default "/v1". */
  prefix?: string;
}

export interface ChatServerStats {
  /** Chat requests received. */
  received: number;
  /** Chat requests answered 200 with a well-formed body. */
  answered: number;
  /** Chat requests that got a fault (status, malformed, drop, reset, hang, over capacity). */
  faulted: number;
  /** Completions (choices) returned. */
  completions: number;
  byStatus: Record<number, number>;
  peakInFlight: number;
}

export interface ChatServer {
  /** Base URL including the prefix, e.g. http://127.0.0.1:34567/v1. */
  readonly url: string;
  readonly port: number;
  readonly stats: ChatServerStats;
  /** Recent chat requests, oldest first (bounded by `logLimit`). */
  readonly requests: ChatServerRequest[];
  /** Replaces the answer function. */
  setRespond(respond: ChatServerOptions["respond"]): void;
  /** Appends replies to the script. */
  enqueue(...replies: Reply[]): void;
  close(): Promise<void>;
}

function isFault(reply: Reply): reply is Fault {
  return typeof reply === "object" && "fault" in reply;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function words(s: string): number {
  const trimmed = s.trim();
  return trimmed === "" ? 0 : trimmed.split(/\s+/).length;
}

export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const prefix = options.prefix ?? "/v1";
  const logLimit = options.logLimit ?? 10_000;
  const script = [...(options.script ?? [])];
  let respond = options.respond;
  let inFlight = 0;
  let counter = 0;
  const stats: ChatServerStats = {
    received: 0,
    answered: 0,
    faulted: 0,
    completions: 0,
    byStatus: {},
    peakInFlight: 0,
  };
  const requests: ChatServerRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  function wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  function send(
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  }

  // The default answer: reproducible for a seeded request when seeds are honoured, else unique.
  function defaultText(req: ChatServerRequest, choice: number): string {
    const seed = req.body?.seed;
    if (seed !== undefined && options.honourSeed !== false) {
      const messages = JSON.stringify(req.body?.messages ?? []);
      return `seeded answer ${hashString(`${seed}|${choice}|${messages}`).toString(36)}`;
    }
    return `answer ${counter++}`;
  }

  function completionBody(req: ChatServerRequest, answer: Answer): string {
    const asked = Number(req.body?.n ?? 1);
    const n = options.honourN === false ? 1 : Math.max(1, Number.isFinite(asked) ? asked : 1);
    const choices = [];
    let completionTokens = 0;
    for (let i = 0; i < n; i++) {
      const text = answer.texts?.[i] ?? answer.text ?? defaultText(req, i);
      completionTokens += words(text);
      const choice: Record<string, unknown> = {
        index: i,
        message: { role: "assistant", content: text },
        finish_reason: answer.finishReason ?? "stop",
      };
      if (req.body?.logprobs && options.honourLogprobs !== false && answer.logprobs !== undefined) {
        const chosen = answer.logprobs[0] ?? { token: text, logprob: 0 };
        choice.logprobs = { content: [{ ...chosen, top_logprobs: answer.logprobs }] };
      } else if (req.body?.logprobs && options.honourLogprobs !== false) {
        const top = Number(req.body.top_logprobs ?? 0);
        choice.logprobs = {
          content: text.split(/(?=\s)/).map((token, k) => ({
            token,
            logprob: -0.01 * (k + 1),
            top_logprobs: Array.from({ length: top }, (_, j) => ({
              token: j === 0 ? token : `alt${j}`,
              logprob: j === 0 ? -0.001 : -j,
            })),
          })),
        };
      }
      choices.push(choice);
    }
    stats.completions += n;
    const promptTokens = (req.body?.messages ?? []).reduce(
      (sum: number, m: { content?: unknown }) => sum + words(String(m.content ?? "")),
      0,
    );
    return JSON.stringify({
      id: `chatcmpl-${req.index}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: req.body?.model ?? "test-model",
      choices,
      usage: answer.usage ?? {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  }

  async function applyFault(res: ServerResponse, fault: Fault): Promise<void> {
    stats.faulted++;
    switch (fault.fault) {
      case "status": {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
        send(
          res,
          fault.status,
          fault.body ?? JSON.stringify({ error: { message: `injected ${fault.status}` } }),
          headers,
        );
        return;
      }
      case "malformed":
        stats.byStatus[200] = (stats.byStatus[200] ?? 0) + 1;
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"choices": [ {"message": ');
        return;
      case "drop": {
        const body = JSON.stringify({
          choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(2000) } }],
        });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.write(body.slice(0, body.length >> 1));
        // Let the partial body reach the client before the connection dies.
        await wait(20);
        res.socket?.destroy();
        return;
      }
      case "reset":
        res.socket?.destroy();
        return;
      case "hang":
        // Never answer; close() destroys the socket.
        return;
    }
  }

  async function handleChat(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    inFlight++;
    if (inFlight > stats.peakInFlight) stats.peakInFlight = inFlight;
    const request: ChatServerRequest = {
      index: stats.received++,
      path: req.url ?? "",
      headers: req.headers,
      body,
      inFlight,
    };
    if (logLimit > 0) {
      requests.push(request);
      if (requests.length > logLimit) requests.shift();
    }
    try {
      if (body === undefined) {
        stats.faulted++;
        send(res, 400, JSON.stringify({ error: { message: "request body is not JSON" } }));
        return;
      }
      if (options.capacity !== undefined && inFlight > options.capacity) {
        await applyFault(res, { fault: "status", status: 429, retryAfter: options.capacityRetryAfter ?? 0 });
        return;
      }
      const injected = options.fault?.(request);
      if (injected) {
        await applyFault(res, injected);
        return;
      }
      const scripted = script.shift();
      const reply: Reply = scripted ?? (respond ? await respond(request) : {});
      if (isFault(reply)) {
        await applyFault(res, reply);
        return;
      }
      const answer: Answer = typeof reply === "string" ? { text: reply } : reply;
      await wait((options.latencyMs ?? 0) + (answer.delayMs ?? 0));
      const out = completionBody(request, answer);
      stats.answered++;
      if (answer.bodyDelayMs) {
        stats.byStatus[200] = (stats.byStatus[200] ?? 0) + 1;
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
        res.flushHeaders();
        await wait(answer.bodyDelayMs);
        res.end(out);
      } else {
        send(res, 200, out);
      }
    } finally {
      inFlight--;
    }
  }

  const server = createServer((req, res) => {
    const url = req.url ?? "";
    if (req.method === "GET" && url === `${prefix}/models`) {
      const data = (options.models ?? ["test-model"]).map((id) => ({
        id,
        object: "model",
        owned_by: "codeloop-test",
      }));
      send(res, 200, JSON.stringify({ object: "list", data }));
      return;
    }
    if (req.method === "POST" && url === `${prefix}/chat/completions`) {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        handleChat(req, res, Buffer.concat(chunks).toString("utf8")).catch((err: unknown) => {
          if (!res.headersSent) send(res, 500, JSON.stringify({ error: { message: String(err) } }));
          else res.destroy();
        });
      });
      return;
    }
    send(res, 404, JSON.stringify({ error: { message: `no route ${req.method} ${url}` } }));
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    port,
    stats,
    requests,
    setRespond(fn) {
      respond = fn;
    },
    enqueue(...replies) {
      script.push(...replies);
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
