import {
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type Completion,
  type GenerateOptions,
  asModelError,
} from "./types.js";

/**
 * How a request for n samples reaches the server:
 * - "native": one request with `n`;
 * - "split": n requests of one sample each (sample i seeded with deriveSeed(seed, i));
 * - "auto": native while the server honours `n` and no seed is set; a server that returns fewer
 *   choices than asked is remembered and topped up with single requests.
 * A seed forces splitting in "auto" so that each sample index reproduces on its own, whether it
 * was asked alone, in a batch, or after a partial cache hit.
 */
export type NMode = "auto" | "native" | "split";

export interface SampleSplitter extends ChatModel {
  /** What was learnt about the server: true/false once observed, undefined before. */
  readonly honoursN: boolean | undefined;
}

export function withSampleSplitting(inner: ChatModel, mode: NMode = "auto"): SampleSplitter {
  let honoursN: boolean | undefined;

  async function singles(
    request: ChatRequest,
    first: number,
    count: number,
    options: GenerateOptions,
    already: Completion[],
  ): Promise<ChatResponse> {
    const settled = await Promise.allSettled(
      Array.from({ length: count }, (_, k) =>
        inner.generate({ ...request, n: 1, sampleIndex: first + k }, options),
      ),
    );
    const completions = [...already];
    let failure: unknown;
    for (const s of settled) {
      if (s.status === "fulfilled" && s.value.completions[0]) completions.push(s.value.completions[0]);
      else if (s.status === "rejected") failure ??= s.reason;
    }
    if (failure !== undefined) {
      const error = asModelError(failure);
      // Hand back what did succeed so the caller (and the cache) keep it.
      error.completions = completions;
      throw error;
    }
    return { completions };
  }

  return {
    id: inner.id,
    get honoursN() {
      return honoursN;
    },
    close: () => inner.close(),
    async generate(request: ChatRequest, options: GenerateOptions = {}): Promise<ChatResponse> {
      const n = request.n ?? 1;
      const base = request.sampleIndex ?? 0;
      if (n <= 1) return inner.generate(request, options);
      const native =
        mode === "native" || (mode === "auto" && request.sampling?.seed === undefined && honoursN !== false);
      if (!native) return singles(request, base, n, options, []);
      const response = await inner.generate(request, options);
      if (response.completions.length >= n) {
        if (mode === "auto") honoursN = true;
        return { completions: response.completions.slice(0, n) };
      }
      if (mode === "auto") honoursN = false;
      const got = response.completions;
      return singles(request, base + got.length, n - got.length, options, got);
    },
  };
}
