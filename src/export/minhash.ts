import { seededRng } from "../metrics/index.js";
import { jaccard } from "./tokens.js";

/**
 * Near-duplicate removal by MinHash with locality-sensitive hashing. Each item's shingle set
 * gets a signature of `perms` minimum hashes; the signature is cut into bands of `rows` rows,
 * and items sharing a band are candidates. The bands are chosen so that the S-curve's midpoint
 * (1/bands)^(1/rows) sits well below the threshold (few missed duplicates), and every candidate
 * is confirmed with the exact Jaccard similarity of the shingle sets, so nothing is called a
 * duplicate on an estimate alone.
 */

/** The murmur3 32-bit finaliser: one seeded hash function per permutation. */
function mix(x: number, seed: number): number {
  let h = (x ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Rows per band for a threshold: the most rows whose S-curve midpoint is at most threshold - 0.15. */
export function bandsFor(threshold: number, perms: number): { bands: number; rows: number } {
  let best = { bands: perms, rows: 1 };
  for (let rows = 1; rows <= perms; rows++) {
    const bands = Math.floor(perms / rows);
    if ((1 / bands) ** (1 / rows) <= threshold - 0.15) best = { bands, rows };
  }
  return best;
}

export interface DuplicateIndexOptions {
  /** Jaccard similarity at or above which two items are duplicates, in (0, 1]. */
  threshold: number;
  seed: number;
  perms?: number;
}

/** Items added one by one; an item near a kept one is reported and not kept. */
export class DuplicateIndex<K> {
  private readonly seeds: Uint32Array;
  private readonly bands: number;
  private readonly rows: number;
  private readonly buckets = new Map<string, number[]>();
  private readonly kept: { key: K; set: ReadonlySet<number> }[] = [];

  constructor(private readonly opts: DuplicateIndexOptions) {
    const perms = opts.perms ?? 128;
    const rng = seededRng(opts.seed);
    this.seeds = Uint32Array.from({ length: perms }, () => Math.floor(rng() * 4294967296));
    ({ bands: this.bands, rows: this.rows } = bandsFor(opts.threshold, perms));
  }

  private signature(set: ReadonlySet<number>): Uint32Array {
    const sig = new Uint32Array(this.seeds.length).fill(0xffffffff);
    for (const x of set) {
      for (let i = 0; i < sig.length; i++) {
        const h = mix(x, this.seeds[i]!);
        if (h < sig[i]!) sig[i] = h;
      }
    }
    return sig;
  }

  /** The kept item this one duplicates (with their similarity), or null after keeping it. */
  add(key: K, set: ReadonlySet<number>): { of: K; similarity: number } | null {
    const sig = this.signature(set);
    const bandKeys: string[] = [];
    const seen = new Set<number>();
    for (let b = 0; b < this.bands; b++) {
      const band = `${b}:${sig.subarray(b * this.rows, (b + 1) * this.rows).join(",")}`;
      bandKeys.push(band);
      for (const i of this.buckets.get(band) ?? []) {
        if (seen.has(i)) continue;
        seen.add(i);
        const similarity = jaccard(set, this.kept[i]!.set);
        if (similarity >= this.opts.threshold) return { of: this.kept[i]!.key, similarity };
      }
    }
    const at = this.kept.length;
    this.kept.push({ key, set });
    for (const band of bandKeys) {
      const list = this.buckets.get(band);
      if (list) list.push(at);
      else this.buckets.set(band, [at]);
    }
    return null;
  }
}
