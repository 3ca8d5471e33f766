import type { Language } from "../core/verdict.js";

import type { ExtractionHow } from "../core/extraction.js";

export type { ExtractionHow };

export type Extraction = { code: string; how: ExtractionHow } | { code: null; how: "none" };

export interface ExtractOptions {
  /** The function the problem asks for: a block defining it beats later blocks that do not. */
  entryPoint?: string;
}

const LANGUAGE_TAGS: Readonly<Record<Language, readonly string[]>> = {
  python: ["python", "py", "python3", "py3"],
  cpp: ["cpp", "c++", "cc", "cxx", "hpp"],
};

/** Tags that say a block holds data or a session, not the solution. */
const NON_CODE_TAGS = new Set([
  "text",
  "txt",
  "plaintext",
  "plain",
  "output",
  "input",
  "stdin",
  "stdout",
  "console",
  "terminal",
  "shell",
  "sh",
  "bash",
  "zsh",
  "pycon",
  "json",
  "yaml",
  "yml",
  "csv",
  "markdown",
  "md",
  "diff",
  "log",
  "math",
  "latex",
  "tex",
  "mermaid",
]);

interface Block {
  tag: string;
  code: string;
  closed: boolean;
}

/**
 * Removes reasoning sections. Everything up to the last `</think>` is thinking (some chat
 * templates put the opening tag in the prompt, so it may be missing from the answer). An
 * opening tag that is never closed means the answer was cut off while thinking: only the tag
 * is removed, so a draft inside is still found rather than nothing.
 */
export function stripThinking(answer: string): string {
  const close = /<\/think(?:ing)?>/gi;
  let end = -1;
  for (const m of answer.matchAll(close)) end = m.index + m[0].length;
  const rest = end >= 0 ? answer.slice(end) : answer;
  return rest.replace(/<think(?:ing)?>/gi, "");
}

const OPEN = /^([ \t]*)(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;

/** Splits an answer into fenced blocks (CommonMark-like: the closing fence is at least as long). */
export function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split(/\r?\n/);
  let cur: (Block & { fence: string; indent: number; lines: string[] }) | undefined;
  for (const line of lines) {
    if (!cur) {
      const m = OPEN.exec(line);
      if (m) {
        cur = {
          tag: m[3]!.toLowerCase().replace(/^\{\.?|\}$/g, ""),
          code: "",
          closed: false,
          fence: m[2]!,
          indent: m[1]!.length,
          lines: [],
        };
      }
      continue;
    }
    const fenceChar = cur.fence[0]!;
    const trimmed = line.trim();
    const isClose =
      trimmed.length >= cur.fence.length && [...trimmed].every((c) => c === fenceChar) && trimmed.length > 0;
    // Some models glue the closing fence to the last code line: `print(x)```.
    const glued =
      !isClose && fenceChar === "`" && trimmed.endsWith(cur.fence) && !trimmed.endsWith(`${cur.fence}\``);
    if (isClose || glued) {
      if (glued) cur.lines.push(line.slice(0, line.lastIndexOf(cur.fence)));
      cur.closed = true;
    } else {
      cur.lines.push(line);
    }
    if (cur.closed) {
      blocks.push(finish(cur));
      cur = undefined;
    }
  }
  if (cur) blocks.push(finish(cur));
  return blocks;
}

function finish(b: Block & { indent: number; lines: string[] }): Block {
  // A fence indented inside a list item indents its content too; take that indentation off.
  const pad = b.indent;
  const lines = pad === 0 ? b.lines : b.lines.map((l) => (l.slice(0, pad).trim() === "" ? l.slice(pad) : l));
  return { tag: b.tag, code: lines.join("\n").replace(/\s+$/, ""), closed: b.closed };
}

/** Compound statement headers; the body may follow on the same line (`if x: y += 1`). */
const PY_BLOCK_START =
  /^(?:(?:async\s+)?def\s+\w+\s*\(.*:|class\s+\w+.*:|(?:if|elif|while)\b.+:|for\s+.+\s+in\s+.+:|(?:async\s+)?with\s+.+:|except\b.*:|(?:else|try|finally)\s*:)/;
const PY_STATEMENT =
  /^(?:import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*\s*$|from\s+[\w.]+\s+import\s+\S|@[\w.]+|return\b|raise\b|pass\s*$|break\s*$|continue\s*$|global\s+\w|nonlocal\s+\w|assert\s|print\s*\()/;
/** Assignment, with subscripted, starred, tuple and list targets: `dp[0][1] += x`, `(a, b) = f()`. */
const PY_ASSIGN =
  /^[([]?\*?[A-Za-z_][\w.]*(?:\[[^=\]]*\])*(?:\s*,\s*\*?[A-Za-z_][\w.]*(?:\[[^=\]]*\])*)*\s*,?\s*[)\]]?\s*(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)?=(?!=)\s*\S/;
