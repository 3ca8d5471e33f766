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
