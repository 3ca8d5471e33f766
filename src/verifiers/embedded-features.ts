/**
 * The embedded verifier's featuriser: one code (and optionally its prompt) as a sparse vector of
 * fixed dimension 2^dimBits. Deterministic and written out in full here, so that a model file
 * means the same thing on every machine and could be re-implemented from this description:
 *
 * - Tokens: the fenced block's body is split into identifiers and keywords (verbatim), numbers
 *   (verbatim up to 4 characters, longer ones `<num>`: small constants like 0, 1, -1, 1000 carry
 *   meaning across problems, a problem's own large constants would only be memorised), string
 *   literals (`"s:<text>` up to 8 characters, such as "YES" or " ", longer ones `<str>`),
 *   operators by longest match, and `<nl>` for each run of line breaks (statement structure).
 *   Comments are dropped: they never change what a program does. The language decides the
 *   comment syntax (`#` in Python; `//` and `/* *\/` in C and C++, where `#` starts a directive).
 * - Features: token unigrams and bigrams (with `<s>`/`</s>` at the ends), each counted and given
 *   the sublinear weight log(1 + count); two shape features, log(1 + non-empty lines) / 5 and
 *   log(1 + characters) / 10 (about 1 for a 150-line, 20,000-character program).
 * - Hashing: FNV-1a (32 bit) of the feature name's UTF-8 bytes, finished with MurmurHash3's
 *   fmix32 so that every bit depends on every byte; the low dimBits bits give the index and bit
 *   31 the sign (signed feature hashing, Weinberger et al. 2009: colliding features cancel in
 *   expectation instead of adding up).
 * - The vector is L2-normalised, so short and long programs are on one scale.
 * - Prompt features (off by default): a prompt alone is the same for both codes of a pair and
 *   cancels in a pairwise model, so only what relates the code to its prompt is a feature: the
 *   share of the code's distinct identifiers, and of its distinct numbers, that occur as words of
 *   the prompt.
 */

/** The settings a model file records; a file whose settings differ from these is refused. */
export interface FeatureSettings {
  tokenizer: typeof TOKENIZER;
  hash: typeof HASH;
  dimBits: number;
  /** Prompt-code overlap features. */
  prompt: boolean;
}

export const TOKENIZER = "codeloop-code-tokens/1";
export const HASH = "fnv1a32-fmix32-signed";
export const MIN_DIM_BITS = 8;
export const MAX_DIM_BITS = 24;

export function featureSettings(dimBits = 16, prompt = false): FeatureSettings {
  return { tokenizer: TOKENIZER, hash: HASH, dimBits, prompt };
}

/** A sparse vector: indices strictly increasing, values non-zero. */
export interface Sparse {
  indices: Uint32Array;
  values: Float64Array;
}

