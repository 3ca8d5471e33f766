import { openAIEndpoints } from "../models/factory.js";
import { type Completion, ModelError, type OpenAIEndpoint, parseModelRef } from "../models/index.js";
import { checkStep, scorerIdOf } from "./service.js";
import { codeAnswer } from "./text.js";
import type { Scorer, ScorerKind, ScorerOptions, VerifierInput } from "./types.js";

/**
 * An ordinary chat model as verifier: asked whether a candidate is correct, its first token's
 * top log-probabilities give P(yes) / (P(yes) + P(no)). Any OpenAI-compatible server that
 * returns `choices[i].logprobs.content[0].top_logprobs` will do (vLLM, SGLang, llama.cpp).
 */

/** The question, with the problem; `{prompt}` and `{code}` are replaced. */
export const DEFAULT_JUDGE_PROMPT =
  "Here is a programming problem and a candidate solution.\n\n## Problem\n\n{prompt}\n\n## Candidate solution\n\n{code}\n\nIs this solution correct? Answer with one word: yes or no.";

/** The question when the verifier is shown the code alone (input kind "code"). */
export const DEFAULT_JUDGE_PROMPT_CODE_ONLY =
  "Here is a candidate solution to a programming problem.\n\n{code}\n\nIs this solution correct? Answer with one word: yes or no.";

/** Alternatives asked for: OpenAI's maximum, and vLLM's default --max-logprobs. */
const TOP_LOGPROBS = 20;

const PROBE: VerifierInput = {
  prompt: "print the number one",
  code: "print(1)",
  language: "python",
  publicTests: null,
};

/** A token as the word it spells: no byte-level / sentencepiece space marker, case or punctuation. */
export function normaliseToken(token: string): string {
  return token
    .replace(/^[\sĠ▁]+/u, "")
    .trim()
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, "");
}

/**
 * The score of one judge answer. From the first token's alternatives, P(yes) / (P(yes) +
 * P(no)), each summed over every spelling ("Yes", " yes", "YES."). When neither word is among
 * them the answer text decides: yes 1, no 0, anything else 0.5 — a judge that answers off
 * script is uninformative, and asking it again at temperature 0 would answer the same.
 */
export function judgeScore(completion: Pick<Completion, "text" | "logprobs">): number {
  const first = completion.logprobs?.[0];
  const alternatives = new Map<string, number>();
  for (const t of first?.top ?? []) alternatives.set(t.token, t.logprob);
  if (first && !alternatives.has(first.token)) alternatives.set(first.token, first.logprob);
  let yes = 0;
  let no = 0;
  for (const [token, logprob] of alternatives) {
    if (!Number.isFinite(logprob)) continue;
    const word = normaliseToken(token);
    if (word === "yes") yes += Math.exp(logprob);
    else if (word === "no") no += Math.exp(logprob);
  }
  if (yes + no > 0) return yes / (yes + no);
  const word = normaliseToken(completion.text.split(/\s+/).find((w) => w !== "") ?? "");
  return word === "yes" ? 1 : word === "no" ? 0 : 0.5;
}

/** The judge's question for one input; both placeholders are replaced in one pass. */
export function judgeQuestion(input: VerifierInput, template: string | undefined): string {
  const t = template ?? (input.prompt === "" ? DEFAULT_JUDGE_PROMPT_CODE_ONLY : DEFAULT_JUDGE_PROMPT);
  const code = codeAnswer(input.code, input.language);
  return t.replace(/\{(prompt|code)\}/g, (_, name: string) => (name === "prompt" ? input.prompt : code));
}

class ChatJudge implements Scorer {
  readonly id: string;
  private readonly endpoints: OpenAIEndpoint[];
  private readonly model: string;
  private next = 0;

  constructor(
    ref: string,
    private readonly options: ScorerOptions,
    env: NodeJS.ProcessEnv,
  ) {
    const modelRef = ref.slice("chat-judge:".length);
    const config = parseModelRef(modelRef, env);
    if (config.provider !== "openai") {
      throw new ModelError(
        "config",
        `verifier ${ref}: the chat judge needs an OpenAI-compatible server (openai:, vllm:, sglang:, llamacpp:, ollama:), not an embedded llama: model`,
      );
    }
    if (options.timeoutMs !== undefined) config.timeoutMs = options.timeoutMs;
    this.model = config.model;
    this.endpoints = openAIEndpoints(config, env);
    const urls = this.endpoints.map((e) => e.baseUrl).sort();
    this.id = scorerIdOf(`chat-judge:${urls.join(",")}#${config.model}`, options);
  }

  /** Replicas take the questions in turn. */
  private endpoint(): OpenAIEndpoint {
    return this.endpoints[this.next++ % this.endpoints.length]!;
  }

  private async ask(
    endpoint: OpenAIEndpoint,
    input: VerifierInput,
    signal?: AbortSignal,
  ): Promise<Completion> {
    const response = await endpoint.generate(
      {
        messages: [{ role: "user", content: judgeQuestion(input, this.options.judgePrompt) }],
        sampling: { temperature: 0, maxTokens: 1, logprobs: true, topLogprobs: TOP_LOGPROBS },
      },
      signal ? { signal } : {},
    );
    return response.completions[0]!;
  }

  async score(inputs: readonly VerifierInput[], signal?: AbortSignal): Promise<number[]> {
    return Promise.all(
      inputs.map(async (input) => judgeScore(await this.ask(this.endpoint(), input, signal))),
    );
  }

  async check(signal?: AbortSignal): Promise<void> {
    for (const endpoint of this.endpoints) {
      const url = endpoint.baseUrl;
      const models = await checkStep(
        "chat-judge",
        url,
        () => endpoint.listModels(signal),
        (e) =>
          `verifier chat-judge: ${url}/models did not list models (${e.message}); is ${url} an OpenAI-compatible server?`,
      );
      if (!models.includes(this.model)) {
        throw new ModelError(
          "config",
          `verifier chat-judge: ${url} serves ${models.join(", ") || "no models"}, not ${this.model}`,
        );
      }
      const probe = await checkStep(
        "chat-judge",
        url,
        () => this.ask(endpoint, PROBE, signal),
        (e) =>
          `verifier chat-judge: the server at ${url} refused a one-token request with ${TOP_LOGPROBS} top logprobs (${e.message})`,
      );
      if (!probe.logprobs?.[0]?.top?.length) {
        throw new ModelError(
          "config",
          `verifier chat-judge: the server at ${url} does not return logprobs; use a server that answers logprobs and top_logprobs (vLLM, SGLang, llama.cpp server) or another verifier`,
        );
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.endpoints.map((e) => e.close()));
  }
}

/** `chat-judge:<model reference>`: a chat model's P(yes) to "is this solution correct?". */
export const chatJudgeKind: ScorerKind = {
  kind: "chat-judge",
  syntax:
    "chat-judge:<model reference> (a chat model's P(yes), e.g. chat-judge:vllm:http://host:8000/v1#model)",
  test: (ref) => ref.startsWith("chat-judge:"),
  create: (ref, options, env) => new ChatJudge(ref, options, env),
};
