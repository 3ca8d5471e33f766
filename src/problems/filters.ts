import { createHash } from "node:crypto";
import type { Problem, ProblemFilters } from "./types.js";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

export class FilterError extends Error {}

/** Checks filter values once, before any file is read. */
export function checkFilters(f: ProblemFilters): void {
  for (const [name, v] of [
    ["contestDateFrom", f.contestDateFrom],
    ["contestDateTo", f.contestDateTo],
  ] as const) {
    if (v !== undefined && !ISO_DATE.test(v))
      throw new FilterError(`${name}: expected an ISO date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  }
  for (const [name, v] of [
    ["limit", f.limit],
    ["sample", f.sample],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0))
      throw new FilterError(`${name}: expected a non-negative integer, got ${v}`);
  }
  if (f.seed !== undefined && !Number.isInteger(f.seed))
    throw new FilterError(`seed: expected an integer, got ${f.seed}`);
}

/** Every condition except sample and limit, which act on the whole set. */
export function matchesFilters(p: Problem, f: ProblemFilters): boolean {
  if (f.split !== undefined && p.split !== f.split) return false;
  if (f.ids !== undefined && !f.ids.includes(p.id)) return false;
  if (f.difficulty !== undefined && f.difficulty.length > 0) {
    const wanted = f.difficulty.map((d) => d.toLowerCase());
    const have = [p.metadata.difficulty, p.metadata.difficultyRaw?.toLowerCase()];
    if (!wanted.some((w) => have.includes(w))) return false;
  }
  if (f.contestDateFrom !== undefined || f.contestDateTo !== undefined) {
    const d = p.metadata.contestDate?.slice(0, 10);
    if (d === undefined || !ISO_DATE.test(d)) return false;
    if (f.contestDateFrom !== undefined && d < f.contestDateFrom.slice(0, 10)) return false;
    if (f.contestDateTo !== undefined && d > f.contestDateTo.slice(0, 10)) return false;
  }
  if (f.tags !== undefined && f.tags.length > 0) {
    const have = new Set(p.metadata.tags.map((t) => t.toLowerCase()));
    if (!f.tags.every((t) => have.has(t.toLowerCase()))) return false;
  }
  return true;
}

/**
 * A seeded random subset that keeps the input order. Each problem's rank is a hash of seed and
 * id, so a problem's membership does not depend on which other problems were loaded first.
 */
export function sampleProblems<T extends { id: string }>(problems: T[], n: number, seed = 0): T[] {
  if (n >= problems.length) return problems;
  const rank = (id: string) => createHash("sha256").update(`${seed}\0${id}`).digest("hex");
  const chosen = new Set(
    problems
      .map((p, i) => ({ i, r: rank(p.id) }))
      .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : a.i - b.i))
      .slice(0, n)
      .map((x) => x.i),
  );
  return problems.filter((_, i) => chosen.has(i));
}
