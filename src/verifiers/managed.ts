import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelError, asModelError, retrying } from "../models/index.js";
import { createScorer } from "./registry.js";
import type { Scorer, ScorerOptions, VerifierInput, VerifierInputKind } from "./types.js";

/** A verifier as a run config names it (`strategy.verifier`). */
export interface VerifierSpec extends ScorerOptions {
  ref: string;
  /** What the scorer is shown (default prompt+code, as µCode). */
  input?: VerifierInputKind;
}

export interface VerifierOptions {
  env?: NodeJS.ProcessEnv;
  /** Score cache folder; undefined = no cache. */
  cacheDir?: string;
  /** Attempts per batch including the first (default 6), as model calls. */
  maxAttempts?: number;
  baseDelayMs?: number;
  onRetry?: (info: { attempt: number; delayMs: number; error: ModelError }) => void;
}

export interface VerifierStats {
  batches: number;
  scored: number;
  cacheHits: number;
  retries: number;
  /** Inputs the service refused on their own (scored null). */
  refused: number;
}

/** A scorer with µCode's input, retries like model calls, and a disk cache of scores. */
export interface Verifier {
  readonly id: string;
  readonly input: VerifierInputKind;
  readonly stats: VerifierStats;
  /**
   * One score per input; null for an input the service refused on its own (a 4xx such as a
   * code longer than the model's context), which then ranks last instead of stopping the run.
   */
  score(inputs: readonly VerifierInput[], signal?: AbortSignal): Promise<(number | null)[]>;
  check(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A refusal that concerns the input, not the service: retrying cannot help, others may pass. */
function inputRefused(err: unknown): boolean {
  const e = asModelError(err);
  return e.kind === "http" && (e.status === 400 || e.status === 413 || e.status === 422);
}

/** The cache key of one input's score under a scorer. */
export function scoreKey(scorerId: string, input: VerifierInput): string {
  const material = JSON.stringify([
    1,
    scorerId,
    input.prompt,
    input.code,
    input.language,
    input.publicTests ? [input.publicTests.passed, input.publicTests.total] : null,
  ]);
  return createHash("sha256").update(material).digest("hex");
}

/** Scores on disk, one small file per input, written atomically like model answers. */
class ScoreCache {
  private n = 0;
  constructor(private readonly dir: string) {}
  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }
  async get(key: string): Promise<number | undefined> {
    try {
      const v = JSON.parse(await readFile(this.path(key), "utf8")) as { score?: unknown };
      return typeof v.score === "number" && Number.isFinite(v.score) ? v.score : undefined;
    } catch {
      return undefined;
    }
  }
  async put(key: string, score: number): Promise<void> {
    const path = this.path(key);
    try {
      await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.${this.n++}.tmp`;
      await writeFile(tmp, JSON.stringify({ score }), { mode: 0o600 });
      await rename(tmp, path);
    } catch {
      // A cache that cannot write must not fail the scores it would have stored.
    }
  }
}

/** Wraps a scorer: input kind applied, cached scores reused, the rest scored in one batch with retries. */
export function manageScorer(scorer: Scorer, spec: VerifierSpec, options: VerifierOptions = {}): Verifier {
  const input = spec.input ?? "prompt+code";
  const cache = options.cacheDir ? new ScoreCache(options.cacheDir) : undefined;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const id = `${scorer.id}|input=${input}`;
  const stats: VerifierStats = { batches: 0, scored: 0, cacheHits: 0, retries: 0, refused: 0 };

  // Scores checked inside the retried call: a malformed answer is retried like a model's.
  const withRetry = (batch: VerifierInput[], signal?: AbortSignal): Promise<number[]> =>
    retrying(
      async () => {
        const scores = await scorer.score(batch, signal);
        if (
          scores.length !== batch.length ||
          scores.some((s) => typeof s !== "number" || !Number.isFinite(s))
        ) {
          throw new ModelError(
            "bad_response",
            `${scorer.id}: ${scores.length} score(s) for ${batch.length} input(s), or a score that is not a finite number`,
          );
        }
        return scores;
      },
      { maxAttempts, baseDelayMs: options.baseDelayMs ?? 500 },
      signal,
      (info) => {
        stats.retries++;
        options.onRetry?.(info);
      },
    );

  // Scores being fetched, by key: a code that two trajectories (or two candidates of one turn)
  // ask for at once is scored once.
  const inflight = new Map<string, Promise<number | null>>();

  /**
   * A batch the service refused with a 4xx: each input alone, so one over-long code does not
   * take the others' scores (or the run) with it. When every input is refused and the service
   * never scored anything here, it is the setup that is wrong: the error stands.
   */
  const oneByOne = async (batch: VerifierInput[], first: unknown, signal?: AbortSignal) => {
    if (batch.length === 1) {
      if (stats.scored === 0) throw first;
      stats.refused++;
      return [null];
    }
    const out: (number | null)[] = [];
    for (const i of batch) {
      try {
        out.push((await withRetry([i], signal))[0]!);
      } catch (err) {
        if (!inputRefused(err)) throw err;
        out.push(null);
      }
    }
    if (out.every((s) => s === null) && stats.scored === 0) throw first;
    stats.refused += out.filter((s) => s === null).length;
    return out;
  };

  return {
    id,
    input,
    stats,
    async score(raw, signal) {
      const inputs = raw.map((r) => (input === "code" ? { ...r, prompt: "" } : r));
      const keys = inputs.map((i) => scoreKey(id, i));
      const out = new Map<string, Promise<number | null>>();
      const mine: {
        key: string;
        input: VerifierInput;
        settle: (v: number | null) => void;
        fail: (e: unknown) => void;
      }[] = [];
      // Claim every key before any await, so concurrent batches see each other's claims.
      for (let i = 0; i < inputs.length; i++) {
        const key = keys[i]!;
        if (out.has(key)) continue;
        const pending = inflight.get(key);
        if (pending) {
          out.set(key, pending);
          continue;
        }
        let settle!: (v: number | null) => void;
        let fail!: (e: unknown) => void;
        const p = new Promise<number | null>((res, rej) => {
          settle = res;
          fail = rej;
        });
        // Waiters that give up (another batch's failure) must not leave an unhandled rejection.
        p.catch(() => {});
        inflight.set(key, p);
        out.set(key, p);
        mine.push({ key, input: inputs[i]!, settle, fail });
      }
      try {
        const cached = cache ? await Promise.all(mine.map((m) => cache.get(m.key))) : [];
        const missing = mine.filter((m, j) => {
          const hit = cached[j];
          if (hit === undefined) return true;
          stats.cacheHits++;
          m.settle(hit);
          return false;
        });
        if (missing.length > 0) {
          stats.batches++;
          const batch = missing.map((m) => m.input);
          let scores: (number | null)[];
          try {
            scores = await withRetry(batch, signal);
          } catch (err) {
            if (!inputRefused(err)) throw err;
            scores = await oneByOne(batch, err, signal);
          }
          stats.scored += scores.filter((x) => x !== null).length;
          await Promise.all(
            missing.map(async (m, j) => {
              const score = scores[j]!;
              // A refusal is not cached: a larger model behind the same reference may take it.
              if (score !== null) await cache?.put(m.key, score);
              m.settle(score);
            }),
          );
        }
      } catch (err) {
        for (const m of mine) m.fail(err);
        throw err;
      } finally {
        for (const m of mine) inflight.delete(m.key);
      }
      return Promise.all(keys.map((k) => out.get(k)!));
    },
    check: (signal) => scorer.check(signal),
    close: () => scorer.close(),
  };
}

/** The verifier a spec names, managed (see manageScorer). */
export function createVerifier(spec: VerifierSpec, options: VerifierOptions = {}): Verifier {
  const { ref, input: _input, ...scorerOptions } = spec;
  return manageScorer(createScorer(ref, scorerOptions, options.env ?? process.env), spec, options);
}
