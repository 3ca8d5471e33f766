import { JsonHttp, ModelError } from "../models/index.js";
import {
  badResponse,
  checkStep,
  isFiniteNumber,
  labelIndex,
  parseServiceRef,
  scorerIdOf,
} from "./service.js";
import { codeAnswer, inputText } from "./text.js";
import type { Scorer, ScorerKind, ScorerOptions, VerifierInput } from "./types.js";

/**
 * Hugging Face text-embeddings-inference as a verifier: a sequence classifier at /predict or
 * a reranker at /rerank. Field names checked against TEI's docs/openapi.json (API version
 * 1.7.1): Info {model_id, model_type: {classifier | reranker: {id2label, label2id}} |
 * {embedding}, max_client_batch_size}, PredictRequest {inputs, raw_scores}, PredictResponse
 * [[{score, label}]], RerankRequest {query, texts, raw_scores}, Rank {index, score}, and
 * ErrorResponse {error, error_type} (413 batch size, 422 tokenizer, 424 backend, 429
 * overloaded), whose `error` string JsonHttp puts in its message.
 */

type TeiKindName = "tei" | "tei-rerank";

/**
 * The query of a rerank when the verifier is shown the code alone (input kind "code"): a
 * reranker needs a query, and this fixed one asks for what a verifier wants to find.
 */
export const CODE_ONLY_QUERY = "a correct solution";

interface TeiInfo {
  modelId: string;
  head: "classifier" | "reranker" | "embedding" | "unknown";
  /** Class names in id order (classifier and reranker heads). */
  labels: string[];
  /** TEI refuses larger client batches with 413. */
  maxBatch: number;
}

const PROBE: VerifierInput = { prompt: "", code: "print(1)", language: "python", publicTests: null };

