/**
 * The similarity ratio of Python's difflib.SequenceMatcher(None, a, b).ratio(), written anew:
 * Ratcliff/Obershelp matching (longest common block, then recurse on both sides) with difflib's
 * defaults, including "autojunk" (when b has 200+ items, items occurring more than 1% + 1 times
 * are not used to seed matches, though they can still extend one). Same results matter because
 * the paper's similarity figures come from difflib.
 */

/** Code points of a string as numbers (Python indexes strings by code point, not UTF-16 unit). */
function codePoints(s: string): Int32Array {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return Int32Array.from(out);
}

/** Total size of the matching blocks of a against b. */
export function matchingCharacters(aStr: string, bStr: string): number {
  const a = codePoints(aStr);
  const b = codePoints(bStr);
  const la = a.length;
  const lb = b.length;
  // Positions of each item of b, ascending.
  const b2j = new Map<number, number[]>();
  for (let j = 0; j < lb; j++) {
    const list = b2j.get(b[j]!);
    if (list) list.push(j);
    else b2j.set(b[j]!, [j]);
  }
  if (lb >= 200) {
    const limit = Math.floor(lb / 100) + 1;
    for (const [item, list] of b2j) if (list.length > limit) b2j.delete(item);
  }
  // Longest run ending at (i, j): two rows, reset through the touched lists (sparse, like difflib's dict).
  let prev = new Int32Array(lb + 1);
  let cur = new Int32Array(lb + 1);
  let prevTouched: number[] = [];
  let curTouched: number[] = [];

  const longest = (alo: number, ahi: number, blo: number, bhi: number): [number, number, number] => {
    let bi = alo;
    let bj = blo;
    let size = 0;
    for (let i = alo; i < ahi; i++) {
      const list = b2j.get(a[i]!);
      if (list) {
        for (const j of list) {
          if (j < blo) continue;
          if (j >= bhi) break;
          // Stored shifted by one so index j+1 holds the run ending at j; run for j-1 is prev[j].
          const k = prev[j]! + 1;
          cur[j + 1] = k;
          curTouched.push(j + 1);
          if (k > size) {
            bi = i - k + 1;
            bj = j - k + 1;
            size = k;
          }
        }
      }
      for (const t of prevTouched) prev[t] = 0;
      prevTouched.length = 0;
      [prev, cur] = [cur, prev];
      [prevTouched, curTouched] = [curTouched, prevTouched];
    }
    for (const t of prevTouched) prev[t] = 0;
    prevTouched.length = 0;
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

/** 2M / (|a| + |b|), 1 when both are empty (difflib's convention). */
export function sequenceRatio(a: string, b: string): number {
  const len = [...a].length + [...b].length;
  if (len === 0) return 1;
  return (2 * matchingCharacters(a, b)) / len;
}
