import { createHash } from "node:crypto";
import type { ChatMessage, FinishReason, ModelErrorKind } from "./chat.js";
import type { ExtractionHow } from "./extraction.js";
import type { Verdict } from "./verdict.js";

/**
 * The trajectory model: what a run stores. A trajectory is a tree of turns (a linear dialog
 * is the special case where each turn's parent is the previous turn); each turn holds one or
 * more candidate answers, one of which (the selected one) the trajectory continues from.
 */

export type TrajectoryStatus = "pending" | "running" | "done" | "failed";

export const TRAJECTORY_STATUSES: readonly TrajectoryStatus[] = ["pending", "running", "done", "failed"];

/** Identifies one trajectory of a run. */
export interface TrajectoryKey {
  problemId: string;
  /** 0-based index among the problem's trajectories. */
  trajectory: number;
}

/** One run: its folder holds the resolved config; this is the row the database keeps. */
export interface Run {
  id: string;
  name: string;
  /** ISO timestamp. */
  createdAt: string;
  /** sha256 of the resolved config as JSON, so a resume can tell whether the config changed. */
  configHash: string;
  seed: number;
  codeloopVersion: string;
}

/** One test's outcome, without the outputs (those are large and only needed for feedback). */
export interface TestOutcome {
  index: number;
  verdict: Verdict;
  /** Why it failed (first differing token, exception, ...), when it did. */
  message?: string;
  cpuMs?: number;
  wallMs?: number;
}

/** A judged test set, reduced to what metrics, reports and resumes need. */
export interface TestSummary {
  verdict: Verdict;
  passed: number;
  /** Tests in the set; `tests.length` is smaller when judging stopped at the first failure. */
  total: number;
  tests: TestOutcome[];
  /** A test could not be judged because the sandbox failed: not the program's fault. */
  infrastructureFailure: boolean;
}

/** A grade on the hidden tests. Regrading (`rejudge`) adds a new version; none is overwritten. */
export interface HiddenGrade extends TestSummary {
  /** 1 for the run's own grading, then one more per rejudge. */
  version: number;
  /** ISO timestamp. */
  gradedAt: string;
}

/** How code was pulled out of an answer (the prompts layer's `extractCode` names the kinds). */
export type ExtractionKind = ExtractionHow | "none";

export interface CandidateModelError {
  kind: ModelErrorKind;
  message: string;
  status?: number;
}

export interface Candidate {
  /** 0-based index within its turn. */
  index: number;
  /** The model's answer as received ("" when the request failed). */
  rawAnswer: string;
  /** The code extracted from the answer, or null when there was none. */
  code: string | null;
  extraction: ExtractionKind;
  /** null when the request failed. */
  finishReason: FinishReason | null;
  promptTokens: number;
  completionTokens: number;
  /** The server reported only totals and this candidate's share was estimated. */
  tokensApproximate: boolean;
  latencyMs: number;
  /** The answer came from the response cache. */
  cached: boolean;
  modelError: CandidateModelError | null;
  /** The sampling seed sent for this candidate (from `seedFor`). */
  seed: number;
  /** Public-test results; null when the code was not run (no code, or not chosen to run). */
  publicTests: TestSummary | null;
  /** This candidate continued the trajectory (exactly one per turn, unless every request failed). */
  selected: boolean;
  /** Score from a learned verifier, when one ranked the candidates. */
  verifierScore: number | null;
}

/**
 * One turn. `index` numbers the turns of a trajectory in the order they were created and is
 * the turn's id within it; `parentTurn`/`parentCandidate` name the answer this turn follows,
 * so branching (tree search) needs no new fields.
 */
export interface Turn {
  index: number;
  /** null for a root turn. */
  parentTurn: number | null;
  /** Which candidate of the parent turn this turn continues; null for a root turn. */
  parentCandidate: number | null;
  /**
   * The messages this turn sent. With `history: "append"` these are only the new messages;
   * the full request is the parent chain's messages, each followed by its continued answer
   * (see `requestMessages`). With `history: "replace"` they are the whole request (a strategy
   * that rewrites the dialog). Appending keeps storage linear in the number of turns.
   */
  messages: ChatMessage[];
  history: "append" | "replace";
  candidates: Candidate[];
  /**
   * The rule that picked the selected candidate among several (`strategy.selection`, or the
   * rule of a `codeloop reselect`); absent for turns of one candidate.
   */
  selection?: string;
  /** ISO timestamps. */
  startedAt: string;
  finishedAt: string;
}

