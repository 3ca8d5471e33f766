/**
 * Code tokens for near-duplicate detection. Identifiers other than keywords and common builtins
 * are renamed by order of first appearance (`$0`, `$1`, ...): two programs that differ only in
 * the names they chose become the same token sequence (a "type-2 clone" in clone-detection
 * terms). Whitespace and comments are already gone when the code comes from Python's
 * ast.unparse; for other languages, whitespace is dropped by the tokenizer and comments below.
 */

const KEEP = new Set(
  [
    // Python keywords and soft keywords.
    "False None True and as assert async await break class continue def del elif else except finally for",
    "from global if import in is lambda nonlocal not or pass raise return try while with yield match case",
    // Python builtins a solution's meaning depends on.
    "print input int float str list dict set tuple range len sum min max abs sorted reversed enumerate zip",
    "map filter any all open sys stdin stdout readline read split strip join append extend pop sort bool",
    "round divmod pow ord chr isinstance super object self math heapq collections itertools bisect",
    // C++ keywords and common library names.
    "auto bool char const double long short signed unsigned void struct using namespace std include",
    "template typename vector string map unordered_map pair cin cout endl scanf printf main size push_back",
  ]
    .join(" ")
    .split(" "),
);

const TOKEN = /[A-Za-z_]\w*|\d+(?:\.\d+)?|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\S/g;

/** Drops C/C++ comments (Python code is normalised by the parser, which drops its comments). */
function stripCComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
}

export function codeTokens(code: string, language: string): string[] {
  const text = language === "python" ? code : stripCComments(code);
  const names = new Map<string, string>();
  const out: string[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const t = m[0];
    if (/^[A-Za-z_]/.test(t) && !KEEP.has(t)) {
      let n = names.get(t);
      if (n === undefined) {
        n = `$${names.size}`;
        names.set(t, n);
      }
      out.push(n);
    } else out.push(t);
  }
  return out;
}

/** 32-bit FNV-1a of a string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Hashes of the k-token shingles (a sequence shorter than k is one shingle). */
export function shingles(tokens: readonly string[], k: number): Set<number> {
  const out = new Set<number>();
  if (tokens.length <= k) {
    out.add(fnv1a(tokens.join("\u0001")));
    return out;
  }
  for (let i = 0; i + k <= tokens.length; i++) out.add(fnv1a(tokens.slice(i, i + k).join("\u0001")));
  return out;
}

export function jaccard(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let both = 0;
  for (const x of small) if (large.has(x)) both++;
  return both / (a.size + b.size - both);
}
