import { ModelError } from "../models/index.js";
import { chatJudgeKind } from "./chat-judge.js";
import { embeddedKind } from "./embedded.js";
import { teiKind, teiRerankKind } from "./tei.js";
import type { Scorer, ScorerKind, ScorerOptions } from "./types.js";
import { vllmClassifyKind, vllmPoolingKind } from "./vllm.js";

/**
 * The scorer kinds, tried in order: each recognises its own `<kind>:` references. A new kind
 * is one file exporting a ScorerKind, added to this list.
 */
const KINDS: readonly ScorerKind[] = [
  vllmClassifyKind,
  vllmPoolingKind,
  teiKind,
  teiRerankKind,
  chatJudgeKind,
  embeddedKind,
];

export function scorerKinds(): readonly ScorerKind[] {
  return KINDS;
}

/** The kind a reference names, or a config ModelError listing the kinds there are. */
export function scorerKindOf(ref: string): ScorerKind {
  const k = KINDS.find((c) => c.test(ref));
  if (k) return k;
  throw new ModelError(
    "config",
    `verifier "${ref}": unknown kind; expected one of ${KINDS.map((c) => c.syntax).join(", ")}`,
  );
}

/** Builds the scorer a reference names (no retry or cache: see createVerifier). */
export function createScorer(ref: string, options: ScorerOptions = {}, env = process.env): Scorer {
  return scorerKindOf(ref).create(ref, options, env);
}
