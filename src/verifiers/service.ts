import { createHash } from "node:crypto";
import { ModelError, asModelError } from "../models/index.js";
import type { ScorerOptions } from "./types.js";

/**
 * What the HTTP scorer kinds (vllm.ts, tei.ts, chat-judge.ts) share: reading `<url>#<model>`,
 * building an id that keeps caches of different verifiers apart, and turning a failed check
 * into the one-line config error a run prints before it starts.
 */

export interface ServiceRef {
  /** The URL as given, without trailing slashes. */
  url: string;
  /** The part after "#", or undefined when there is none. */
  model: string | undefined;
}

/** Splits `<kind>:<url>[#<model>]`; a config error names what is missing. */
export function parseServiceRef(ref: string, kind: string, modelRequired: boolean): ServiceRef {
  const rest = ref.slice(kind.length + 1);
  const hash = rest.indexOf("#");
  const url = (hash >= 0 ? rest.slice(0, hash) : rest).trim().replace(/\/+$/, "");
  const model = hash >= 0 ? rest.slice(hash + 1).trim() : undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("not http");
  } catch {
    throw new ModelError("config", `verifier "${ref}": "${url}" is not an http(s) URL`);
  }
  if (modelRequired && !model) {
    throw new ModelError("config", `verifier "${ref}" needs a model name after "#", e.g. ${url}#my-model`);
  }
  if (model === "") throw new ModelError("config", `verifier "${ref}": empty model name after "#"`);
  return { url, model };
}

/**
 * The scorer's id: `<base>` (kind, endpoint, model), then `@<version>` when given, then every
 * non-default choice (label, prompt) so that two settings never share cached scores.
 */
export function scorerIdOf(base: string, options: ScorerOptions): string {
  let id = base;
  if (options.version) id += `@${options.version}`;
  if (options.label !== undefined)
    id += `;label=${typeof options.label === "number" ? options.label : JSON.stringify(options.label)}`;
  if (options.judgePrompt !== undefined) {
    id += `;prompt=${createHash("sha256").update(options.judgePrompt).digest("hex").slice(0, 16)}`;
  }
  return id;
}

/** `label` as a class index when it is one (a number, or a string of digits). */
export function labelIndex(label: number | string | undefined): number | undefined {
  if (typeof label === "number") return label;
  if (typeof label === "string" && /^\d+$/.test(label.trim())) return Number(label.trim());
  return undefined;
}

/** A config error when `label` is not a usable class index. */
export function checkLabelIndex(label: number | string | undefined, who: string): void {
  if (label === undefined) return;
  const index = labelIndex(label);
  if (index === undefined || !Number.isInteger(index) || index < 0) {
    throw new ModelError(
      "config",
      `verifier ${who}: label ${JSON.stringify(label)} must be a class index (0, 1, ...)`,
    );
  }
}

/** The one line a check prints when the service cannot be reached at all. */
function unreachable(who: string, url: string, error: ModelError): string {
  return `verifier ${who}: cannot reach ${url} (${error.message.split("\n")[0]}); start the server or fix the URL`;
}

/**
 * Runs a check step: a failure that is already a config error stays as is, a connection
 * failure or timeout becomes "cannot reach", anything else becomes `describe(error)`; all
 * are config errors with one line, so the run stops before it starts.
 */
export async function checkStep<T>(
  who: string,
  url: string,
  step: () => Promise<T>,
  describe: (error: ModelError) => string,
): Promise<T> {
  try {
    return await step();
  } catch (raw) {
    const error = asModelError(raw);
    if (error.kind === "config" || error.kind === "aborted") throw error;
    const line =
      error.kind === "connection" || error.kind === "timeout"
        ? unreachable(who, url, error)
        : describe(error);
    throw new ModelError("config", line.replace(/\s*\n\s*/g, " "), {
      cause: error,
      ...(error.status !== undefined ? { status: error.status } : {}),
      endpoint: url,
    });
  }
}

/** A bad_response ModelError naming the scorer and what was wrong with the answer. */
export function badResponse(who: string, what: string): ModelError {
  return new ModelError("bad_response", `verifier ${who}: ${what}`);
}

/** Softmax probabilities are finite numbers; anything else in a score is a broken answer. */
export function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}
