// A local HTTP server that speaks the scoring APIs verifiers use — vLLM's pooling server
// (GET /v1/models, POST /classify, POST /pooling) and Hugging Face text-embeddings-inference
// (GET /info, POST /predict, POST /rerank) — with a pluggable score, a request log and
// injected faults, for tests. Only node: imports, like chat-server.ts.
import { type IncomingHttpHeaders, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ScoringServerRequest {
  /** Arrival order among all requests, from 0. */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined for GET or a body that is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are whatever the client sent
  body: any;
}

/** A way for one request to go wrong (as in chat-server.ts). */
export type ScoringFault =
  /** An HTTP error status with the API's own error body unless `body` is given. */
  | { fault: "status"; status: number; retryAfter?: number | string; body?: string; message?: string }
  /** 200 with a body that is not JSON. */
  | { fault: "malformed" }
  /** 200 with well-formed JSON of the wrong shape. */
  | { fault: "json"; body: unknown }
  /** Headers and part of the body, then the connection is destroyed. */
  | { fault: "drop" }
  /** The connection is destroyed before any response. */
  | { fault: "reset" }
  /** No answer until the server closes. */
  | { fault: "hang" };

/** What vLLM's /pooling answers per input: a number, a vector, or one row per token. */
export type PoolingShape = "number" | "value" | "classes" | "tokens" | "token-classes";

export interface ScoringServerOptions {
  /** P(correct) of a text, in [0, 1]; default 0.5. */
  score?: (text: string) => number;
  /** vLLM: served model names (GET /v1/models); requests naming another get vLLM's 404. */
  models?: string[];
  /** vLLM: the endpoints the model serves; the others answer 400 like vLLM for an unsupported task. */
  tasks?: ("classify" | "pooling")[];
  /** Class names in id order, for /classify, /pooling "classes" and TEI's id2label. */
  labels?: string[];
  pooling?: PoolingShape;
  /** TEI's /info. */
  tei?: { modelId?: string; head?: "classifier" | "reranker" | "embedding"; maxBatch?: number };
  /** Faults consumed in order by scoring requests (POST); GET is never scripted. */
  script?: ScoringFault[];
  /** Per-request fault hook (any request), consulted before the script. */
  fault?: (request: ScoringServerRequest) => ScoringFault | undefined;
}

export interface ScoringServer {
  /** http://127.0.0.1:<port>, the server root. */
  readonly url: string;
  readonly port: number;
  readonly requests: ScoringServerRequest[];
  enqueue(...faults: ScoringFault[]): void;
  close(): Promise<void>;
}

const TEI_PATHS = new Set(["/info", "/predict", "/rerank"]);

/** Class probabilities with P(last class) = p and the rest spread evenly over the others. */
function classProbs(p: number, classes: number): number[] {
  if (classes === 1) return [p];
  return Array.from({ length: classes }, (_, i) => (i === classes - 1 ? p : (1 - p) / (classes - 1)));
}

function argmax(v: number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

function vllmError(status: number, message: string, type: string, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code: status } });
}

function teiError(message: string, errorType: string): string {
  return JSON.stringify({ error: message, error_type: errorType });
}

