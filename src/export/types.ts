import type { ContaminationMatch } from "./decontaminate.js";
import type { ExportFormat, TrainOn } from "./formats.js";
import type { RunProvenance } from "./source.js";

export const EXPORT_KINDS = ["rft", "verifier-pairs", "relabel"] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export interface ExportOptions {
  out: string;
  format: ExportFormat;
  seed: number;
  /** System message of the run kept in the rows. */
  system: boolean;
  trainOn: TrainOn;
  /** rft: trajectories kept per problem after dedup; relabel: failed trajectories relabelled per problem. */
  maxPerProblem: number;
  /** rft: Jaccard similarity of token shingles at or above which two codes are duplicates; 1 keeps near-duplicates apart, 0 is invalid. */
  dedupThreshold: number;
  /** Tokens per shingle. */
  shingle: number;
  singleTurnOnly: boolean;
  decontaminate: string[];
  ngram: number;
  overlapThreshold: number;
  pairsPerProblem: number;
  pointwise: boolean;
  /**
   * Export grades that a judge other than this codeloop's made (a run graded before the judge
   * last changed). Off: such a run is refused, with the rejudge command that fixes it.
   */
  allowStaleGrades: boolean;
  /** Progress and warnings. */
  log?: (m: string) => void;
}

export const DEFAULT_OPTIONS: Omit<ExportOptions, "out"> = {
  format: "messages",
  seed: 0,
  system: true,
  trainOn: "last",
  maxPerProblem: 50,
  dedupThreshold: 0.8,
  shingle: 5,
  singleTurnOnly: false,
  decontaminate: [],
  ngram: 10,
  overlapThreshold: 0.5,
  pairsPerProblem: 10,
  pointwise: false,
  allowStaleGrades: false,
};

/** The sidecar `<out>.meta.json`: provenance and counts. */
export interface ExportMeta {
  kind: ExportKind;
  out: string;
  format: string;
  options: Record<string, unknown>;
  /** The judge this export trusts: grades by any other were refused, or allowed and noted. */
  judgeVersion: string;
  runs: RunProvenance[];
  /** Grade versions the used grades came from (latest per code). */
  gradeVersionsUsed: number[];
  problems: { read: number; contaminated: number; exported: number };
  /** read = kept + the sum of dropped. */
  trajectories: { read: number; kept: number; dropped: Record<string, number> };
  /** verifier-pairs: the codes considered. */
  codes?: Record<string, number>;
  contamination: ContaminationMatch[];
  examples: number;
  /** Characters of message text / 4. */
  approxTokens: number;
  tokensNote: string;
  notes: string[];
}
