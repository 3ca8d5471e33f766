/** How best-of-N picks the candidate that continues a trajectory (strategy.selection). */
export const SELECTION_RULES = ["random", "public-tests", "verifier", "public-tests+verifier"] as const;
export type SelectionRule = (typeof SELECTION_RULES)[number];