export async function startScoringServer(options: ScoringServerOptions = {}): Promise<ScoringServer> {
  const score = options.score ?? (() => 0.5);
  const models = options.models ?? ["verifier-model"];
  const tasks = options.tasks ?? ["classify", "pooling"];
  const labels = options.labels ?? ["incorrect", "correct"];
  const tei = {
    modelId: options.tei?.modelId ?? "org/verifier",
    head: options.tei?.head ?? "classifier",
    maxBatch: options.tei?.maxBatch ?? 32,
  };
  const script = [...(options.script ?? [])];
  const requests: ScoringServerRequest[] = [];
  const sockets = new Set<Socket>();
  let counter = 0;

  function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  }

  async function applyFault(req: ScoringServerRequest, res: ServerResponse, fault: ScoringFault) {
    switch (fault.fault) {
      case "status": {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
        const message = fault.message ?? `injected ${fault.status}`;
        const body =
          fault.body ??
          (TEI_PATHS.has(req.path)
            ? teiError(message, fault.status === 429 ? "overloaded" : "backend")
            : vllmError(
                fault.status,
                message,
                fault.status >= 500 ? "InternalServerError" : "BadRequestError",
              ));
        send(res, fault.status, body, headers);
        return;
      }
      case "malformed":
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"data": [ {"index": ');
        return;
      case "json":
        send(res, 200, JSON.stringify(fault.body));
        return;
      case "drop": {
        const body = JSON.stringify({ data: [{ index: 0, probs: Array(500).fill(0.5) }] });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.write(body.slice(0, body.length >> 1));
        await new Promise((r) => setTimeout(r, 20));
        res.socket?.destroy();
        return;
      }
      case "reset":
        res.socket?.destroy();
        return;
      case "hang":
        return;
    }
  }

  function usage(tokens: number) {
    return { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0, prompt_tokens_details: null };
  }

  function words(s: string): number {
    return s.split(/\s+/).filter(Boolean).length;
  }

  // vLLM answers 404 for a model it does not serve, 400 for a task the model lacks.
  function vllmRefusal(
    req: ScoringServerRequest,
    task: "classify" | "pooling",
  ): [number, string] | undefined {
    if (!models.includes(req.body?.model)) {
      return [
        404,
        vllmError(404, `The model \`${req.body?.model}\` does not exist.`, "NotFoundError", "model"),
      ];
    }
    if (!tasks.includes(task)) {
      const api = task === "classify" ? "Classification" : "Pooling";
      return [400, vllmError(400, `The model does not support ${api} API`, "BadRequestError")];
    }
    return undefined;
  }

  function classify(req: ScoringServerRequest): [number, string] {
    const refused = vllmRefusal(req, "classify");
    if (refused) return refused;
    const input: string[] = typeof req.body.input === "string" ? [req.body.input] : req.body.input;
    const data = input.map((text, index) => {
      const probs = classProbs(score(text), labels.length);
      return { index, label: labels[argmax(probs)], probs, num_classes: labels.length };
    });
    const tokens = input.reduce((n, t) => n + words(t), 0);
    const created = Math.floor(Date.now() / 1000);
    return [
      200,
      JSON.stringify({
        id: `classify-${req.index}`,
        object: "list",
        created,
        model: req.body.model,
        data,
        usage: usage(tokens),
      }),
    ];
  }

  function pooling(req: ScoringServerRequest): [number, string] {
    const refused = vllmRefusal(req, "pooling");
    if (refused) return refused;
    const text: string = Array.isArray(req.body.messages)
      ? req.body.messages.map((m: { content?: unknown }) => String(m.content ?? "")).join("\n\n")
      : String(req.body.input ?? "");
    const p = score(text);
    const shape = options.pooling ?? "value";
    const output =
      shape === "number"
        ? p
        : shape === "value"
          ? [p]
          : shape === "classes"
            ? classProbs(p, labels.length)
            : shape === "tokens"
              ? [[0.01], [0.02], [p]]
              : [classProbs(0.01, labels.length), classProbs(p, labels.length)];
    const created = Math.floor(Date.now() / 1000);
    const data = [{ index: 0, object: "pooling", data: output }];
    return [
      200,
      JSON.stringify({
        id: `pool-${req.index}`,
        object: "list",
        created,
        model: req.body.model,
        data,
        usage: usage(words(text)),
      }),
    ];
  }

  function id2label(): Record<string, string> {
    const names = tei.head === "reranker" ? ["LABEL_0"] : labels;
    return Object.fromEntries(names.map((l, i) => [String(i), l]));
  }

  function info(): string {
    const head =
      tei.head === "embedding"
        ? { pooling: "cls" }
        : {
            id2label: id2label(),
            label2id: Object.fromEntries(Object.entries(id2label()).map(([k, v]) => [v, Number(k)])),
          };
    return JSON.stringify({
      model_id: tei.modelId,
      model_sha: null,
      model_dtype: "float32",
      model_type: { [tei.head]: head },
      max_concurrent_requests: 512,
      max_input_length: 512,
      max_batch_tokens: 16384,
      max_client_batch_size: tei.maxBatch,
      auto_truncate: false,
      tokenization_workers: 4,
      version: "1.7.1",
    });
  }

  function tooLarge(n: number): [number, string] | undefined {
    if (n <= tei.maxBatch) return undefined;
    return [413, teiError(`batch size ${n} > maximum allowed batch size ${tei.maxBatch}`, "validation")];
  }

  function predict(req: ScoringServerRequest): [number, string] {
    if (tei.head === "embedding") return [424, teiError("model is not a classifier model", "backend")];
    const inputs: string[][] = req.body.inputs;
    const refused = tooLarge(inputs.length);
    if (refused) return refused;
    const names = Object.values(id2label());
    // TEI sorts each input's predictions by score, best first.
    const out = inputs.map((pair) =>
      classProbs(score(pair.join("\n")), names.length)
        .map((s, i) => ({ score: s, label: names[i] }))
        .sort((a, b) => b.score - a.score),
    );
    return [200, JSON.stringify(out)];
  }

  function rerank(req: ScoringServerRequest): [number, string] {
    if (tei.head !== "reranker") return [424, teiError("model is not a re-ranker model", "backend")];
    const texts: string[] = req.body.texts;
    const refused = tooLarge(texts.length);
    if (refused) return refused;
    const ranks = texts
      .map((t, index) => ({ index, score: score(`${req.body.query}\n\n${t}`) }))
      .sort((a, b) => b.score - a.score);
    return [200, JSON.stringify(ranks)];
  }

  const routes: Record<string, (req: ScoringServerRequest) => [number, string]> = {
    "GET /v1/models": () => [
      200,
      JSON.stringify({
        object: "list",
        data: models.map((id) => ({
          id,
          object: "model",
          created: 0,
          owned_by: "vllm",
          root: id,
          max_model_len: 4096,
        })),
      }),
    ],
    "POST /classify": classify,
    "POST /pooling": pooling,
    "GET /info": () => [200, info()],
    "POST /predict": predict,
    "POST /rerank": rerank,
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = raw === "" ? undefined : JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const request: ScoringServerRequest = {
        index: counter++,
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
      };
      requests.push(request);
      const fault = options.fault?.(request) ?? (request.method === "POST" ? script.shift() : undefined);
      if (fault) {
        applyFault(request, res, fault).catch(() => res.destroy());
        return;
      }
      const route = routes[`${request.method} ${request.path}`];
      if (!route) {
        send(res, 404, JSON.stringify({ detail: "Not Found" }));
        return;
      }
      if (request.method === "POST" && body === undefined) {
        send(res, 400, vllmError(400, "request body is not JSON", "BadRequestError"));
        return;
      }
      const [status, out] = route(request);
      send(res, status, out);
    });
  });
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
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue(...faults) {
      script.push(...faults);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
