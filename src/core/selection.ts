/** How best-of-N picks the candidate that continues a trajectory (strategy.selection). */
export const SELECTION_RULES = ["random", "public-tests", "verifier", "public-tests+verifier"] as const;
export type SelectionRule = (typeof SELECTION_RULES)[number];

/** Whether a rule ranks by verifier scores (so a run with it needs a verifier). */
export function readsScores(rule: SelectionRule): boolean {
  return rule === "verifier" || rule === "public-tests+verifier";
}
