import { join } from "node:path";
import { readsScores } from "../core/selection.js";
import { cacheRoot } from "../models/index.js";
import type { Verifier as TurnVerifier } from "../strategies/index.js";
import { type Verifier, type VerifierSpec, createVerifier } from "../verifiers/index.js";
import type { RunConfig } from "./config.js";

/** The verifier a config names, as a spec (a bare reference is `{ ref }`). */
export function verifierSpecOf(config: RunConfig): VerifierSpec | undefined {
  const v = config.strategy.verifier;
  if (v === undefined) return undefined;
  return typeof v === "string" ? { ref: v } : { ...v };
}

/** Whether the config's selection rule reads verifier scores. */
export function usesVerifier(config: RunConfig): boolean {
  return readsScores(config.strategy.selection);
}

/**
 * The run's verifier, with its scores cached beside the model's answers (`<cache>/scores`)
 * when the run caches, so a resumed or repeated run asks the scorer only for new codes.
 */
export function verifierFor(config: RunConfig, env: NodeJS.ProcessEnv = process.env): Verifier | undefined {
  const spec = verifierSpecOf(config);
  if (!usesVerifier(config) || spec === undefined) return undefined;
  const cacheDir = config.cache.enabled
    ? config.cache.dir
      ? join(config.cache.dir, "scores")
      : join(cacheRoot(env), "scores")
    : undefined;
  return createVerifier(spec, { env, ...(cacheDir ? { cacheDir } : {}) });
}

/**
 * The strategy's view of a verifier: a failed batch (after its retries) stops the run with a
 * message saying how to continue; the turn it belonged to is not stored, so a resume scores
 * it again rather than keeping a turn selected without its scores.
 */
export function turnVerifier(
  v: Verifier,
  howToContinue: string,
  abort: (message: string) => Error,
): TurnVerifier {
  return {
    score: async (inputs) => {
      try {
        return await v.score(inputs);
      } catch (err) {
        throw abort(`verifier ${v.id}: ${(err as Error).message}; the turn was not stored: ${howToContinue}`);
      }
    },
  };
}
