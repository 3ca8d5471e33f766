import { basename } from "node:path";
import { JUDGE_VERSION } from "../judge/index.js";
import { Judge } from "../judge/judge.js";
import type { Problem } from "../problems/index.js";
import type { Sandbox } from "../sandbox/index.js";
import {
  type Verifier as TurnVerifier,
  passedPublic,
  scoreCandidates,
  selectCandidate,
} from "../strategies/index.js";
import type { RunConfig } from "./config.js";
import { openRunFolder } from "./open-run.js";
import { RunAbortedError, excludeFlagged, gradeSubmission, problemsFor, sandboxFor } from "./scheduler.js";
import { RunStore } from "./store.js";
import {
  type Candidate,
  type HiddenGrade,
  type TestSummary,
  type Trajectory,
  type TrajectoryDetail,
  type TrajectoryKey,
  type Turn,
  gradeKey,
  latestGrades,
  seedFor,
} from "./trajectory.js";
import { turnVerifier, usesVerifier, verifierFor } from "./verifier.js";

/**
 * `codeloop reselect`: another selection rule applied to the stored candidates of a best-of-N
 * run, without new model calls, into a derived run folder with its own metrics.
 *
 * Along each trajectory the rule picks among the stored candidates of each turn. While it picks
 * what the run picked, the derived trajectory is the stored one. At the first turn where it
 * picks another candidate, the stored later turns answered feedback on the run's pick, not on
 * this one: the derived trajectory ends there and submits the new pick ("stops at the
 * divergence"), so every dialog it holds really happened. Hence exact: everything of single-turn
 * best-of-N, and each trajectory up to its divergence; not reproducible: the turns the new pick
 * would have led to (counted as `diverged`). The new submission keeps its stored hidden grade,
 * or is graded now when the run did not grade it.
 */

export type SelectionRule = RunConfig["strategy"]["selection"];

