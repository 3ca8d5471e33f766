/**
 * The similarity ratio of Python's difflib.SequenceMatcher(None, a, b).ratio(), written anew:
 * Ratcliff/Obershelp matching (longest common block, then recurse on both sides) with difflib's
 * defaults, including "autojunk" (when b has 200+ items, items occurring more than 1% + 1 times
 * are not used to seed matches, though they can still extend one). Same results matter because
 * the paper's similarity figures come from difflib.
 */

/** Ratio and matching size with private scratch state; self-contained, so worker threads can
 * rebuild it from its source text (see `similarity.ts`). */
export function createMatcher(): {
  matchingCharacters: (a: string, b: string) => number;
  sequenceRatio: (a: string, b: string) => number;
} {
  /** Code points of a string as numbers (Python indexes strings by code point, not UTF-16 unit). */
  function codePoints(s: string): Int32Array {
    const out = new Int32Array(s.length);
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.codePointAt(i)!;
      out[n++] = c;
      if (c > 0xffff) i++;
    }
    return out.subarray(0, n);
  }

  const bmpStamp = new Uint32Array(0x10000);
  const bmpId = new Int32Array(0x10000);
  let generation = 0;
  let rowA = new Int32Array(1024);
  let rowB = new Int32Array(1024);
  let touchA = new Int32Array(1024);
  let touchB = new Int32Array(1024);

  // Scratch arrays, grown as needed: positions of b's items grouped by item (CSR layout).
  let idsB = new Int32Array(1024);
  let from = new Int32Array(1024);
  let to = new Int32Array(1024);
  let pos = new Int32Array(1024);
  let aFrom = new Int32Array(1024);
  let aTo = new Int32Array(1024);

  /** Total size of the matching blocks of a against b (code points). */
  function matching(a: Int32Array, b: Int32Array): number {
    const la = a.length;
    const lb = b.length;
    if (idsB.length < lb + 1) {
      idsB = new Int32Array(2 * (lb + 1));
      from = new Int32Array(2 * (lb + 1));
      to = new Int32Array(2 * (lb + 1));
      pos = new Int32Array(2 * (lb + 1));
    }
    if (aFrom.length < la + 1) {
      aFrom = new Int32Array(2 * (la + 1));
      aTo = new Int32Array(2 * (la + 1));
    }
    // A dense id per distinct item of b. Ids of BMP characters live in a shared table stamped
    // per call (no Map in the hot path); others in a Map.
    const stamp = ++generation;
    const astral = new Map<number, number>();
    const idOf = (c: number): number => {
      if (c <= 0xffff) return bmpStamp[c] === stamp ? bmpId[c]! : -1;
      return astral.get(c) ?? -1;
    };
    let ids = 0;
    for (let j = 0; j < lb; j++) {
      const c = b[j]!;
      let id = idOf(c);
      if (id < 0) {
        id = ids++;
        if (c <= 0xffff) {
          bmpStamp[c] = stamp;
          bmpId[c] = id;
        } else astral.set(c, id);
        to[id] = 0;
      }
      idsB[j] = id;
      to[id]!++;
    }
    // Positions of each item, ascending: pos[from[id] .. to[id]).
    let acc = 0;
    for (let id = 0; id < ids; id++) {
      from[id] = acc;
      acc += to[id]!;
      to[id] = from[id]!;
    }
    for (let j = 0; j < lb; j++) pos[to[idsB[j]!]!++] = j;
    if (lb >= 200) {
      // difflib's autojunk: items occurring more than 1% + 1 times do not seed matches.
      const limit = Math.floor(lb / 100) + 1;
      for (let id = 0; id < ids; id++) if (to[id]! - from[id]! > limit) to[id] = from[id]!;
    }
    // For each item of a, its range of positions in b (empty when it cannot seed a match).
    for (let i = 0; i < la; i++) {
      const id = idOf(a[i]!);
      aFrom[i] = id < 0 ? 0 : from[id]!;
      aTo[i] = id < 0 ? 0 : to[id]!;
    }
    if (rowA.length < lb + 1) {
      rowA = new Int32Array(2 * (lb + 1));
      rowB = new Int32Array(2 * (lb + 1));
      // A row touches each position of b at most once.
      touchA = new Int32Array(2 * (lb + 1));
      touchB = new Int32Array(2 * (lb + 1));
    }
    // Longest run ending at (i, j): two rows, reset through the touched lists (sparse, like difflib's dict).
    // Shared rows: every entry written is reset to 0 before the call returns.
    let prev = rowA;
    let cur = rowB;
    // Touched positions as typed stacks with counts (truncating JS arrays is slow in V8).
    let prevTouched = touchA;
    let curTouched = touchB;
    let prevCount = 0;
    let curCount = 0;

    const longest = (alo: number, ahi: number, blo: number, bhi: number): [number, number, number] => {
      let bi = alo;
      let bj = blo;
      let size = 0;
      for (let i = alo; i < ahi; i++) {
        const end = aTo[i]!;
        for (let x = aFrom[i]!; x < end; x++) {
          const j = pos[x]!;
          if (j < blo) continue;
          if (j >= bhi) break;
          // Stored shifted by one so index j+1 holds the run ending at j; run for j-1 is prev[j].
          const k = prev[j]! + 1;
          cur[j + 1] = k;
          curTouched[curCount++] = j + 1;
          if (k > size) {
            bi = i - k + 1;
            bj = j - k + 1;
            size = k;
          }
        }
        for (let x = 0; x < prevCount; x++) prev[prevTouched[x]!] = 0;
        const row = prev;
        prev = cur;
        cur = row;
        const touched = prevTouched;
        prevTouched = curTouched;
        curTouched = touched;
        prevCount = curCount;
        curCount = 0;
      }
      for (let x = 0; x < prevCount; x++) prev[prevTouched[x]!] = 0;
      prevCount = 0;
      // difflib then grows the block with equal items on both sides (popular items included).
      while (bi > alo && bj > blo && a[bi - 1] === b[bj - 1]) {
        bi--;
        bj--;
        size++;
      }
      while (bi + size < ahi && bj + size < bhi && a[bi + size] === b[bj + size]) size++;
      return [bi, bj, size];
    };

    let total = 0;
    const queue: [number, number, number, number][] = [[0, la, 0, lb]];
    while (queue.length > 0) {
      const [alo, ahi, blo, bhi] = queue.pop()!;
      const [i, j, k] = longest(alo, ahi, blo, bhi);
      if (k === 0) continue;
      total += k;
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
    return total;
  }

  /** Total size of the matching blocks of a against b. */
  function matchingCharacters(a: string, b: string): number {
    return matching(codePoints(a), codePoints(b));
  }

  /** 2M / (|a| + |b|), 1 when both are empty (difflib's convention). */
  function sequenceRatio(a: string, b: string): number {
    const ca = codePoints(a);
    const cb = codePoints(b);
    const len = ca.length + cb.length;
    if (len === 0) return 1;
    return (2 * matching(ca, cb)) / len;
  }
  return { matchingCharacters, sequenceRatio };
}

const shared = createMatcher();

/** Total size of the matching blocks of a against b. */
export const matchingCharacters = shared.matchingCharacters;

/** 2M / (|a| + |b|), 1 when both are empty (difflib's convention). */
export const sequenceRatio = shared.sequenceRatio;
