import { JsonHttp, ModelError } from "../models/index.js";
import {
  badResponse,
  checkLabelIndex,
  checkStep,
  isFiniteNumber,
  labelIndex,
  parseServiceRef,
  scorerIdOf,
} from "./service.js";
import { inputMessages, inputText } from "./text.js";
import type { Scorer, ScorerKind, ScorerOptions, VerifierInput } from "./types.js";

/**
 * vLLM's pooling server as a verifier: a sequence-classification model at /classify, or a
 * reward / pooling model at /pooling. Field names checked against the vLLM docs of v0.7
 * (first /classify) through v0.18 (examples/pooling/classify and pooling, the pooling
 * api_router): /classify takes {model, input: [text...]} and answers data[] of {index, label,
 * probs, num_classes}; /pooling takes {model, messages} and answers data[] of {index, object:
 * "pooling", data}; errors are {"error": {message, type, param, code}}; both routes sit at the
 * server root, not under /v1, while the model list is GET /v1/models.
 */

type VllmKindName = "vllm-classify" | "vllm-pooling";

interface ClassifyItem {
  index: number;
  label: string | undefined;
  probs: number[];
}

/** A tiny input for check(): enough to see that the endpoint answers in the right shape. */
const PROBE: VerifierInput = { prompt: "", code: "print(1)", language: "python", publicTests: null };

