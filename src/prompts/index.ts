/**
 * Prompts: problem formatting, the chain-of-thought catalogue and message builder, execution
 * feedback renderers, code extraction from answers, and template overrides.
 */
export { TemplateError, placeholdersOf, renderTemplate } from "./template.js";
export {
  TEMPLATES,
  paragraphs,
  render as renderPromptTemplate,
  templateIds,
  templateText,
  validateOverrides,
} from "./templates.js";
export type { PromptOverrides, TemplateSpec } from "./templates.js";
export {
  INSTRUCTION_PROMPTS,
  REASONING_PROMPTS,
  UnknownPromptError,
  getPrompt,
  listPrompts,
  promptGrid,
} from "./catalogue.js";
export type { CatalogueEntry, PromptCategory, PromptPair } from "./catalogue.js";
export {
  FENCE_TAGS,
  LANGUAGE_NAMES,
  callSource,
  entryPointOf,
  formatProblem,
  problemStyle,
} from "./problem.js";
export type { FormatProblemOptions, ProblemStyle } from "./problem.js";
export { ConversationError, nextTurnStep, systemMessage, turnSteps } from "./chain.js";
export type { TurnPrompts, TurnState, TurnStep } from "./chain.js";
export {
  DEFAULT_FEEDBACK_LIMITS,
  FEEDBACK_KINDS,
  feedbackInput,
  renderFeedback,
  renderNoCodeFeedback,
} from "./feedback.js";
export type { FeedbackInput, FeedbackKind, FeedbackLimits } from "./feedback.js";
export { parseExecutionTrace, renderTrace, traceBlocks } from "./trace.js";
export type { ExecutionTrace, TraceEvent, TraceLimits } from "./trace.js";
export { clipInline, clipText, fenced } from "./text.js";
export type { ClipLimits } from "./text.js";
export { codeRegion, extractCode, fencedBlocks, stripThinking } from "./extract.js";
export type { ExtractOptions, Extraction, ExtractionHow } from "./extract.js";