/** FNV-1a over the UTF-8 bytes of `s`, then fmix32; an unsigned 32-bit integer. */
export function featureHash(s: string): number {
  let h = 0x811c9dc5;
  const byte = (b: number) => {
    h = Math.imul(h ^ b, 0x01000193);
  };
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) byte(c);
    else if (c < 0x800) {
      byte(0xc0 | (c >> 6));
      byte(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      byte(0xe0 | (c >> 12));
      byte(0x80 | ((c >> 6) & 0x3f));
      byte(0x80 | (c & 0x3f));
    } else {
      byte(0xf0 | (c >> 18));
      byte(0x80 | ((c >> 12) & 0x3f));
      byte(0x80 | ((c >> 6) & 0x3f));
      byte(0x80 | (c & 0x3f));
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The code of an assistant answer: the body of its first fenced block and the fence's language
 * tag, or the whole text when it has no fence (a row written by hand, or a bare code).
 */
export function codeOfAnswer(answer: string): { code: string; language: string } {
  const open = /^(`{3,}|~{3,})[ \t]*([\w+#-]*)[^\n]*\n/m.exec(answer);
  if (!open) return { code: answer, language: "" };
  const fence = open[1]!;
  const start = open.index + open[0].length;
  const rest = answer.slice(start);
  // The closing fence is a line of at least as many fence characters and nothing else.
  const close = new RegExp(`^${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`, "m").exec(rest);
  const code = close ? rest.slice(0, close.index) : rest;
  return { code: code.replace(/\n$/, ""), language: open[2]!.toLowerCase() };
}

const C_LIKE = new Set(["c", "cpp", "c++", "cc", "cxx", "java", "kotlin", "rust", "go", "js", "javascript"]);

// Longest operators first, so that the alternation takes the longest match.
const OPERATORS = [
  ">>>=",
  "<<=",
  ">>=",
  "**=",
  "//=",
  "...",
  "<=>",
  ">>>",
  "->",
  "::",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "<<",
  ">>",
  "**",
  "//",
  ":=",
  "=>",
];
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const OPERATOR_RE = OPERATORS.map(escapeRegExp).join("|");

// One token per match; the groups say which kind matched. Strings allow escapes and, in Python,
// triple quotes; an unterminated string runs to the end of its line.
const STRING_RE = String.raw`"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?`;
const NUMBER_RE = String.raw`0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[a-zA-Z]*`;
const IDENT_RE = String.raw`[\p{L}_][\p{L}\p{N}_]*`;

const PY_TOKEN = new RegExp(
  String.raw`(\r?\n[\s]*)|([ \t\f\v\r]+)|(#[^\n]*)|(${STRING_RE})|(${NUMBER_RE})|(${IDENT_RE})|(${OPERATOR_RE})|([\s\S])`,
  "uy",
);
const C_TOKEN = new RegExp(
  String.raw`(\r?\n[\s]*)|([ \t\f\v\r]+|\\\r?\n)|(//[^\n]*|/\*[\s\S]*?(?:\*/|$))|(${STRING_RE})|(${NUMBER_RE})|(${IDENT_RE})|(${OPERATOR_RE})|([\s\S])`,
  "uy",
);

/** The normalised tokens of a code (see the module comment). */
export function codeTokens(code: string, language: string): string[] {
  const re = C_LIKE.has(language.toLowerCase()) ? C_TOKEN : PY_TOKEN;
  re.lastIndex = 0;
  const out: string[] = [];
  const newline = () => {
    if (out.length > 0 && out[out.length - 1] !== "<nl>") out.push("<nl>");
  };
  for (let m = re.exec(code); m !== null && m[0] !== ""; m = re.exec(code)) {
    if (m[1] !== undefined) newline();
    else if (m[2] !== undefined || m[3] !== undefined) {
      // Whitespace and comments; a comment's own line break is matched next as a newline.
    } else if (m[4] !== undefined) {
      const body = m[4].replace(/^("""|'''|"|')/, "").replace(/("""|'''|"|')$/, "");
      out.push(body.length <= 8 ? `"s:${body}` : "<str>");
    } else if (m[5] !== undefined) out.push(m[5].length <= 4 ? m[5] : "<num>");
    else out.push(m[0]);
  }
  if (out[out.length - 1] === "<nl>") out.pop();
  return out;
}

/** Words of a prompt, for the overlap features: identifiers and numbers as they are written. */
function promptWords(prompt: string): Set<string> {
  return new Set(prompt.match(/[\p{L}_][\p{L}\p{N}_]*|\d+(?:\.\d+)?/gu) ?? []);
}

/** The feature names and values of a code before hashing (exposed for tests and for reading). */
export function namedFeatures(
  code: string,
  language: string,
  prompt: string,
  settings: FeatureSettings,
): Map<string, number> {
  const tokens = codeTokens(code, language);
  const counts = new Map<string, number>();
  const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const t of tokens) add(`u\u001f${t}`);
  const bounded = ["<s>", ...tokens, "</s>"];
  for (let i = 1; i < bounded.length; i++) add(`b\u001f${bounded[i - 1]}\u001f${bounded[i]}`);
  const out = new Map<string, number>();
  for (const [k, c] of counts) out.set(k, Math.log1p(c));
  const lines = code.split("\n").filter((l) => l.trim() !== "").length;
  out.set("s\u001flines", Math.log1p(lines) / 5);
  out.set("s\u001fchars", Math.log1p(code.length) / 10);
  if (settings.prompt) {
    const words = promptWords(prompt);
    const idents = new Set(tokens.filter((t) => /^[\p{L}_]/u.test(t) && t.length >= 2));
    const numbers = new Set(tokens.filter((t) => /^\d/.test(t)));
    const share = (s: Set<string>) => (s.size === 0 ? 0 : [...s].filter((w) => words.has(w)).length / s.size);
    out.set("p\u001fidentifiers-in-prompt", share(idents));
    out.set("p\u001fnumbers-in-prompt", share(numbers));
  }
  return out;
}

/** φ(code, prompt): hashed, signed, L2-normalised (see the module comment). */
export function featurise(code: string, language: string, prompt: string, settings: FeatureSettings): Sparse {
  const mask = (1 << settings.dimBits) - 1;
  const acc = new Map<number, number>();
  for (const [name, value] of namedFeatures(code, language, prompt, settings)) {
    if (value === 0) continue;
    const h = featureHash(name);
    const i = h & mask;
    const signed = h & 0x80000000 ? -value : value;
    acc.set(i, (acc.get(i) ?? 0) + signed);
  }
  const entries = [...acc].filter(([, v]) => v !== 0).sort((a, b) => a[0] - b[0]);
  let norm = 0;
  for (const [, v] of entries) norm += v * v;
  norm = Math.sqrt(norm);
  const indices = new Uint32Array(entries.length);
  const values = new Float64Array(entries.length);
  entries.forEach(([i, v], k) => {
    indices[k] = i;
    values[k] = norm > 0 ? v / norm : 0;
  });
  return { indices, values };
}

/** w·x for a dense weight vector. */
export function dot(w: Float64Array, x: Sparse): number {
  let s = 0;
  for (let k = 0; k < x.indices.length; k++) s += w[x.indices[k]!]! * x.values[k]!;
  return s;
}
