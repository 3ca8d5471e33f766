import { JUDGE_VERSION } from "../judge/index.js";
import {
  type GradeVersion,
  type HiddenGrade,
  type RunConfig,
  type RunStore,
  type StaleGrades,
  type Trajectory,
  type TrajectoryDetail,
  openRunFolder,
} from "../runs/index.js";
import { ExportError } from "./errors.js";

/** One run being exported, with what the sidecar records about it. */
export interface OpenRun {
  folder: string;
  store: RunStore;
  config: RunConfig;
}

export interface RunProvenance {
  folder: string;
  name: string;
  configHash: string;
  /** Every grade version of the run, with its judge; exports use each code's latest grade. */
  gradeVersions: GradeVersion[];
  /** Versions by another judge that are still codes' latest grades (exported only when allowed). */
  staleGrades: StaleGrades[];
}

/** Opens every folder, or closes what was opened and names the folder that is not a run. */
export function openRuns(folders: readonly string[]): OpenRun[] {
  if (folders.length === 0) throw new ExportError("give at least one run folder");
  const out: OpenRun[] = [];
  try {
    for (const folder of folders) {
      out.push(openRunFolder(folder, { error: (m) => new ExportError(m) }));
    }
  } catch (err) {
    for (const r of out) r.store.close();
    throw err;
  }
  return out;
}

export function provenance(r: OpenRun): RunProvenance {
  return {
    folder: r.folder,
    name: r.store.run.name,
    configHash: r.store.run.configHash,
    gradeVersions: r.store.gradeVersions(),
    staleGrades: r.store.staleGrades(JUDGE_VERSION),
  };
}

/**
 * Refuses runs whose codes' latest grades were made by another judge than this codeloop's
 * (their verdicts might differ today: a training set must not learn from them), naming the
 * rejudge that fixes it; with `allow`, returns the notes that say what was exported anyway.
 */
export function checkJudge(runs: readonly OpenRun[], allow: boolean): string[] {
  const notes: string[] = [];
  for (const r of runs) {
    const stale = r.store.staleGrades(JUDGE_VERSION);
    if (stale.length === 0) continue;
    const codes = stale.reduce((n, s) => n + s.codes, 0);
    const by = stale
      .map((s) => `version ${s.version} by ${s.judgeVersion ?? "a judge that did not record its version"}`)
      .join("; ");
    if (!allow) {
      throw new ExportError(
        `${r.folder}: ${codes} code(s) have grades older than this codeloop's judge (${JUDGE_VERSION}): ${by}. Grade them again with \`codeloop rejudge ${r.folder} --all\` (or pass --allow-stale-grades to export them as they are)`,
      );
    }
    notes.push(
      `${r.folder}: exported ${codes} code(s) with grades of another judge (${by}) (--allow-stale-grades)`,
    );
  }
  return notes;
}

export interface ProblemRef {
  problemId: string;
  title: string | null;
}

/**
 * The problems of all runs, in the first run's order and then each later run's new ones: the
 * only list an export holds whole (ids and titles, not trajectories).
 */
export function problemsOf(runs: readonly OpenRun[]): ProblemRef[] {
  const seen = new Set<string>();
  const out: ProblemRef[] = [];
  for (const r of runs) {
    for (const p of r.store.iterateProblemSummaries()) {
      if (seen.has(p.problemId)) continue;
      seen.add(p.problemId);
      out.push({ problemId: p.problemId, title: p.title });
    }
  }
  return out;
}

export interface RunTrajectory {
  run: number;
  t: Trajectory;
}

/** One problem's trajectories over every run, paged by the store. */
export function* trajectoriesOf(runs: readonly OpenRun[], problemId: string): Generator<RunTrajectory> {
  for (let run = 0; run < runs.length; run++) {
    for (const t of runs[run]!.store.trajectories({ problemId })) yield { run, t };
  }
}

export function detailOf(runs: readonly OpenRun[], rt: RunTrajectory): TrajectoryDetail {
  const d = runs[rt.run]!.store.trajectoryDetail(rt.t);
  if (!d)
    throw new ExportError(
      `${runs[rt.run]!.folder}: ${rt.t.problemId}#${rt.t.trajectory} vanished while exporting`,
    );
  return d;
}

/** Where a trajectory is, for error messages. */
export function whereOf(runs: readonly OpenRun[], rt: RunTrajectory): string {
  return `${runs[rt.run]!.folder}: ${rt.t.problemId}#${rt.t.trajectory}`;
}
