import type { Problem } from "./types.js";

/**
 * Reasons a problem's verdicts cannot be trusted, known when it is loaded (before any program
 * runs): runs exclude flagged problems by kind (`benchmark.exclude`), validate reports them.
 */
export type LoadFlagKind = "unjudgeable" | "interactive" | "needs-checker";
export const LOAD_FLAG_KINDS: readonly LoadFlagKind[] = ["unjudgeable", "interactive", "needs-checker"];

export interface LoadFlag {
  kind: LoadFlagKind;
  reason: string;
}

const MULTI_ANSWER =
  /\b(print|output|find)\s+any\b|\bany\s+(of\s+them|valid|correct|possible|such)\b|\bif there are (several|multiple|many)\b|\bmultiple (possible |valid |correct )?(answers|solutions)\b|\bmore than one (answer|solution)\b/i;
const INTERACTIVE = /\binteractive\b|\bflush\b.*\boutput\b|\bfflush\b|\bstdout\.flush\b/i;

/**
 * The load-time flags of a problem. `needs-checker` is a heuristic on the statement (it asks
 * for "any" valid answer) for stdin/stdout problems judged by token comparison; a problem with
 * an output validator or checker does not need one. The statement patterns are written for
 * stdin/stdout statements: function docstrings ("find any vowel...") would only give false
 * alarms.
 */
export function loadFlags(p: Problem): LoadFlag[] {
  const flags: LoadFlag[] = [];
  if (p.metadata.unjudgeable) flags.push({ kind: "unjudgeable", reason: p.metadata.unjudgeable });
  const stdio = p.judge.kind === "stdio";
  if (p.metadata.interactive || (stdio && INTERACTIVE.test(p.statement))) {
    flags.push({
      kind: "interactive",
      reason: "the statement describes an interactive protocol: output comparison cannot judge it",
    });
  }
  const hasChecker = p.judge.kind === "stdio" && p.judge.validator !== undefined;
  const warnedMulti = p.warnings.some((w) => /several|multiple|any (valid|correct)|checker/i.test(w));
  if (stdio && !hasChecker && !p.metadata.unjudgeable && (warnedMulti || MULTI_ANSWER.test(p.statement))) {
    flags.push({
      kind: "needs-checker",
      reason: "the statement allows several valid answers: token comparison may reject correct output",
    });
  }
  return flags;
}
