/**
 * The viewer's JSON API over read-only runs: one function per endpoint, each taking the
 * parsed query and returning a JSON-able value, or throwing `ApiError` with its HTTP status.
 * Filters and sorting are the store reader's SQL (store-reader.ts); this layer parses and checks
 * parameters, caches filtered counts per data version, and adds to a trajectory what the page
 * shows beside the stored rows (each candidate's hidden grade, the diff to its parent's code).
 */
import { diffLines } from "diff";
import { configSummary } from "../runs/config.js";
import type { ProblemQuery, TrajectoryQuery } from "../runs/store-reader.js";
import { type Candidate, type HiddenGrade, gradeKey, latestGrades } from "../runs/trajectory.js";
import type { ReadOnlyRun } from "./open.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUSES = ["pending", "running", "done", "failed"] as const;
const VERDICTS = [
  "accepted",
  "wrong_answer",
  "time_limit",
  "memory_limit",
  "runtime_error",
  "compile_error",
  "output_limit",
  "sandbox_error",
] as const;
const PROBLEM_SORTS = ["ordinal", "id", "title", "difficulty", "solved", "trajectories"] as const;
const TRAJECTORY_SORTS = ["ordinal", "turns", "tokens", "verdict", "status", "passed"] as const;

function oneOf<T extends string>(q: URLSearchParams, name: string, values: readonly T[]): T | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!(values as readonly string[]).includes(v)) {
    throw new ApiError(400, `${name}: expected one of ${values.join(", ")}, got "${v}"`);
  }
  return v as T;
}

function int(
  q: URLSearchParams,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw new ApiError(400, `${name}: expected an integer in ${min}..${max}, got "${v}"`);
  }
  return n;
}

function text(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (v.length > 1000) throw new ApiError(400, `${name}: at most 1000 characters`);
  return v;
}

function bool(q: URLSearchParams, name: string): boolean | undefined {
  const v = oneOf(q, name, ["true", "false"] as const);
  return v === undefined ? undefined : v === "true";
}

const page = (q: URLSearchParams) => ({ offset: int(q, "offset", 0), limit: int(q, "limit", 1, 500) });

export function parseProblemQuery(q: URLSearchParams): ProblemQuery {
  return {
    text: text(q, "q"),
    difficulty: text(q, "difficulty"),
    tag: text(q, "tag"),
    solved: oneOf(q, "solved", ["all", "some", "none"] as const),
    sort: oneOf(q, "sort", PROBLEM_SORTS),
    desc: q.get("dir") === "desc",
    ...page(q),
  };
}

export function parseTrajectoryQuery(q: URLSearchParams): TrajectoryQuery {
  return {
    problemId: text(q, "problem"),
    status: oneOf(q, "status", STATUSES),
    verdict: oneOf(q, "verdict", [...VERDICTS, "none"] as const),
    solved: bool(q, "solved"),
    minTurns: int(q, "minTurns", 0),
    maxTurns: int(q, "maxTurns", 0),
    feedback: oneOf(q, "feedback", [...VERDICTS, "no_code"] as const),
    text: text(q, "q"),
    sort: oneOf(q, "sort", TRAJECTORY_SORTS),
    desc: q.get("dir") === "desc",
    ...page(q),
  };
}

/** One line of a diff: "+" added, "-" removed, " " unchanged. */
export interface DiffLine {
  op: "+" | "-" | " ";
  text: string;
}

export function codeDiff(before: string, after: string): DiffLine[] {
  const out: DiffLine[] = [];
  for (const part of diffLines(before, after)) {
    const op = part.added ? "+" : part.removed ? "-" : " ";
    const lines = part.value.split("\n");
    if (lines.at(-1) === "") lines.pop();
    for (const line of lines) out.push({ op, text: line });
  }
  return out;
}

/** Counts are the slow half of a filtered page: kept per (filters, data version). */
class CountCache {
  private readonly map = new Map<string, number>();
  get(key: string, compute: () => number): number {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const n = compute();
    this.map.set(key, n);
    if (this.map.size > 500) this.map.delete(this.map.keys().next().value as string);
    return n;
  }
}

export class ViewApi {
  private readonly counts = new Map<number, CountCache>();

  constructor(readonly runs: readonly ReadOnlyRun[]) {}

  private run(index: string): ReadOnlyRun {
    const i = Number(index);
    const r = /^\d+$/.test(index) ? this.runs[i] : undefined;
    if (!r) throw new ApiError(404, `no run ${index} (${this.runs.length} runs open)`);
    return r;
  }

  runList() {
    return this.runs.map((r, index) => {
      const s = r.config.strategy;
      return {
        index,
        folder: r.folder,
        id: r.run.id,
        name: r.run.name,
        createdAt: r.run.createdAt,
        summary: configSummary(r.config),
        strategy: s.kind,
        maxTurns: s.maxTurns,
        candidatesPerTurn: s.candidatesPerTurn,
        feedback: r.config.feedback.kind,
        counts: r.reader.counts(),
        /** The text filter's trigram index: building, ready, stale (the run changed), failed, off. */
        textIndex: r.textIndex?.state ?? "off",
      };
    });
  }

  facets(run: string) {
    return { ...this.run(run).reader.browseFacets(), verdicts: VERDICTS };
  }

  problems(run: string, q: URLSearchParams) {
    return this.run(run).reader.problemPage(parseProblemQuery(q));
  }

  trajectories(run: string, q: URLSearchParams) {
    const r = this.run(run);
    const query = parseTrajectoryQuery(q);
    const { offset: _o, limit: _l, sort: _s, desc: _d, ...filters } = query;
    const key = `${r.dataVersion()}|${JSON.stringify(filters)}`;
    let cache = this.counts.get(this.runs.indexOf(r));
    if (!cache) {
      cache = new CountCache();
      this.counts.set(this.runs.indexOf(r), cache);
    }
    const total = cache.get(key, () => r.reader.trajectoryCount(query));
    return r.reader.trajectoryPage(query, total);
  }

  trajectory(run: string, q: URLSearchParams) {
    const r = this.run(run);
    const problemId = q.get("problem");
    if (problemId === null || problemId === "") throw new ApiError(400, "problem: required");
    const trajectory = int(q, "trajectory", 0);
    if (trajectory === undefined) throw new ApiError(400, "trajectory: required");
    const d = r.reader.trajectoryDetail({ problemId, trajectory });
    if (!d) throw new ApiError(404, `run ${run} has no trajectory ${trajectory} of problem "${problemId}"`);
    const grades = latestGrades(d);
    const byTurn = new Map(d.turns.map((t) => [t.index, t]));
    const parentCode = (parentTurn: number | null, parentCandidate: number | null): string | null => {
      if (parentTurn === null) return null;
      const p = byTurn.get(parentTurn);
      const c = p?.candidates.find((x) => x.index === (parentCandidate ?? 0));
      return c?.code ?? null;
    };
    return {
      run: { index: this.runs.indexOf(r), name: r.run.name, strategy: r.config.strategy.kind },
      problem: r.reader.problemInfo(problemId),
      ...d,
      turns: d.turns.map((t) => {
        const before = parentCode(t.parentTurn, t.parentCandidate);
        return {
          ...t,
          candidates: t.candidates.map((c: Candidate) => ({
            ...c,
            hiddenGrade: (grades.get(gradeKey(t.index, c.index)) ?? null) as HiddenGrade | null,
            submitted: d.submittedTurn === t.index && d.submittedCandidate === c.index,
            diff: before !== null && c.code !== null ? codeDiff(before, c.code) : null,
          })),
        };
      }),
    };
  }
}
