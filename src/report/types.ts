import type { Metrics, SimilaritySummary, VerifierMetrics } from "../metrics/index.js";
import type { StatusCounts } from "../runs/store.js";

/** What the report knows of one run: everything the page and the JSON export show. */
export interface RunReport {
  /** Position among the report's runs (0-based). */
  index: number;
  folder: string;
  name: string;
  runId: string;
  createdAt: string;
  config: {
    model: string;
    benchmark: string;
    strategy: string;
    feedback: string;
    maxTurns: number;
    candidatesPerTurn: number;
    trajectoriesPerProblem: number;
    language: string;
    seed: number;
    temperature: number;
    /** The tests submissions are graded on (`grading.tests`): all, or hidden only. */
    gradingTests: string;
    /** The Python runtime that judged the run ("PyPy 7.3.11 (Python 3.9.16)"), when recorded. */
    python?: string;
    /**
     * Tree search only (`strategy.kind: tree`; `maxTurns` is then the depth limit): its budget,
     * branching, and the programs one trajectory costs in pass n@k (`programsPerTrajectory`).
     */
    tree?: {
      budget: { calls?: number; tokens?: number };
      branching: number;
      programsPerTrajectory: number;
    };
  };
  /** Problems left out of the run (`benchmark.exclude`) and why. */
  excluded: { id: string; reasons: string[] }[];
  /** configAxes of the run's config. */
  axes: Record<string, string>;
  /** Trajectory statuses in the store (pending, running, done, failed). */
  counts: StatusCounts;
  totals: {
    problems: number;
    /** Finished (done) trajectories: what the metrics use. */
    trajectories: number;
    /** Finished trajectories left out: their submission's hidden grade was an infrastructure failure. */
    infrastructureExcluded?: number;
    turns: number;
    llmCalls: number;
    tokens: number;
    /** Problems with at least one accepted submission. */
    solvedProblems: number;
    /** Accepted submissions. */
    acceptedTrajectories: number;
    /** Seconds between each "run started/resumed" and "run finished" line of run.log, summed; null when none finished. */
    wallSeconds: number | null;
  };
  metrics: Metrics;
  /** Mean pass n@k over the problems that afford it, for a grid of k (no intervals). */
  nAtKCurve: NAtKCurve[];
  /** Consecutive-code similarity of this run. */
  similarity: SimilaritySummary;
  /**
   * Verifier metrics over every stored candidate (AUC, top-1, best-of-N curves); null unless
   * the run is best-of-N (candidatesPerTurn > 1).
   */
  verifier: VerifierMetrics | null;
  problems: ProblemRow[];
  embedded: {
    /** The --max-trajectories limit the report was built with. */
    perProblem: number;
    /** Trajectories embedded (with their turns). */
    trajectories: number;
    /** Trajectories with stored turns that were left out of the page (the metrics still use them). */
    leftOut: number;
  };
}

export interface NAtKCurve {
  /** "1", "10", ... or "k/T" (every bought trajectory submitted, which is pass@(k/T)). */
  label: string;
  points: { k: number; value: number; problems: number }[];
}

export interface ProblemRow {
  id: string;
  title: string | null;
  difficulty: string | null;
  tags: string[];
  /** Planned trajectories. */
  planned: number;
  /** Finished trajectories (the metrics' sample). */
  trajectories: number;
  /** Fraction of finished trajectories whose submission passed the hidden tests; null without any. */
  solvedFraction: number | null;
  /** Fraction of finished trajectories whose submitted code passed every public test. */
  publicPassRate: number | null;
  meanTurns: number | null;
  meanTokens: number | null;
  meanCalls: number | null;
  /** Indices of the trajectories embedded in the page (view key `run/row/trajectory`). */
  embedded: number[];
}

/** One public or hidden test-set result, shortened for the page. */
export interface TestView {
  verdict: string;
  passed: number;
  total: number;
  infrastructureFailure: boolean;
  tests: { index: number; verdict: string; message?: string }[];
}

/** Indices into ReportData.strings (long texts are stored once). */
export type StringRef = number;

