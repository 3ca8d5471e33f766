// The viewer's JSON API, as the page uses it (the server's src/view/api.ts answers).

export interface RunInfo {
  index: number;
  folder: string;
  id: string;
  name: string;
  createdAt: string;
  summary: string;
  strategy: string;
  maxTurns: number;
  candidatesPerTurn: number;
  feedback: string;
  counts: { total: number; pending: number; running: number; done: number; failed: number };
}

export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  rows: T[];
}

export interface ProblemRow {
  ordinal: number;
  problemId: string;
  title: string | null;
  difficulty: string | null;
  tags: string[];
  total: number;
  done: number;
  failed: number;
  graded: number;
  accepted: number;
  solvedFraction: number;
}

export interface TrajectoryRow {
  problemId: string;
  trajectory: number;
  ordinal: number;
  title: string | null;
  status: string;
  turnCount: number;
  candidateCount: number;
  promptTokens: number;
  completionTokens: number;
  verdict: string | null;
  passed: number | null;
  total: number | null;
  error: string | null;
}

export interface Facets {
  difficulties: string[];
  tags: string[];
  verdicts: string[];
  submittedTurns: number;
  problems: number;
  trajectories: number;
}

export interface TestOutcome {
  index: number;
  verdict: string;
  message?: string;
  cpuMs?: number;
  wallMs?: number;
}

export interface TestSummary {
  verdict: string;
  passed: number;
  total: number;
  tests: TestOutcome[];
  infrastructureFailure: boolean;
}

export interface CandidateView {
  index: number;
  rawAnswer: string;
  code: string | null;
  extraction: string;
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  cached: boolean;
  modelError: { kind: string; message: string; status?: number } | null;
  publicTests: TestSummary | null;
  selected: boolean;
  verifierScore: number | null;
  hiddenGrade: (TestSummary & { version: number }) | null;
  submitted: boolean;
  diff: { op: "+" | "-" | " "; text: string }[] | null;
}

export interface TurnView {
  index: number;
  parentTurn: number | null;
  parentCandidate: number | null;
  messages: { role: string; content: string }[];
  history: string;
  selection?: string;
  candidates: CandidateView[];
}

export interface TrajectoryView {
  run: { index: number; name: string; strategy: string };
  problem?: { title: string | null; difficulty: string | null; tags: string[] };
  problemId: string;
  trajectory: number;
  status: string;
  submittedTurn: number | null;
  submittedCandidate: number | null;
  grade: TestSummary | null;
  error: string | null;
  turnCount: number;
  turns: TurnView[];
}

export class ApiFailure extends Error {}

export async function get<T>(path: string, params?: Record<string, string | undefined>): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== "") q.set(k, v);
  const qs = q.toString();
  const res = await fetch(`/api/${path}${qs ? `?${qs}` : ""}`, { headers: { Accept: "application/json" } });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new ApiFailure(body.error ?? `HTTP ${res.status}`);
  return body;
}
