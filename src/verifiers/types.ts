/**
 * Learned verifiers (µCode's best-of-N selection): a scorer gives each candidate code of a turn
 * a number, higher meaning more likely correct. Scorers are services that exist (a vLLM pooling
 * server, Hugging Face text-embeddings-inference, a chat model asked for the probability of
 * "yes") or the embedded baseline trained by `codeloop verifier train`.
 */

/** One code to score, with what µCode's verifier reads: the problem's first user turn. */
export interface VerifierInput {
  /** The problem as the run's first user turn renders it (no CoT prompt, no system message). */
  prompt: string;
  code: string;
  /** The run's language ("python", "cpp"). */
  language: string;
  /** The code's public-test outcome when known (the embedded scorer uses it). */
  publicTests: { passed: number; total: number } | null;
}

/** What the scorer is shown: µCode's prompt and code, or the code alone. */
export const VERIFIER_INPUTS = ["prompt+code", "code"] as const;
export type VerifierInputKind = (typeof VERIFIER_INPUTS)[number];

export interface Scorer {
  /**
   * Identity for the score cache and the run's records: kind, endpoint, model and the user's
   * `version`, so that a different verifier never reuses another's scores.
   */
  readonly id: string;
  /**
   * Scores a batch (one turn's candidates): one finite number per input, in order. Failures
   * are ModelErrors (src/models), so the retry layer treats them like model calls.
   */
  score(inputs: readonly VerifierInput[], signal?: AbortSignal): Promise<number[]>;
  /**
   * Before a run: the service is reachable, serves the named model and has a head that gives a
   * score. Throws a ModelError of kind "config" whose message is one line saying what is wrong.
   */
  check(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Settings every scorer kind accepts beside its reference. */
export interface ScorerOptions {
  /** Bumped by the user when the model behind a reference changes: part of the cache key. */
  version?: string;
  /** Which class of a classification head means "correct" (default: the last one). */
  label?: number | string;
  /** The chat judge's prompt; `{prompt}` and `{code}` are replaced. */
  judgePrompt?: string;
  /** Per-attempt timeout of HTTP scorers, ms. */
  timeoutMs?: number;
}

/**
 * One scorer kind: `test` recognises its references (`<kind>:<rest>`), `create` builds it.
 * Adding a kind is one file with one entry, listed in registry.ts.
 */
export interface ScorerKind {
  kind: string;
  /** One line for `--help` and errors: the reference syntax. */
  syntax: string;
  test(ref: string): boolean;
  create(ref: string, options: ScorerOptions, env: NodeJS.ProcessEnv): Scorer;
}
