import { passAtK } from "../metrics/index.js";
import type { SampleVerdict, VerdictLine } from "./verdicts.js";

/** The k reported: 1 always, 10 and 100 where every graded problem has that many samples. */
export const PASS_KS = [1, 10, 100] as const;

export interface ProblemSummary {
  problemId: string;
  /** Samples graded (infrastructure failures excluded) and accepted among them. */
  n: number;
  c: number;
  infrastructure: number;
  passAtK: Record<string, number>;
}

export interface GradingSummary {
  /** Problems with at least one graded sample, and their samples. */
  problems: number;
  samples: number;
  ks: number[];
  /** Mean over problems of the unbiased per-problem estimate (the report's pass@k). */
  passAtK: Record<string, number>;
  verdicts: Partial<Record<SampleVerdict, number>>;
  /** Samples left out of pass@k: the sandbox failed on them (graded again on resume). */
  infrastructure: number;
  /** Problems all of whose samples failed for the sandbox: no estimate at all. */
  problemsWithoutGrade: string[];
  perProblem: ProblemSummary[];
}

/**
 * pass@k per problem with the unbiased estimator of Chen et al. (the one `codeloop report`
 * uses, src/metrics), averaged over problems. A k is reported only when every problem has
 * at least k graded samples: averaging estimates over different problem sets would mix them.
 * `order` fixes the problems' order (the source's); lines of other problems come after.
 */
export function summarizeVerdicts(
  lines: Iterable<VerdictLine>,
  order: readonly string[] = [],
): GradingSummary {
  const per = new Map<string, { n: number; c: number; infra: number }>();
  for (const id of order) per.set(id, { n: 0, c: 0, infra: 0 });
  const verdicts: Partial<Record<SampleVerdict, number>> = {};
  let infrastructure = 0;
  const seen = new Set<string>();
  for (const v of lines) {
    seen.add(v.problemId);
    let s = per.get(v.problemId);
    if (!s) {
      s = { n: 0, c: 0, infra: 0 };
      per.set(v.problemId, s);
    }
    if (v.infrastructure) {
      s.infra++;
      infrastructure++;
      continue;
    }
    verdicts[v.verdict] = (verdicts[v.verdict] ?? 0) + 1;
    s.n++;
    if (v.verdict === "accepted") s.c++;
  }
  const entries = [...per].filter(([id]) => seen.has(id));
  const graded = entries.filter(([, s]) => s.n > 0);
  const minN = graded.length > 0 ? Math.min(...graded.map(([, s]) => s.n)) : 0;
  const ks = PASS_KS.filter((k) => k <= minN);
  const perProblem: ProblemSummary[] = entries.map(([problemId, s]) => ({
    problemId,
    n: s.n,
    c: s.c,
    infrastructure: s.infra,
    passAtK: Object.fromEntries(s.n > 0 ? ks.map((k) => [String(k), passAtK(s.n, s.c, k)]) : []),
  }));
  const passAt: Record<string, number> = {};
  for (const k of ks) {
    let sum = 0;
    for (const [, s] of graded) sum += passAtK(s.n, s.c, k);
    passAt[String(k)] = sum / graded.length;
  }
  return {
    problems: graded.length,
    samples: graded.reduce((a, [, s]) => a + s.n, 0),
    ks: [...ks],
    passAtK: passAt,
    verdicts,
    infrastructure,
    problemsWithoutGrade: entries.filter(([, s]) => s.n === 0).map(([id]) => id),
    perProblem,
  };
}
