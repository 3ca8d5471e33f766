import { normalizePythonCodes } from "../metrics/index.js";
import { type ExportContext, drop, skipContaminated } from "./context.js";
import { chainTo, dialogTo } from "./dialog.js";
import { renderDialog } from "./formats.js";
import { DuplicateIndex } from "./minhash.js";
import { rngFor, shuffled } from "./sample.js";
import { type RunTrajectory, detailOf, trajectoriesOf, whereOf } from "./source.js";
import { codeTokens, shingles } from "./tokens.js";

/**
 * Rejection-sampling fine-tuning data (Zheng et al.): per problem, the trajectories whose
 * submission is accepted on its latest grade, near-duplicates removed (on normalised code, in
 * a seeded order, so which of two duplicates stays is the seed's choice), then at most
 * `maxPerProblem` kept; each written as its CoT-stripped multi-turn dialog.
 */

interface Accepted {
  rt: RunTrajectory;
  code: string;
  language: string;
}

/** Normalised text per code: Python through ast.unparse (one interpreter per problem), others as is. */
async function normalised(items: readonly Accepted[]): Promise<string[]> {
  const py = items.filter((a) => a.language === "python").map((a) => a.code);
  const out = py.length > 0 ? await normalizePythonCodes(py, { processes: 1 }) : [];
  let k = 0;
  return items.map((a) => (a.language === "python" ? out[k++]! : a.code));
}

/**
 * Problems are gathered into windows of up to WINDOW_CODES accepted codes, normalised with one
 * interpreter per window: starting CPython costs far more than parsing a few hundred programs,
 * and a window bounds what is held at once.
 */
const WINDOW_CODES = 4096;

interface Gathered {
  problemId: string;
  accepted: Accepted[];
}

function gather(ctx: ExportContext, problemId: string): Accepted[] {
  const { opts, runs } = ctx;
  const accepted: Accepted[] = [];
  for (const rt of trajectoriesOf(runs, problemId)) {
    ctx.counts.read++;
    const t = rt.t;
    if (t.status !== "done" || t.grade?.verdict !== "accepted" || t.submittedCode === null) {
      drop(ctx, "failed");
      continue;
    }
    if (opts.singleTurnOnly) {
      const d = detailOf(runs, rt);
      if (chainTo(d.turns, t.submittedTurn!, whereOf(runs, rt)).length > 1) {
        drop(ctx, "multiTurn");
        continue;
      }
    }
    ctx.counts.gradeVersions.add(t.grade.version);
    accepted.push({ rt, code: t.submittedCode, language: runs[rt.run]!.config.language });
  }
  return accepted;
}

/** Dedup, cap and write one problem's accepted trajectories (already in the seeded order). */
function writeProblem(ctx: ExportContext, order: readonly Accepted[], texts: readonly string[]): void {
  const { opts, runs } = ctx;
  const index = new DuplicateIndex<number>({ threshold: opts.dedupThreshold, seed: opts.seed });
  const unique: Accepted[] = [];
  order.forEach((a, i) => {
    const set = shingles(codeTokens(texts[i]!, a.language), opts.shingle);
    if (index.add(i, set)) drop(ctx, "duplicate");
    else unique.push(a);
  });
  const kept = unique.slice(0, opts.maxPerProblem);
  drop(ctx, "overCap", unique.length - kept.length);
  // Written in run order, whatever order the seed chose them in.
  kept.sort((a, b) => a.rt.run - b.rt.run || a.rt.t.trajectory - b.rt.t.trajectory);
  for (const a of kept) {
    const d = detailOf(runs, a.rt);
    const where = whereOf(runs, a.rt);
    const dialog = dialogTo(runs[a.rt.run]!.config, d, d.submittedTurn!, d.submittedCandidate!, where);
    for (const r of renderDialog(dialog, opts)) ctx.out.write(r);
    ctx.counts.kept++;
  }
  if (kept.length > 0) ctx.counts.problemsExported++;
}

export async function exportRft(ctx: ExportContext): Promise<void> {
  let window: Gathered[] = [];
  let codes = 0;
  const flush = async () => {
    const all = window.flatMap((g) => g.accepted);
    const texts = await normalised(all);
    let at = 0;
    for (const g of window) {
      writeProblem(ctx, g.accepted, texts.slice(at, at + g.accepted.length));
      at += g.accepted.length;
    }
    window = [];
    codes = 0;
  };
  for (const p of ctx.problems) {
    if (skipContaminated(ctx, p.problemId)) continue;
    const accepted = gather(ctx, p.problemId);
    if (accepted.length === 0) continue;
    window.push({
      problemId: p.problemId,
      accepted: shuffled(accepted, rngFor(ctx.opts.seed, "rft", p.problemId)),
    });
    codes += accepted.length;
    if (codes >= WINDOW_CODES) await flush();
  }
  if (window.length > 0) await flush();
}