export interface Trajectory extends TrajectoryKey {
  status: TrajectoryStatus;
  /** The code graded on the hidden tests, and which candidate it came from. */
  submittedCode: string | null;
  submittedTurn: number | null;
  submittedCandidate: number | null;
  /** The latest hidden-test grade of the submitted code. */
  grade: HiddenGrade | null;
  /** Why the trajectory failed (status "failed"). */
  error: string | null;
  /** Number of stored turns. */
  turnCount: number;
}

/** A trajectory with every turn and candidate, as `runs show --problem` prints it. */
export interface TrajectoryDetail extends Trajectory {
  turns: Turn[];
  /** Hidden grades of non-submitted turns (when `grading.gradeEveryTurn`), latest version each. */
  turnGrades: { turn: number; candidate: number; grade: HiddenGrade }[];
}

/** The key of a candidate in `latestGrades`. */
export function gradeKey(turn: number, candidate: number): string {
  return `${turn}:${candidate}`;
}

/**
 * The latest hidden grade of every graded candidate of a trajectory, keyed by `gradeKey`: the
 * turn grades, and the submission's grade (the trajectory's own; the same latest grade when
 * the turn grades hold it too).
 */
export function latestGrades(d: TrajectoryDetail): Map<string, HiddenGrade> {
  const out = new Map<string, HiddenGrade>();
  for (const g of d.turnGrades) out.set(gradeKey(g.turn, g.candidate), g.grade);
  if (d.grade && d.submittedTurn !== null && d.submittedCandidate !== null) {
    out.set(gradeKey(d.submittedTurn, d.submittedCandidate), d.grade);
  }
  return out;
}

/**
 * The full request a turn sent: walks the parent chain from the root, appending each turn's
 * messages and then the answer of the candidate its child continued.
 */
export function requestMessages(turns: readonly Turn[], turnIndex: number): ChatMessage[] {
  const byIndex = new Map(turns.map((t) => [t.index, t]));
  const chain: Turn[] = [];
  const seen = new Set<number>();
  let cur = byIndex.get(turnIndex);
  if (!cur) throw new Error(`no turn ${turnIndex}`);
  while (cur) {
    if (seen.has(cur.index)) throw new Error(`turn ${cur.index} is its own ancestor`);
    seen.add(cur.index);
    chain.unshift(cur);
    if (cur.history === "replace" || cur.parentTurn === null) break;
    const parent = byIndex.get(cur.parentTurn);
    if (!parent) throw new Error(`turn ${cur.index}: parent turn ${cur.parentTurn} is missing`);
    cur = parent;
  }
  const out: ChatMessage[] = [];
  for (let i = 0; i < chain.length; i++) {
    const t = chain[i]!;
    out.push(...t.messages);
    const child = chain[i + 1];
    if (child) {
      const answer = t.candidates.find((c) => c.index === child.parentCandidate);
      if (!answer)
        throw new Error(`turn ${child.index}: parent candidate ${child.parentCandidate} is missing`);
      out.push({ role: "assistant", content: answer.rawAnswer });
    }
  }
  return out;
}

/**
 * The sampling seed for one candidate: the first 31 bits (big-endian, top bit dropped) of the
 * SHA-256 of the JSON array `["codeloop/seed/v1", runSeed, problemId, trajectory, turn,
 * candidate]`. JSON keeps the fields unambiguous whatever the problem id contains; 31 bits
 * fit every server's signed 32-bit seed field. The same inputs give the same seed in every
 * process and on every machine, so a resumed run samples exactly what an uninterrupted one would.
 */
export function seedFor(
  runSeed: number,
  problemId: string,
  trajectory: number,
  turn: number,
  candidate: number,
): number {
  for (const [name, v] of [
    ["runSeed", runSeed],
    ["trajectory", trajectory],
    ["turn", turn],
    ["candidate", candidate],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`seedFor: ${name} must be a non-negative integer, got ${v}`);
  }
  const digest = createHash("sha256")
    .update(JSON.stringify(["codeloop/seed/v1", runSeed, problemId, trajectory, turn, candidate]))
    .digest();
  return digest.readUInt32BE(0) >>> 1;
}
