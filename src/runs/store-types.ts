/** The types the run store's readers and writers exchange with the rest of codeloop. */
import type { Verdict } from "../judge/types.js";
import type { HiddenGrade, TestSummary, TrajectoryKey, TrajectoryStatus } from "./trajectory.js";

/** A problem as the store plans it: the id, plus what listings show. */
export interface PlannedProblem {
  id: string;
  title?: string;
  difficulty?: string;
  /** The dataset's tags (algorithm categories), for breakdowns; stored as JSON. */
  tags?: string[];
}

export interface StatusCounts {
  total: number;
  pending: number;
  running: number;
  done: number;
  failed: number;
}

export interface ProblemSummary extends StatusCounts {
  problemId: string;
  title: string | null;
  difficulty: string | null;
  /** Tags stored at plan time ([] when none were given, or the run predates tags). */
  tags: string[];
  /** Position in the run's problem order (the key for paging). */
  ordinal: number;
  /** Trajectories whose submission has a hidden grade, and how many of those are accepted. */
  graded: number;
  accepted: number;
}

/** Where an unfinished trajectory stands, for a scheduler that resumes a run. */
export interface ResumePoint extends TrajectoryKey {
  status: TrajectoryStatus;
  /** Stored (committed) turns; a linear strategy continues with turn index `turns`. */
  turns: number;
}

/** A stored code to (re)grade: what `rejudge` iterates. */
export interface StoredCode extends TrajectoryKey {
  turn: number;
  candidate: number;
  code: string;
  /** The code is the trajectory's submission (not only a turn's code). */
  submitted: boolean;
  /** Latest grade, if any. */
  grade: HiddenGrade | null;
}

export interface FinishTrajectory {
  status: "done" | "failed";
  /** The submitted candidate; null when the trajectory produced no code. */
  submitted: { turn: number; candidate: number } | null;
  error?: string;
  /** Hidden-test grade of the submitted code (grade version 1), written in the same transaction. */
  grade?: TestSummary;
  /** ISO timestamps; default now. */
  finishedAt?: string;
  gradedAt?: string;
}

export interface CreateRunOptions {
  /** Default: the config's name, else the folder name. */
  name?: string;
  codeloopVersion?: string;
  /** Opening: the hash of config.json as written (runs created before a config field existed). */
  writtenHash?: string;
}

export interface PageOptions {
  /** Rows fetched per query (default 500): memory stays bounded whatever the run's size. */
  pageSize?: number;
}

/** What metrics need of one candidate: no messages, answers or test details. */
export interface CandidateFacts {
  turn: number;
  candidate: number;
  code: string | null;
  /** Public-test verdict; null when the code was not run. */
  publicVerdict: Verdict | null;
  promptTokens: number;
  completionTokens: number;
  selected: boolean;
  /** Verdict of the latest hidden-test grade of this candidate's code; null when not graded. */
  hiddenVerdict: Verdict | null;
  /** The turn its turn continues (`turns.parent_turn`): null for a first turn or a tree's root. */
  parentTurn: number | null;
}

/** What metrics need of one trajectory, with its candidates in (turn, candidate) order. */
export interface TrajectoryFacts extends TrajectoryKey {
  status: TrajectoryStatus;
  submittedTurn: number | null;
  submittedCandidate: number | null;
  candidates: CandidateFacts[];
}

export class RunStoreError extends Error {
  override name = "RunStoreError";
}

/** A grade version: 1 is the run's own grading, later ones are rejudges. */
export interface GradeVersion {
  version: number;
  createdAt: string;
  note: string;
  /** JUDGE_VERSION of the judge that made it; null for runs made before it was recorded. */
  judgeVersion: string | null;
}

/** A grade version by another judge that is still the latest grade of `codes` codes. */
export interface StaleGrades {
  version: number;
  judgeVersion: string | null;
  codes: number;
}
