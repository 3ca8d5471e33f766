/**
 * Exports: training data from runs (rejection-sampling fine-tuning sets, verifier pairs, µCode
 * relabelling) in the formats TRL, axolotl and LLaMA-Factory read. The store's third reader,
 * after metrics and report; see docs/export.md.
 */
export { exportRuns, metaPath, parseKind } from "./export.js";
export { ExportError } from "./errors.js";
export { FORMATS, type ExportFormat, type TrainOn, parseFormat, renderDialog } from "./formats.js";
export { type Dialog, type Exchange, dialogTo } from "./dialog.js";
export { DuplicateIndex, bandsFor } from "./minhash.js";
export { codeTokens, jaccard, shingles } from "./tokens.js";
export { distinctIndices, rngFor, shuffled } from "./sample.js";
export { EvalIndex, type ContaminationMatch } from "./decontaminate.js";
export {
  DEFAULT_OPTIONS,
  EXPORT_KINDS,
  type ExportKind,
  type ExportMeta,
  type ExportOptions,
} from "./types.js";
