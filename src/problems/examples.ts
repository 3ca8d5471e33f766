/**
 * The examples of a Codeforces-style statement as CodeContests writes them: a line "Example" or
 * "Examples", then pairs of an "Input" line and an "Output" line, each followed by its text
 * (blank lines around it are layout, not data), up to a "Note" line or the end.
 */
export interface StatementExample {
  input: string;
  output: string;
}

const EXAMPLES_HEADING = /^\s*(?:Examples?|Sample tests?|Samples?)\s*$/i;
const INPUT = /^\s*(?:Sample\s+)?Input(?:\s*\d+)?\s*:?\s*$/i;
const OUTPUT = /^\s*(?:Sample\s+)?Output(?:\s*\d+)?\s*:?\s*$/i;
const END = /^\s*(?:Notes?|Explanations?|Hints?|Interaction|Scoring)\s*:?\s*$/i;

function block(lines: string[]): string {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === "") start++;
  while (end > start && lines[end - 1]!.trim() === "") end--;
  const body = lines
    .slice(start, end)
    .map((l) => l.trimEnd())
    .join("\n");
  return body === "" ? "" : `${body}\n`;
}

/**
 * The statement's examples in order, or undefined when it has no examples section of that shape
 * (no heading, an Input without its Output, an empty input): a half-parsed example would be a
 * wrong public test, so all or nothing.
 */
export function parseStatementExamples(statement: string): StatementExample[] | undefined {
  const lines = statement.replace(/\r\n?/g, "\n").split("\n");
  // The last heading followed by an Input line: "Examples" may also appear in prose above.
  let at = -1;
  for (let i = lines.length - 1; i >= 0 && at < 0; i--) {
    if (!EXAMPLES_HEADING.test(lines[i]!)) continue;
    const next = lines.slice(i + 1).find((l) => l.trim() !== "");
    if (next !== undefined && INPUT.test(next)) at = i;
  }
  if (at < 0) return undefined;
  const out: StatementExample[] = [];
  let section: "input" | "output" | undefined;
  let buf: string[] = [];
  let input: string | undefined;
  const flush = (): boolean => {
    if (section === "input") input = block(buf);
    else if (section === "output") {
      if (input === undefined || input === "") return false;
      out.push({ input, output: block(buf) });
      input = undefined;
    }
    buf = [];
    return true;
  };
  for (const line of lines.slice(at + 1)) {
    if (INPUT.test(line) || OUTPUT.test(line)) {
      const next = INPUT.test(line) ? "input" : "output";
      // Input must follow an output (or the heading), output an input.
      if ((next === "input") === (section === "input")) return undefined;
      if (!flush()) return undefined;
      section = next;
      continue;
    }
    // Only after an output: an input may hold the word ("Note" is a dictionary word in 633_C).
    if (section === "output" && END.test(line)) break;
    if (section === undefined) {
      if (line.trim() !== "") return undefined;
      continue;
    }
    buf.push(line);
  }
  if (section !== "output" || !flush()) return undefined;
  return out.length > 0 ? out : undefined;
}
