import { createHash } from "node:crypto";
import { type Rng, seededRng } from "../metrics/index.js";

/**
 * Seeded choices. Each problem gets its own generator, derived from the export seed and the
 * problem id, so what is chosen for one problem does not depend on which problems came before
 * (adding a run or a problem leaves the other problems' choices unchanged).
 */
export function rngFor(seed: number, ...parts: (string | number)[]): Rng {
  const d = createHash("sha256")
    .update(JSON.stringify(["codeloop/export/v1", seed, ...parts]))
    .digest();
  return seededRng(d.readUInt32BE(0));
}

/** Fisher-Yates on a copy. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * k distinct integers of [0, n) (Floyd's algorithm: k draws, a set of size k, whatever n is),
 * returned in increasing order so the output order does not depend on the draw order.
 */
export function distinctIndices(n: number, k: number, rng: Rng): number[] {
  const take = Math.min(n, Math.max(0, k));
  const chosen = new Set<number>();
  for (let j = n - take; j < n; j++) {
    const t = Math.floor(rng() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}