function argmax(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

class VllmScorer implements Scorer {
  readonly id: string;
  private readonly who: string;
  private readonly root: string;
  private readonly model: string;
  private readonly http: JsonHttp;
  private readonly path: "/classify" | "/pooling";
  /** Class names seen in /classify answers: vLLM names only each answer's winning class. */
  private readonly classOfName = new Map<string, number>();

  constructor(
    private readonly kind: VllmKindName,
    ref: string,
    private readonly options: ScorerOptions,
  ) {
    const { url, model } = parseServiceRef(ref, kind, true);
    // /classify and /pooling are routes of the server root; a pasted OpenAI base URL ends in /v1.
    this.root = url.replace(/\/v1$/, "");
    this.model = model!;
    this.who = kind;
    this.path = kind === "vllm-classify" ? "/classify" : "/pooling";
    if (kind === "vllm-pooling") checkLabelIndex(options.label, kind);
    this.id = scorerIdOf(`${kind}:${this.root}#${this.model}`, options);
    this.http = new JsonHttp({
      baseUrl: this.root,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  async score(inputs: readonly VerifierInput[], signal?: AbortSignal): Promise<number[]> {
    if (inputs.length === 0) return [];
    if (this.kind === "vllm-pooling") return Promise.all(inputs.map((i) => this.pool(i, signal)));
    const items = await this.classify(inputs, signal);
    const wanted = this.classIndex(items[0]!.probs.length);
    return items.map((item) => {
      if (wanted >= item.probs.length) {
        throw new ModelError(
          "config",
          `verifier ${this.id}: label ${wanted} but the model has ${item.probs.length} classes`,
        );
      }
      return item.probs[wanted]!;
    });
  }

  /** The class whose probability is the score: the label option (index or name), else the last. */
  private classIndex(classes: number): number {
    const label = this.options.label;
    if (label === undefined) return classes - 1;
    const index = labelIndex(label);
    if (index !== undefined) return index;
    const named = this.classOfName.get(String(label));
    if (named !== undefined) return named;
    // vLLM reports the name of the winning class only, so a name is known once it has won.
    throw new ModelError(
      "config",
      `verifier ${this.id}: label "${label}" has not been the predicted class of any answer yet, and vLLM's /classify names no other class; give the class index instead (label: 0..${classes - 1})`,
    );
  }

  /** One /classify request for the whole batch, answers put back in input order by `index`. */
  private async classify(inputs: readonly VerifierInput[], signal?: AbortSignal): Promise<ClassifyItem[]> {
    const json = (await this.http.post(
      "/classify",
      { model: this.model, input: inputs.map(inputText) },
      signal,
    )) as { data?: unknown };
    if (!Array.isArray(json?.data)) throw badResponse(this.id, "/classify answer has no data array");
    const out: (ClassifyItem | undefined)[] = new Array(inputs.length);
    for (const raw of json.data as { index?: unknown; label?: unknown; probs?: unknown }[]) {
      const index = raw?.index;
      if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= inputs.length) {
        throw badResponse(this.id, `/classify answer has an item with index ${JSON.stringify(index)}`);
      }
      const probs = raw.probs;
      if (!Array.isArray(probs) || probs.length === 0 || !probs.every(isFiniteNumber)) {
        throw badResponse(this.id, `/classify item ${index} has no probs array of numbers`);
      }
      out[index] = { index, label: typeof raw.label === "string" ? raw.label : undefined, probs };
    }
    const missing = out.findIndex((x) => x === undefined);
    if (missing >= 0 || out.length !== inputs.length) {
      throw badResponse(
        this.id,
        `/classify answered ${json.data.length} item(s) for ${inputs.length} input(s)`,
      );
    }
    const classes = out[0]!.probs.length;
    if (out.some((x) => x!.probs.length !== classes))
      throw badResponse(this.id, "/classify items differ in classes");
    const items = out as ClassifyItem[];
    for (const item of items)
      if (item.label !== undefined) this.classOfName.set(item.label, argmax(item.probs));
    return items;
  }

  /** One /pooling request in chat form, so the reward model's chat template applies. */
  private async pool(input: VerifierInput, signal?: AbortSignal): Promise<number> {
    const json = (await this.http.post(
      "/pooling",
      { model: this.model, messages: inputMessages(input) },
      signal,
    )) as { data?: { data?: unknown }[] };
    if (!Array.isArray(json?.data) || json.data.length === 0) {
      throw badResponse(this.id, "/pooling answer has no data array");
    }
    return this.poolScore(json.data[0]?.data);
  }

  /**
   * The number a pooling output stands for: a bare number as is; a nested array (one row per
   * token, as reward models give) by its last row, the last token's; a vector of one value by
   * that value, of several by the `label` class (default the last).
   */
  private poolScore(data: unknown): number {
    if (isFiniteNumber(data)) return data;
    let row = data;
    if (Array.isArray(row) && row.length > 0 && Array.isArray(row[0])) row = row[row.length - 1];
    if (!Array.isArray(row) || row.length === 0 || !row.every(isFiniteNumber)) {
      throw badResponse(
        this.id,
        `/pooling data is not a number, vector or per-token rows: ${JSON.stringify(data)?.slice(0, 80)}`,
      );
    }
    if (row.length === 1) return row[0]!;
    const index = labelIndex(this.options.label) ?? row.length - 1;
    if (index >= row.length) {
      throw new ModelError(
        "config",
        `verifier ${this.id}: label ${index} but the pooling output has ${row.length} values`,
      );
    }
    return row[index]!;
  }

  async check(signal?: AbortSignal): Promise<void> {
    const models = await checkStep(
      this.who,
      this.root,
      async () => {
        const json = (await this.http.get("/v1/models", signal)) as { data?: { id?: unknown }[] };
        if (!Array.isArray(json?.data)) throw badResponse(this.who, "GET /v1/models has no data array");
        return json.data.map((m) => String(m?.id));
      },
      (e) =>
        `verifier ${this.who}: ${this.root}/v1/models did not list models (${e.message}); is ${this.root} a vLLM server?`,
    );
    if (!models.includes(this.model)) {
      throw new ModelError(
        "config",
        `verifier ${this.who}: ${this.root} serves ${models.join(", ") || "no models"}, not ${this.model}`,
      );
    }
    const wrongHead =
      this.kind === "vllm-classify"
        ? `the model at ${this.root} does not serve /classify (is it a sequence-classification model? started with --runner pooling?)`
        : `the model at ${this.root} does not serve /pooling (is it a reward or pooling model? started with --runner pooling?)`;
    await checkStep(
      this.who,
      this.root,
      async () => {
        if (this.kind === "vllm-pooling") return void (await this.pool(PROBE, signal));
        const [item] = await this.classify([PROBE], signal);
        const index = labelIndex(this.options.label);
        if (index !== undefined && index >= item!.probs.length) {
          throw new ModelError(
            "config",
            `verifier ${this.who}: label ${index} but the model at ${this.root} has ${item!.probs.length} classes`,
          );
        }
      },
      (e) =>
        e.kind === "http" && (e.status === 400 || e.status === 404 || e.status === 405)
          ? `verifier ${this.who}: ${wrongHead}; the server said: ${e.message}`
          : `verifier ${this.who}: probe of ${this.root}${this.path} failed: ${e.message}`,
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

function vllmKind(kind: VllmKindName, what: string): ScorerKind {
  return {
    kind,
    syntax: `${kind}:<url>#<model> (${what})`,
    test: (ref) => ref.startsWith(`${kind}:`),
    create: (ref, options) => new VllmScorer(kind, ref, options),
  };
}

/** `vllm-classify:<url>#<model>`: a sequence-classification model; score = P(label class). */
export const vllmClassifyKind: ScorerKind = vllmKind("vllm-classify", "vLLM /classify, P(label class)");

/** `vllm-pooling:<url>#<model>`: a reward or pooling model; score = its (last-token) output. */
export const vllmPoolingKind: ScorerKind = vllmKind("vllm-pooling", "vLLM /pooling, reward model output");