/** A list comprehension used as a statement: `[print(x) for x in a]`. */
const PY_COMPREHENSION = /^\[.*\bfor\b.*\bin\b.*\]\s*(?:#.*)?$/;
/** A line opening a string literal, e.g. a module docstring. */
const PY_STRING_START = /^[rRbBuUfF]{0,2}(?:"""|''')/;
const PY_CALL = /^[A-Za-z_][\w.]*\s*\(.*\)\s*;?\s*(?:#.*)?$/;

const CPP_LINE =
  /^(?:#\s*(?:include|define|pragma|if|ifdef|ifndef|endif|else)\b|using\s+namespace\b|template\s*<|typedef\b|(?:struct|class)\s+\w+|\/\/|\/\*|\*\/|.*[;{}]\s*(?:\/\/.*)?$)/;

type LineKind = "code" | "blank" | "prose";

function classify(line: string, language: Language, inCode: boolean): LineKind {
  const t = line.trim();
  if (t === "") return "blank";
  const indented = /^[ \t]/.test(line);
  if (language === "python") {
    if (indented && inCode) return "code";
    if (t.startsWith("#")) return inCode || /^#!|^#\s*-\*-/.test(t) ? "code" : "prose";
    if (PY_BLOCK_START.test(t) || PY_STATEMENT.test(t) || PY_ASSIGN.test(t) || PY_CALL.test(t)) return "code";
    if (PY_STRING_START.test(t) || PY_COMPREHENSION.test(t)) return "code";
    if (inCode && /^[)\]}]/.test(t)) return "code";
    return "prose";
  }
  if (CPP_LINE.test(t)) return "code";
  if (indented && inCode) return "code";
  return "prose";
}

/**
 * The largest stretch of lines that read as code in `language`, or null. Used for answers
 * without fences: prose before and after the program is dropped.
 */
export function codeRegion(text: string, language: Language): string | null {
  const lines = text.split(/\r?\n/);
  let best: { start: number; end: number; code: number } | undefined;
  let start = -1;
  let last = -1;
  let codeLines = 0;
  const close = () => {
    if (start >= 0 && (!best || codeLines >= best.code)) best = { start, end: last, code: codeLines };
    start = -1;
    codeLines = 0;
  };
  // Inside a triple-quoted string every line belongs to the code, whatever it says.
  let openString: string | undefined;
  lines.forEach((line, i) => {
    let kind = classify(line, language, start >= 0);
    if (language === "python") {
      if (openString !== undefined) kind = "code";
      if (kind === "code") openString = tripleQuoteState(line, openString);
    }
    if (kind === "code") {
      if (start < 0) start = i;
      last = i;
      codeLines++;
    } else if (kind === "prose") {
      close();
    }
  });
  close();
  if (!best) return null;
  const region = lines.slice(best.start, best.end + 1).join("\n");
  return looksLikeProgram(region, language, best.code) ? region : null;
}

/** The triple-quote delimiter still open after `line`, given the one open before it. */
function tripleQuoteState(line: string, open: string | undefined): string | undefined {
  let state = open;
  for (const m of line.matchAll(/"""|'''/g)) {
    if (state === undefined) state = m[0];
    else if (state === m[0]) state = undefined;
  }
  return state;
}

/** Enough evidence that a stretch is a program and not a stray formula or sentence. */
function looksLikeProgram(code: string, language: Language, codeLines: number): boolean {
  if (language === "python") {
    if (/^\s*(?:async\s+def|def|class)\s+\w+/m.test(code)) return true;
    if (/^\s*(?:import\s+\w|from\s+[\w.]+\s+import\s)/m.test(code)) return true;
    return codeLines >= 2 && /\b(?:print|input)\s*\(|sys\.std(?:in|out)/.test(code);
  }
  return /\bmain\s*\(/.test(code) || (/#\s*include\b/.test(code) && codeLines >= 2);
}

function looksLikeCode(code: string, language: Language): boolean {
  const region = codeRegion(code, language);
  // Most of the block must be code: sample input such as "3\n1 2 3" must not pass.
  return region !== null && region.trim().length >= 0.6 * code.trim().length;
}

const testName = (name: string) => /^(?:test|check)/i.test(name);

/** Names the block defines at top level (Python) that are not tests. */
function definesSolution(code: string, language: Language): boolean {
  if (language === "cpp") return /\bmain\s*\(/.test(code);
  const names = [...code.matchAll(/^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)/gm)].map((m) => m[1]!);
  if (names.some((n) => !testName(n))) return true;
  // A plain script that reads its input is a program too.
  return names.length === 0 && /\binput\s*\(|\bstdin\b|open\(\s*0/.test(code);
}

function definesEntryPoint(code: string, entryPoint: string): boolean {
  const parts = entryPoint.split(".");
  const fn = parts[parts.length - 1]!;
  const cls = parts.length > 1 ? parts[0] : undefined;
  const fnRe = new RegExp(`^\\s*(?:async\\s+)?def\\s+${fn}\\s*\\(`, "m");
  if (!fnRe.test(code)) return false;
  return cls === undefined || new RegExp(`^class\\s+${cls}\\b`, "m").test(code);
}

/**
 * The solution among candidate blocks: the last one defining the entry point, else the last one
 * that defines something other than tests (or reads input), else the last block. A block of
 * asserts, example calls or `def test_...` after the solution is therefore not taken for it.
 */
function pickSolution(all: Block[], language: Language, entryPoint?: string): Block {
  // A block of nothing but comments ("# prints 16") never beats one with code.
  const comment = language === "python" ? /^\s*(?:#.*)?$/ : /^\s*(?:\/\/.*)?$/;
  const withCode = all.filter((b) => !b.code.split("\n").every((l) => comment.test(l)));
  const blocks = withCode.length > 0 ? withCode : all;
  if (entryPoint && language === "python") {
    const withEntry = blocks.filter((b) => definesEntryPoint(b.code, entryPoint));
    if (withEntry.length > 0) return withEntry[withEntry.length - 1]!;
  }
  const solutions = blocks.filter((b) => definesSolution(b.code, language));
  const pool = solutions.length > 0 ? solutions : blocks;
  return pool[pool.length - 1]!;
}

/**
 * Extracts the program from a model's answer. Order of preference: complete blocks tagged
 * with the problem's language; complete untagged or otherwise-tagged blocks that look like
 * code; an unclosed final block; code-looking lines of an answer without usable fences.
 * Thinking sections are ignored (see `stripThinking`).
 */
export function extractCode(answer: string, language: Language, options: ExtractOptions = {}): Extraction {
  const text = stripThinking(answer);
  const blocks = fencedBlocks(text);
  const tags = LANGUAGE_TAGS[language];
  const complete = blocks.filter((b) => b.closed && b.code.trim() !== "");

  const inLanguage = complete.filter((b) => tags.includes(b.tag));
  if (inLanguage.length > 0) {
    return { code: pickSolution(inLanguage, language, options.entryPoint).code, how: "fenced-language" };
  }
  const others = complete.filter((b) => !NON_CODE_TAGS.has(b.tag) && looksLikeCode(b.code, language));
  if (others.length > 0) {
    const chosen = pickSolution(others, language, options.entryPoint);
    return { code: chosen.code, how: chosen.tag === "" ? "last-block" : "fenced-other" };
  }
  const final = blocks[blocks.length - 1];
  if (
    final &&
    !final.closed &&
    final.code.trim() !== "" &&
    (tags.includes(final.tag) || (!NON_CODE_TAGS.has(final.tag) && looksLikeCode(final.code, language)))
  ) {
    return { code: final.code, how: "unclosed-fence" };
  }
  // Fenced blocks that were rejected (sample data, shell sessions) are not searched again.
  const outside = blocks.length === 0 ? text : withoutFences(text);
  const region = codeRegion(outside, language);
  if (region !== null) return { code: region.replace(/\s+$/, ""), how: "no-fence" };
  return { code: null, how: "none" };
}

/** Stands in for removed block lines: reads as prose, so code on either side is not joined. */
const REMOVED = "\u0000";

function withoutFences(text: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (fence === undefined) {
      const m = OPEN.exec(line);
      if (m) {
        fence = m[2]!;
        out.push(REMOVED);
        continue;
      }
      out.push(line);
    } else {
      const t = line.trim();
      if (t.length >= fence.length && [...t].every((c) => c === fence![0])) fence = undefined;
      out.push(REMOVED);
    }
  }
  return out.join("\n");
}
