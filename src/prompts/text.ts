import { type PromptOverrides, render } from "./templates.js";

export interface ClipLimits {
  /** At most this many characters (markers not counted). */
  maxChars: number;
  /** At most this many lines (marker lines not counted). */
  maxLines: number;
}

/**
 * Cuts a long text to its head and tail with a marker saying how much was left out: the start
 * of an output or traceback says where it went wrong, the end says how it finished, and the
 * middle is usually repetition. Lines are cut first, then characters.
 */
export function clipText(text: string, limits: ClipLimits, overrides?: PromptOverrides): string {
  let out = text;
  const lines = out.split("\n");
  if (limits.maxLines > 0 && lines.length > limits.maxLines) {
    const head = Math.ceil(limits.maxLines / 2);
    const tail = limits.maxLines - head;
    const cut = lines.length - head - tail;
    out = [
      ...lines.slice(0, head),
      render("feedback.cut.lines", { count: cut }, overrides),
      ...(tail > 0 ? lines.slice(-tail) : []),
    ].join("\n");
  }
  if (limits.maxChars > 0 && out.length > limits.maxChars) {
    // Measured in code points so a cut never splits a surrogate pair.
    const chars = Array.from(out);
    if (chars.length > limits.maxChars) {
      const head = Math.ceil(limits.maxChars / 2);
      const tail = limits.maxChars - head;
      const cut = chars.length - head - tail;
      out = `${chars.slice(0, head).join("")}\n${render("feedback.cut.chars", { count: cut }, overrides)}\n${tail > 0 ? chars.slice(-tail).join("") : ""}`;
    }
  }
  return out;
}

/** Cuts a one-line value (a variable's repr) to head...tail without line breaks. */
export function clipInline(text: string, maxChars: number): string {
  const chars = Array.from(text);
  if (maxChars <= 0 || chars.length <= maxChars) return text;
  const head = Math.ceil((maxChars - 3) / 2);
  const tail = Math.max(0, maxChars - 3 - head);
  return `${chars.slice(0, head).join("")}...${tail > 0 ? chars.slice(-tail).join("") : ""}`;
}

/** A fenced block whose fence is longer than any backtick run inside, so content cannot close it. */
export function fenced(body: string, tag = ""): string {
  let longest = 0;
  for (const m of body.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${tag}\n${body}\n${fence}`;
}

/** Drops trailing newlines (kept inside the fence they would only add an empty line). */
export function trimEndNewlines(s: string): string {
  return s.replace(/[\r\n]+$/, "");
}
