import { streamProblems } from "../problems/index.js";
import { type RunConfig, problemFilters } from "../runs/index.js";
import { ExportError } from "./errors.js";
import { fnv1a } from "./tokens.js";

/**
 * Decontamination: a training problem overlaps an evaluation set when it has the same id, the
 * same title (case, spaces and punctuation ignored), or when more than `threshold` of its
 * statement's distinct word n-grams occur in one evaluation statement. Every match is
 * reported with its reason, because CodeContests holds distinct problems with identical
 * statements (the same task on two contest divisions): a match is a reason to look, and the
 * sidecar lists them all.
 */

export interface DecontaminateOptions {
  sources: string[];
  /** Words per n-gram (default 10). */
  n: number;
  /** Fraction of the training statement's n-grams found in one evaluation statement (default 0.5). */
  threshold: number;
}

export interface ContaminationMatch {
  problemId: string;
  source: string;
  evalId: string;
  reason: "id" | "title" | "statement";
  /** Share of the training statement's n-grams in the evaluation statement. */
  overlap: number;
}

interface EvalProblem {
  source: string;
  id: string;
  grams: number;
}

const words = (s: string) => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];
const titleKey = (s: string | null | undefined) => (s ? words(s).join(" ") : "");

/** Distinct n-gram hashes of a text (52 bits from two 32-bit hashes, so collisions stay rare). */
function grams(text: string, n: number): Set<number> {
  const w = words(text);
  const out = new Set<number>();
  const add = (g: string) => out.add((fnv1a(g) & 0x1fffff) * 2 ** 32 + fnv1a(`~${g}`));
  if (w.length === 0) return out;
  if (w.length < n) add(w.join(" "));
  for (let i = 0; i + n <= w.length; i++) add(w.slice(i, i + n).join(" "));
  return out;
}

export class EvalIndex {
  private readonly ids = new Map<string, number[]>();
  private readonly titles = new Map<string, number[]>();
  private readonly index = new Map<number, number[]>();
  private readonly problems: EvalProblem[] = [];

  private constructor(private readonly opts: DecontaminateOptions) {}

  static async build(opts: DecontaminateOptions): Promise<EvalIndex> {
    const ix = new EvalIndex(opts);
    const push = (m: Map<string | number, number[]>, k: string | number, i: number) => {
      const l = m.get(k);
      if (l) l.push(i);
      else m.set(k, [i]);
    };
    for (const source of opts.sources) {
      try {
        for await (const p of streamProblems(source)) {
          const i = ix.problems.length;
          const g = grams(p.statement, opts.n);
          ix.problems.push({ source, id: p.id, grams: g.size });
          push(ix.ids as Map<string | number, number[]>, p.id, i);
          const t = titleKey(p.title);
          if (t) push(ix.titles as Map<string | number, number[]>, t, i);
          for (const h of g) push(ix.index as Map<string | number, number[]>, h, i);
        }
      } catch (err) {
        if (err instanceof ExportError) throw err;
        throw new ExportError(`--decontaminate ${source}: ${(err as Error).message}`);
      }
    }
    return ix;
  }

  get size(): number {
    return this.problems.length;
  }

  /** Matches of one training problem; the statement is optional (id and title still count). */
  matches(problemId: string, title: string | null, statement: string | null): ContaminationMatch[] {
    const out: ContaminationMatch[] = [];
    const found = new Set<number>();
    const add = (i: number, reason: ContaminationMatch["reason"], overlap: number) => {
      if (found.has(i)) return;
      found.add(i);
      const p = this.problems[i]!;
      out.push({ problemId, source: p.source, evalId: p.id, reason, overlap });
    };
    for (const i of this.ids.get(problemId) ?? []) add(i, "id", 1);
    const t = titleKey(title);
    if (t) for (const i of this.titles.get(t) ?? []) add(i, "title", 1);
    if (statement !== null) {
      const g = grams(statement, this.opts.n);
      const shared = new Map<number, number>();
      for (const h of g) for (const i of this.index.get(h) ?? []) shared.set(i, (shared.get(i) ?? 0) + 1);
      for (const [i, k] of [...shared].sort((a, b) => a[0] - b[0])) {
        const overlap = k / g.size;
        if (overlap > this.opts.threshold) add(i, "statement", Math.round(overlap * 1000) / 1000);
      }
    }
    return out;
  }
}

/**
 * Statements of a run's problems, read again from its benchmark source (the store keeps ids
 * and titles only). `wanted` are the run's problem ids; the callback gets each one found.
 */
export async function forRunStatements(
  folder: string,
  config: RunConfig,
  wanted: ReadonlySet<string>,
  each: (id: string, statement: string) => void,
): Promise<void> {
  const { sample: _s, seed: _seed, limit: _l, ...filters } = problemFilters(config);
  try {
    for await (const p of streamProblems(config.benchmark.source, filters, {
      ...(config.benchmark.format ? { format: config.benchmark.format } : {}),
      ...(config.benchmark.release ? { release: config.benchmark.release } : {}),
    })) {
      if (wanted.has(p.id)) each(p.id, p.statement);
    }
  } catch (err) {
    throw new ExportError(
      `${folder}: cannot read the run's benchmark ${config.benchmark.source} for its statements (--decontaminate needs them): ${(err as Error).message}`,
    );
  }
}
