/** Small helpers for reading Python source text without running it. */

/** Index just past the bracket that closes the one at `open`, skipping strings; -1 if none. */
export function matchingBracket(s: string, open: number): number {
  const pairs: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
  const stack: string[] = [];
  let i = open;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "'" || c === '"') {
      const triple = s.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      i += q.length;
      while (i < s.length && !s.startsWith(q, i)) i += s[i] === "\\" ? 2 : 1;
      i += q.length;
      continue;
    }
    if (pairs[c]) stack.push(pairs[c]!);
    else if (c === ")" || c === "]" || c === "}") {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/**
 * Splits a block of Python test code into top-level statements: a line starting at column 0
 * begins a statement, indented or bracket-continued lines belong to the previous one.
 */
export function splitStatements(code: string): string[] {
  const out: string[] = [];
  let depth = 0;
  for (const line of code.split("\n")) {
    if (line.trim() === "") continue;
    if (depth === 0 && !/^\s/.test(line)) out.push(line);
    else if (out.length > 0) out[out.length - 1] += `\n${line}`;
    else out.push(line);
    depth = Math.max(0, depth + bracketDelta(line));
  }
  return out;
}

function bracketDelta(line: string): number {
  let d = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#") break;
    else if (c === "(" || c === "[" || c === "{") d++;
    else if (c === ")" || c === "]" || c === "}") d--;
  }
  return d;
}

/** One logical line of Python source: a statement on one or more physical lines. */
export interface LogicalLine {
  /**
   * The text as written, without the first line's indentation; continuation lines lose as much
   * of that indentation as they share with it, unless they begin inside a string literal.
   */
  text: string;
  /** Leading whitespace of the first physical line, exactly as written. */
  indent: string;
  /** 1-based number of the first physical line. */
  line: number;
}

export class PySourceError extends Error {}

/**
 * Splits Python source into logical lines as Python's tokenizer does: a line continues while a
 * bracket is open, after a backslash, and inside a triple-quoted string; blank and comment-only
 * lines are skipped. Nothing is evaluated.
 */
export function logicalLines(source: string): LogicalLine[] {
  const s = source.replace(/\r\n?/g, "\n");
  const out: LogicalLine[] = [];
  let i = 0;
  let line = 1;
  while (i < s.length) {
    const indent = /^[ \t\f]*/.exec(s.slice(i, i + 4096))![0];
    const start = i + indent.length;
    const firstLine = line;
    if (s[start] === "\n" || s[start] === "#" || start >= s.length) {
      const nl = s.indexOf("\n", start);
      i = nl < 0 ? s.length : nl + 1;
      line++;
      continue;
    }
    // Offsets of newlines that fall inside string literals (their next line is string content).
    const inString = new Set<number>();
    let depth = 0;
    let j = start;
    while (j < s.length) {
      const c = s[j]!;
      if (c === "'" || c === '"') {
        const q = s.startsWith(c.repeat(3), j) ? c.repeat(3) : c;
        j += q.length;
        for (;;) {
          if (j >= s.length) throw new PySourceError(`unterminated string starting on line ${line}`);
          if (s.startsWith(q, j)) {
            j += q.length;
            break;
          }
          if (s[j] === "\n") {
            if (q.length === 1) throw new PySourceError(`unterminated string on line ${line}`);
            inString.add(j);
            line++;
          } else if (s[j] === "\\") {
            j++;
            if (s[j] === "\n") {
              inString.add(j);
              line++;
            }
          }
          j++;
        }
        continue;
      }
      if (c === "#") {
        while (j < s.length && s[j] !== "\n") j++;
        continue;
      }
      if (c === "\\" && s[j + 1] === "\n") {
        j += 2;
        line++;
        continue;
      }
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") depth = Math.max(0, depth - 1);
      else if (c === "\n") {
        line++;
        if (depth === 0) break;
      }
      j++;
    }
    const end = j;
    let text = "";
    let from = start;
    for (let k = start; k <= end; k++) {
      if (k === end || s[k] === "\n") {
        text += s.slice(from, k);
        if (k === end) break;
        text += "\n";
        from = k + 1;
        if (!inString.has(k)) {
          // Drop the part of this line's indentation it shares with the first line's.
          let n = 0;
          while (n < indent.length && s[from + n] === indent[n]) n++;
          from += n;
        }
      }
    }
    out.push({ text: text.replace(/[ \t\f]+$/, ""), indent, line: firstLine });
    i = end + 1;
  }
  return out;
}
