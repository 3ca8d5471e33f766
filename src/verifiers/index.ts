/**
 * Learned verifiers for best-of-N selection (µCode): scorer kinds behind a registry, each a
 * service that exists or the embedded baseline, wrapped with retries and a score cache.
 */
export * from "./types.js";
export { codeAnswer, inputMessages, inputText } from "./text.js";
export { createScorer, scorerKindOf, scorerKinds } from "./registry.js";
export {
  type Verifier,
  type VerifierOptions,
  type VerifierSpec,
  type VerifierStats,
  createVerifier,
  manageScorer,
  scoreKey,
} from "./managed.js";
export { chatJudgeKind } from "./chat-judge.js";
export { EmbeddedVerifier, embeddedKind, trainVerifier } from "./embedded.js";
export { teiKind, teiRerankKind } from "./tei.js";
export { vllmClassifyKind, vllmPoolingKind } from "./vllm.js";
