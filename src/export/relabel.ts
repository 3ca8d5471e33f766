import { gradeKey, latestGrades } from "../runs/index.js";
import { type ExportContext, codeAnswer, drop, skipContaminated } from "./context.js";
import { type Dialog, dialogTo } from "./dialog.js";
import { renderDialog } from "./formats.js";
import { rngFor, shuffled } from "./sample.js";
import { type RunTrajectory, detailOf, trajectoriesOf, whereOf } from "./source.js";

/**
 * µCode's expert relabelling: per problem the best code (accepted on its latest hidden grade;
 * among several, the highest verifier score, then the first by run, trajectory, turn and
 * candidate), paired with every history prefix of the problem's failed trajectories: the
 * dialog up to turn k's user message, with the best code as the answer to learn. Only the last
 * assistant message is a target (for TRL prompt-completion it is the completion).
 */

interface Best {
  code: string;
  language: string;
  score: number | null;
  rank: [number, number, number, number];
}

function better(a: Best, b: Best | null): boolean {
  if (!b) return true;
  const sa = a.score ?? Number.NEGATIVE_INFINITY;
  const sb = b.score ?? Number.NEGATIVE_INFINITY;
  if (sa !== sb) return sa > sb;
  for (let i = 0; i < 4; i++) if (a.rank[i] !== b.rank[i]) return a.rank[i]! < b.rank[i]!;
  return false;
}

export async function exportRelabel(ctx: ExportContext): Promise<void> {
  const { opts, runs } = ctx;
  for (const p of ctx.problems) {
    if (skipContaminated(ctx, p.problemId)) continue;
    let best: Best | null = null;
    const failed: RunTrajectory[] = [];
    // Pass 1: the expert code and the failed trajectories (keys only, so memory stays per problem).
    for (const rt of trajectoriesOf(runs, p.problemId)) {
      ctx.counts.read++;
      const d = detailOf(runs, rt);
      const grades = latestGrades(d);
      for (const turn of d.turns) {
        for (const c of turn.candidates) {
          const g = grades.get(gradeKey(turn.index, c.index));
          if (c.code === null || !g || g.infrastructureFailure || g.verdict !== "accepted") continue;
          ctx.counts.gradeVersions.add(g.version);
          const cand: Best = {
            code: c.code,
            language: runs[rt.run]!.config.language,
            score: c.verifierScore,
            rank: [rt.run, rt.t.trajectory, turn.index, c.index],
          };
          if (better(cand, best)) best = cand;
        }
      }
      const sub = rt.t;
      if (sub.submittedTurn === null) drop(ctx, "noCode");
      else if (!sub.grade) drop(ctx, "ungraded");
      else if (sub.grade.verdict === "accepted") drop(ctx, "accepted");
      else failed.push(rt);
    }
    if (failed.length === 0) continue;
    if (!best) {
      drop(ctx, "noExpert", failed.length);
      continue;
    }
    const chosen = shuffled(failed, rngFor(opts.seed, "relabel", p.problemId)).slice(0, opts.maxPerProblem);
    drop(ctx, "overCap", failed.length - chosen.length);
    chosen.sort((a, b) => a.run - b.run || a.t.trajectory - b.t.trajectory);
    const target = codeAnswer(best.code, best.language);
    for (const rt of chosen) {
      const d = detailOf(runs, rt);
      const full = dialogTo(
        runs[rt.run]!.config,
        d,
        d.submittedTurn!,
        d.submittedCandidate!,
        whereOf(runs, rt),
      );
      for (let k = 0; k < full.exchanges.length; k++) {
        const prefix: Dialog = {
          system: full.system,
          exchanges: [...full.exchanges.slice(0, k), { user: full.exchanges[k]!.user, assistant: target }],
        };
        for (const r of renderDialog(prefix, { ...opts, trainOn: "last" })) ctx.out.write(r);
      }
      ctx.counts.kept++;
    }
    ctx.counts.problemsExported++;
  }
}