export interface ReselectOptions {
  selection: SelectionRule;
  /** A verifier reference to score the candidates with instead of the stored scores. */
  verifier?: string;
  /** Scorer to use for `verifier` (tests); default: the registry's. */
  verifierImpl?: TurnVerifier;
  sandbox?: Sandbox;
  problems?: Problem[];
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ReselectResult {
  folder: string;
  source: string;
  selection: SelectionRule;
  trajectories: number;
  /** Already derived by an earlier, interrupted reselect of the same folder. */
  resumed: number;
  /** Trajectories whose pick differed from the run's at some turn (ended there). */
  diverged: number;
  /** Submissions that differ from the run's. */
  changedSubmissions: number;
  /** Submissions graded now (the run had no grade for them). */
  graded: number;
  accepted: number;
  sourceAccepted: number;
  /** Trajectories the source has not finished: left pending. */
  unfinished: number;
  rescored: number;
}

const gradeOf = (g: HiddenGrade): TestSummary => ({
  verdict: g.verdict,
  passed: g.passed,
  total: g.total,
  tests: g.tests,
  infrastructureFailure: g.infrastructureFailure,
});

/** The derived run's config: the source's with the new rule (and verifier). */
function derivedConfig(source: RunConfig, folder: string, o: ReselectOptions): RunConfig {
  const verifier = o.verifier ?? source.strategy.verifier;
  const config: RunConfig = {
    ...source,
    name: `${source.name ?? basename(folder)}-reselect-${o.selection}`,
    strategy: {
      ...source.strategy,
      selection: o.selection,
      ...(verifier !== undefined ? { verifier } : {}),
    },
  };
  return config;
}

export async function reselectRun(source: string, out: string, o: ReselectOptions): Promise<ReselectResult> {
  const log = o.log ?? (() => {});
  const src = openRunFolder(source);
  let dst: RunStore | undefined;
  let sandbox: Sandbox | undefined;
  let ownVerifier: ReturnType<typeof verifierFor>;
  try {
    const sc = src.config;
    if (sc.strategy.kind === "tree") {
      throw new RunAbortedError(
        `${source}: a tree search has one program per node and no pick among candidates to redo; its submission already uses the verifier when strategy.selection reads scores`,
      );
    }
    if (sc.strategy.candidatesPerTurn < 2) {
      throw new RunAbortedError(
        `${source}: a reselect needs several candidates per turn (best-of-n); this run has ${sc.strategy.candidatesPerTurn}`,
      );
    }
    const stale = src.store.staleGrades(JUDGE_VERSION);
    if (stale.length > 0) {
      throw new RunAbortedError(
        `${source}: ${stale.reduce((n, s) => n + s.codes, 0)} code(s) have grades older than this codeloop's judge (${JUDGE_VERSION}); grade them again first: codeloop rejudge ${source} --all`,
      );
    }
    const config = derivedConfig(sc, source, o);
    if (o.verifier !== undefined && !usesVerifier(config)) {
      throw new RunAbortedError(
        `--verifier is read only by the rules that rank by scores (verifier, public-tests+verifier), not by --selection ${o.selection}`,
      );
    }
    const rescore = usesVerifier(config) && o.verifier !== undefined;
    if (usesVerifier(config) && !rescore) {
      // Stored scores are used only when the run names the verifier that made them (the
      // derived run's config must say where its scores came from) and every code has one.
      const unscored = src.store.unscoredCodes();
      if (sc.strategy.verifier === undefined || unscored > 0) {
        throw new RunAbortedError(
          `--selection ${o.selection} ranks by verifier scores and ${source} ${sc.strategy.verifier === undefined ? "names no verifier" : `has ${unscored} code(s) without a score`}: give --verifier <reference>`,
        );
      }
    }
    let verifier: TurnVerifier | undefined = o.verifierImpl;
    if (rescore && !verifier) {
      ownVerifier = verifierFor(config);
      await ownVerifier!.check();
      verifier = turnVerifier(
        ownVerifier!,
        `run the same codeloop reselect again (--out ${out}): it continues where it stopped`,
        (m) => new RunAbortedError(m),
      );
    }

    // The derived folder: new, or the same derivation resumed.
    const origin = JSON.stringify({
      source: src.store.run.id,
      selection: o.selection,
      verifier: o.verifier ?? null,
    });
    if (RunStore.isRunFolder(out)) {
      dst = RunStore.open(out);
      if (dst.facts().derivedFrom !== origin) {
        throw new RunAbortedError(
          `${out} already holds a run that is not this reselect of ${source}: pick another --out`,
        );
      }
      // One derived run, one ranking: a verifier file retrained (or resolved elsewhere) since
      // the reselect began would rank the rest of the trajectories differently.
      const before = dst.facts().verifier;
      if (ownVerifier && before !== undefined && before !== ownVerifier.id) {
        throw new RunAbortedError(
          `${out}: its candidates were scored by ${before}, but --verifier now gives ${ownVerifier.id}; reselect into a new --out`,
        );
      }
      log(`continuing the reselect in ${out}`);
    } else {
      dst = RunStore.create(out, config);
      dst.planProblems(
        [...src.store.iterateProblemSummaries()].map((p) => ({
          id: p.problemId,
          ...(p.title !== null ? { title: p.title } : {}),
          ...(p.difficulty !== null ? { difficulty: p.difficulty } : {}),
          tags: p.tags,
        })),
      );
      dst.recordExcluded(src.store.excludedProblems());
      for (const [k, v] of Object.entries(src.store.facts())) if (k !== "derivedFrom") dst.setFact(k, v);
      dst.setFact("derivedFrom", origin);
      if (ownVerifier) dst.setFact("verifier", ownVerifier.id);
      dst.log(`reselect of ${source} (run ${src.store.run.id}) with selection ${o.selection}`);
    }

    // Problems and a sandbox only when something must be graded or scored.
    let byId: Map<string, Problem> | undefined;
    let judge: Judge | undefined;
    const problem = async (id: string): Promise<Problem> => {
      if (!byId) {
        sandbox = o.sandbox ?? (await sandboxFor(config, log));
        const loaded = o.problems ?? (await problemsFor(config, sandbox, log));
        byId = new Map(excludeFlagged(config, loaded).kept.map((p) => [p.id, p]));
        judge = new Judge(sandbox);
      }
      const p = byId.get(id);
      if (!p)
        throw new RunAbortedError(
          `problem ${id} is in ${source} but no longer in ${config.benchmark.source}`,
        );
      return p;
    };

    const r: ReselectResult = {
      folder: out,
      source,
      selection: o.selection,
      trajectories: 0,
      resumed: 0,
      diverged: 0,
      changedSubmissions: 0,
      graded: 0,
      accepted: 0,
      sourceAccepted: 0,
      unfinished: 0,
      rescored: 0,
    };
    const total = src.store.counts().total;
    for (const t of src.store.trajectories()) {
      if (o.signal?.aborted) break;
      r.trajectories++;
      const d = src.store.trajectoryDetail(t);
      if (d?.grade?.verdict === "accepted") r.sourceAccepted++;
      const mine = dst.trajectoryDetail(t);
      if (mine?.status === "done" || mine?.status === "failed") {
        // Derived by an earlier, interrupted reselect: counted from what it stored.
        r.resumed++;
        if (mine.grade?.verdict === "accepted") r.accepted++;
        if (d && (mine.submittedTurn !== d.submittedTurn || mine.submittedCandidate !== d.submittedCandidate))
          r.changedSubmissions++;
        if (d && divergedAt(d, mine.turns, config) !== null) r.diverged++;
        o.onProgress?.(r.trajectories, total);
        continue;
      }
      if (!d || (d.status !== "done" && d.status !== "failed")) {
        r.unfinished++;
        continue;
      }
      await deriveTrajectory(d, t, config, dst, mine?.turns ?? [], {
        verifier: rescore ? verifier : undefined,
        problem,
        grade: (p, code) => gradeSubmission(judge!, config, p, code),
        result: r,
      });
      o.onProgress?.(r.trajectories, total);
    }
    if (o.signal?.aborted) {
      dst.log(`reselect stopped after ${r.trajectories} trajectories; run it again to continue`);
      return r;
    }
    dst.setFact("reselect", JSON.stringify({ ...r, folder: undefined, source }));
    dst.log(
      `reselect finished: ${r.trajectories} trajectories, ${r.diverged} diverged, ${r.changedSubmissions} submissions changed, ${r.accepted} accepted (source ${r.sourceAccepted})`,
    );
    return r;
  } finally {
    dst?.close();
    src.store.close();
    await ownVerifier?.close();
    if (sandbox && !o.sandbox) await sandbox.close();
  }
}

interface DeriveContext {
  verifier: TurnVerifier | undefined;
  problem: (id: string) => Promise<Problem>;
  grade: (p: Problem, code: string) => Promise<TestSummary>;
  result: ReselectResult;
}

/**
 * The first turn of `derived` whose pick differs from the run's and after which the run went on
 * (so the derived trajectory lacks turns it would have had), or null. A different pick that
 * ends the trajectory anyway (it passes the public tests, or the turn is the last allowed) is
 * exact, not a divergence.
 */
function divergedAt(d: TrajectoryDetail, derived: readonly Turn[], config: RunConfig): number | null {
  let depth = 0;
  for (const turn of derived) {
    const pick = turn.candidates.find((x) => x.selected);
    if (pick) depth++;
    const original = d.turns.find((u) => u.index === turn.index)?.candidates.find((x) => x.selected);
    if ((pick?.index ?? -1) === (original?.index ?? -1)) continue;
    const endsAnyway =
      (config.strategy.stopOnPublicPass && passedPublic(pick)) || depth >= config.strategy.maxTurns;
    return endsAnyway ? null : turn.index;
  }
  return null;
}

/**
 * One trajectory under the new rule: its turns up to the divergence, its submission, grades.
 * Turns an interrupted reselect already stored (`stored`) are read back, not picked again, so
 * a resume continues the very derivation it stopped (even with a scorer that is not
 * deterministic or a score cache that failed to write).
 */
async function deriveTrajectory(
  d: TrajectoryDetail,
  key: Trajectory,
  config: RunConfig,
  dst: RunStore,
  stored: readonly Turn[],
  c: DeriveContext,
): Promise<void> {
  const k: TrajectoryKey = { problemId: key.problemId, trajectory: key.trajectory };
  const grades = latestGrades(d);
  const n = config.strategy.candidatesPerTurn;
  const written: Turn[] = [];
  let differs = false;
  for (const turn of [...d.turns].sort((a, b) => a.index - b.index)) {
    let derived = stored.find((u) => u.index === turn.index);
    if (!derived) {
      const candidates: Candidate[] = turn.candidates.map((x) => ({ ...x, selected: false }));
      if (c.verifier) {
        c.result.rescored += await scoreCandidates(
          c.verifier,
          config,
          await c.problem(k.problemId),
          candidates,
        );
      }
      const pick = selectCandidate(
        candidates,
        config.strategy.selection,
        seedFor(config.seed, k.problemId, k.trajectory, turn.index, n),
      );
      const chosen = candidates.find((x) => x.index === pick);
      if (chosen) chosen.selected = true;
      derived = { ...turn, candidates, ...(n > 1 ? { selection: config.strategy.selection } : {}) };
      dst.writeTurn(k, derived);
    }
    written.push(derived);
    const pick = derived.candidates.find((x) => x.selected)?.index ?? -1;
    const original = turn.candidates.find((x) => x.selected)?.index ?? -1;
    if (pick !== original) {
      differs = true;
      break;
    }
  }
  if (differs && divergedAt(d, written, config) !== null) c.result.diverged++;
  // Hidden grades the run has for the copied candidates (verifier metrics read them).
  for (const t of written)
    for (const x of t.candidates) {
      const g = grades.get(gradeKey(t.index, x.index));
      if (g && x.code !== null) dst.writeGrade(k, t.index, x.index, gradeOf(g), 1, g.gradedAt);
    }
  // The submission: the latest selected code, as a run submits.
  let submitted: { turn: number; candidate: number; code: string } | null = null;
  for (let i = written.length - 1; i >= 0 && !submitted; i--) {
    const sel = written[i]!.candidates.find((x) => x.selected && x.code !== null);
    if (sel) submitted = { turn: written[i]!.index, candidate: sel.index, code: sel.code! };
  }
  let grade: TestSummary | undefined;
  let gradedAt: string | undefined;
  if (submitted) {
    const storedGrade = grades.get(gradeKey(submitted.turn, submitted.candidate));
    if (storedGrade) {
      grade = gradeOf(storedGrade);
      gradedAt = storedGrade.gradedAt;
    } else {
      grade = await c.grade(await c.problem(k.problemId), submitted.code);
      c.result.graded++;
    }
    if (submitted.turn !== d.submittedTurn || submitted.candidate !== d.submittedCandidate)
      c.result.changedSubmissions++;
    if (grade.verdict === "accepted") c.result.accepted++;
  }
  // A trajectory the run left failed stays failed only where it is the run's own; one that ends
  // on a different pick ended well, whatever happened to the run's later turns.
  dst.finishTrajectory(k, {
    status: d.status === "failed" && !differs ? "failed" : "done",
    submitted: submitted ? { turn: submitted.turn, candidate: submitted.candidate } : null,
    ...(d.error && !differs ? { error: d.error } : {}),
    ...(grade ? { grade } : {}),
    ...(gradedAt ? { gradedAt } : {}),
  });
}
