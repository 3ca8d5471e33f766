import type { ContaminationMatch } from "./decontaminate.js";
import type { ProblemRef } from "./source.js";
import type { OpenRun } from "./source.js";
import type { ExportOptions } from "./types.js";
import type { JsonlOut } from "./writer.js";

/** What every kind of export reads and counts into. */
export interface ExportContext {
  runs: OpenRun[];
  problems: ProblemRef[];
  /** Problems dropped by decontamination, with their matches. */
  contaminated: Map<string, ContaminationMatch[]>;
  opts: ExportOptions;
  out: JsonlOut;
  counts: {
    read: number;
    kept: number;
    dropped: Record<string, number>;
    codes: Record<string, number> | undefined;
    problemsExported: number;
    gradeVersions: Set<number>;
    notes: string[];
  };
}

export function drop(ctx: ExportContext, why: string, n = 1): void {
  ctx.counts.dropped[why] = (ctx.counts.dropped[why] ?? 0) + n;
}

/** Counts a contaminated problem's trajectories as read and dropped; true when it was. */
export function skipContaminated(ctx: ExportContext, problemId: string): boolean {
  if (!ctx.contaminated.has(problemId)) return false;
  for (const r of ctx.runs) {
    for (const _ of r.store.trajectories({ problemId })) {
      ctx.counts.read++;
      drop(ctx, "contaminated");
    }
  }
  return true;
}

export { codeAnswer } from "../verifiers/text.js";