function parseInfo(json: unknown, who: string): TeiInfo {
  const info = json as {
    model_id?: unknown;
    model_type?: Record<string, unknown>;
    max_client_batch_size?: unknown;
  };
  if (typeof info?.model_id !== "string" || typeof info.model_type !== "object" || info.model_type === null) {
    throw badResponse(who, "GET /info answer has no model_id and model_type");
  }
  const type = info.model_type;
  const head =
    "classifier" in type
      ? "classifier"
      : "reranker" in type
        ? "reranker"
        : "embedding" in type
          ? "embedding"
          : "unknown";
  const id2label = (type[head] as { id2label?: Record<string, unknown> } | undefined)?.id2label ?? {};
  const labels = Object.entries(id2label)
    .filter(([k]) => /^\d+$/.test(k))
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, v]) => String(v));
  const maxBatch = Number(info.max_client_batch_size);
  return {
    modelId: info.model_id,
    head,
    labels,
    maxBatch: Number.isInteger(maxBatch) && maxBatch > 0 ? maxBatch : 32,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

class TeiScorer implements Scorer {
  readonly id: string;
  private readonly url: string;
  private readonly model: string | undefined;
  private readonly http: JsonHttp;
  private info: Promise<TeiInfo> | undefined;

  constructor(
    private readonly kind: TeiKindName,
    ref: string,
    private readonly options: ScorerOptions,
  ) {
    const { url, model } = parseServiceRef(ref, kind, false);
    this.url = url;
    this.model = model;
    if (kind === "tei-rerank" && options.label !== undefined) {
      throw new ModelError("config", `verifier ${ref}: a reranker gives one score, so label does not apply`);
    }
    this.id = scorerIdOf(`${kind}:${url}${model ? `#${model}` : ""}`, options);
    this.http = new JsonHttp({
      baseUrl: url,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  /** GET /info once; a failure is forgotten so that the retry layer's next attempt asks again. */
  private serverInfo(signal?: AbortSignal): Promise<TeiInfo> {
    if (!this.info) {
      const info = this.http.get("/info", signal).then((json) => parseInfo(json, this.id));
      this.info = info;
      info.catch(() => {
        if (this.info === info) this.info = undefined;
      });
      return info;
    }
    return this.info;
  }

  /** The class name whose score is the score: `label` as a name or an id2label index, else the last. */
  private wantedLabel(info: TeiInfo): string {
    const label = this.options.label;
    if (info.labels.length === 0) throw badResponse(this.id, "GET /info lists no id2label classes");
    if (label === undefined) return info.labels[info.labels.length - 1]!;
    if (typeof label === "string" && info.labels.includes(label)) return label;
    const index = labelIndex(label);
    if (index !== undefined && index < info.labels.length) return info.labels[index]!;
    throw new ModelError(
      "config",
      `verifier ${this.id}: label ${JSON.stringify(label)} is not one of the model's classes (${info.labels.map((l, i) => `${i}=${l}`).join(", ")})`,
    );
  }

  async score(inputs: readonly VerifierInput[], signal?: AbortSignal): Promise<number[]> {
    if (inputs.length === 0) return [];
    const info = await this.serverInfo(signal);
    return this.kind === "tei" ? this.predict(inputs, info, signal) : this.rerank(inputs, info, signal);
  }

  private async predict(
    inputs: readonly VerifierInput[],
    info: TeiInfo,
    signal?: AbortSignal,
  ): Promise<number[]> {
    const wanted = this.wantedLabel(info);
    const parts = await Promise.all(
      chunks(inputs, info.maxBatch).map(async (part) => {
        const json = await this.http.post(
          "/predict",
          { inputs: part.map((i) => [inputText(i)]), raw_scores: false, truncate: true },
          signal,
        );
        if (!Array.isArray(json) || json.length !== part.length) {
          throw badResponse(
            this.id,
            `/predict answered ${Array.isArray(json) ? json.length : "no"} prediction list(s) for ${part.length} input(s)`,
          );
        }
        // Predictions come sorted by score, so the class is found by its name.
        return json.map((predictions: unknown, k: number) => {
          const hit = Array.isArray(predictions)
            ? (predictions as { label?: unknown; score?: unknown }[]).find((p) => p?.label === wanted)
            : undefined;
          if (!hit || !isFiniteNumber(hit.score)) {
            throw badResponse(this.id, `/predict answer ${k} has no score for class "${wanted}"`);
          }
          return hit.score;
        });
      }),
    );
    return parts.flat();
  }

  /** One /rerank per prompt (a turn's candidates share it), scores put back by `index`. */
  private async rerank(
    inputs: readonly VerifierInput[],
    info: TeiInfo,
    signal?: AbortSignal,
  ): Promise<number[]> {
    const groups = new Map<string, number[]>();
    inputs.forEach((input, i) => {
      const group = groups.get(input.prompt);
      if (group) group.push(i);
      else groups.set(input.prompt, [i]);
    });
    const out: number[] = new Array(inputs.length);
    const requests: Promise<void>[] = [];
    for (const [prompt, members] of groups) {
      for (const part of chunks(members, info.maxBatch)) {
        requests.push(
          (async () => {
            const json = await this.http.post(
              "/rerank",
              {
                query: prompt === "" ? CODE_ONLY_QUERY : prompt,
                texts: part.map((i) => codeAnswer(inputs[i]!.code, inputs[i]!.language)),
                raw_scores: false,
                // A code longer than the reranker's context is cut, not refused.
                truncate: true,
              },
              signal,
            );
            if (!Array.isArray(json)) throw badResponse(this.id, "/rerank answer is not a list of ranks");
            const seen = new Set<number>();
            for (const rank of json as { index?: unknown; score?: unknown }[]) {
              const k = rank?.index;
              if (
                typeof k !== "number" ||
                !Number.isInteger(k) ||
                k < 0 ||
                k >= part.length ||
                !isFiniteNumber(rank.score)
              ) {
                throw badResponse(this.id, `/rerank answer has a rank ${JSON.stringify(rank)?.slice(0, 80)}`);
              }
              seen.add(k);
              out[part[k]!] = rank.score;
            }
            if (seen.size !== part.length) {
              throw badResponse(this.id, `/rerank ranked ${seen.size} of ${part.length} text(s)`);
            }
          })(),
        );
      }
    }
    await Promise.all(requests);
    return out;
  }

  async check(signal?: AbortSignal): Promise<void> {
    const who = this.kind;
    this.info = undefined;
    const info = await checkStep(
      who,
      this.url,
      () => this.serverInfo(signal),
      (e) =>
        `verifier ${who}: ${this.url}/info did not describe a model (${e.message}); is ${this.url} a text-embeddings-inference server?`,
    );
    if (this.model !== undefined && info.modelId !== this.model) {
      throw new ModelError(
        "config",
        `verifier ${who}: ${this.url} serves ${info.modelId}, not ${this.model}`,
      );
    }
    const needed = this.kind === "tei" ? "classifier" : "reranker";
    if (info.head !== needed) {
      const start =
        this.kind === "tei" ? "a sequence-classification model" : "a reranker (a one-class cross-encoder)";
      throw new ModelError(
        "config",
        `verifier ${who}: ${this.url} serves ${info.modelId} as ${info.head === "unknown" ? "an unknown model type" : `${info.head === "embedding" ? "an" : "a"} ${info.head}`}, not a ${needed}; start TEI with ${start}`,
      );
    }
    if (this.kind === "tei") this.wantedLabel(info);
    await checkStep(
      who,
      this.url,
      () => this.score([PROBE], signal),
      (e) =>
        `verifier ${who}: probe of ${this.url}${this.kind === "tei" ? "/predict" : "/rerank"} failed: ${e.message}`,
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

/** `tei:<url>[#<model>]`: a TEI sequence classifier; score = the label class's probability. */
export const teiKind: ScorerKind = {
  kind: "tei",
  syntax: "tei:<url>[#<model>] (text-embeddings-inference /predict, P(label class))",
  test: (ref) => ref.startsWith("tei:"),
  create: (ref, options) => new TeiScorer("tei", ref, options),
};

/** `tei-rerank:<url>[#<model>]`: a TEI reranker; score = relevance of the code to the problem. */
export const teiRerankKind: ScorerKind = {
  kind: "tei-rerank",
  syntax: "tei-rerank:<url>[#<model>] (text-embeddings-inference /rerank against the problem)",
  test: (ref) => ref.startsWith("tei-rerank:"),
  create: (ref, options) => new TeiScorer("tei-rerank", ref, options),
};