export interface CandidateView {
  index: number;
  selected: boolean;
  answer: StringRef;
  code: StringRef | null;
  extraction: string;
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  cached: boolean;
  modelError: string | null;
  public: TestView | null;
  /** Hidden grade of this candidate's code (the submission's, or gradeEveryTurn's). */
  hidden: (TestView & { version: number }) | null;
}

/** A line diff: 0 unchanged, 1 added, -1 removed; text is the lines (with their newlines). */
export type DiffOp = [op: -1 | 0 | 1, text: string];

export interface TurnView {
  index: number;
  parentTurn: number | null;
  parentCandidate: number | null;
  history: string;
  messages: { role: string; content: StringRef }[];
  candidates: CandidateView[];
  /** Line diff of the continued candidate's code against the previous turn's; null on the first code. */
  diff: DiffOp[] | null;
  /** Turn index the diff compares against. */
  diffAgainst: number | null;
  startedAt: string;
  finishedAt: string;
}

export interface TrajectoryView {
  run: number;
  problemId: string;
  trajectory: number;
  status: string;
  error: string | null;
  submittedTurn: number | null;
  submittedCandidate: number | null;
  grade: (TestView & { version: number }) | null;
  turns: TurnView[];
  /** Tree search runs only: the trajectory's tree of nodes (one program per turn). */
  tree?: TreeView;
}

/** One public or hidden result as a tree node shows it. */
export interface NodeVerdict {
  verdict: string;
  passed: number;
  total: number;
}

/** A node of a tree search: one turn and its one program. */
export interface TreeNodeView {
  /** The turn's index (creation order). */
  turn: number;
  /** The turn it refines; null for a root. */
  parent: number | null;
  /** Turns on the path from its root, itself included (a root has depth 1). */
  depth: number;
  /** Turns that refine it, in creation order. */
  children: number[];
  /** On the path root → submitted node. */
  onPath: boolean;
  submitted: boolean;
  hasCode: boolean;
  /** The request failed (no answer). */
  failed: boolean;
  /** Public-test result of the node's program; null when it was not run. */
  public: NodeVerdict | null;
  /** Hidden grade of the node's program (the submission's, or gradeEveryTurn's); null when not graded. */
  hidden: NodeVerdict | null;
}

export interface TreeView {
  /** Root turns in creation order. */
  roots: number[];
  /** One per turn, in the order of `TrajectoryView.turns`. */
  nodes: TreeNodeView[];
  /** Turns from the root to the submitted node; [] without a submission. */
  submittedPath: number[];
  /** Largest node depth. */
  depth: number;
}

export interface Comparison {
  /** Axes whose value differs between runs. */
  varying: string[];
  /** The metric the heatmap shows, e.g. "pass 1@3". */
  metric: string;
  rows: {
    run: number;
    name: string;
    axes: Record<string, string>;
    passAt1: number | null;
    nAtK: Record<string, { value: number; low: number; high: number } | null>;
    /** Value of `metric`, null when the run cannot afford it. */
    value: number | null;
    tokens: number;
    llmCalls: number;
  }[];
  /** Heatmap axes (two varying axes) or a bar chart over one axis (y null). */
  chart: { x: string; y: string | null } | null;
}

export interface ReportData {
  title: string;
  generatedAt: string;
  codeloopVersion: string;
  options: { maxTrajectoriesPerProblem: number; resamples: number; seed: number };
  runs: RunReport[];
  /** Similarity distributions pooled per feedback kind over all runs. */
  similarityByFeedback: Record<string, SimilaritySummary>;
  comparison: Comparison | null;
  /** Embedded trajectories keyed `run/row/trajectory` (row = index in the run's problems). */
  trajectories: Record<string, TrajectoryView>;
  /** Texts referenced by StringRef. */
  strings: string[];
  /**
   * Base URL of a running `codeloop view` (http or https, ending in "/"): problem rows link to
   * all their trajectories there, and embedded trajectories to their viewer page. Runs are
   * named by run id, so the viewer may hold the runs in any order.
   */
  viewerUrl?: string;
}
