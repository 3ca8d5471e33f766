import type { VerifierInput } from "./types.js";

/**
 * The code as an assistant answer holding only a fenced block, the form verifier-pairs exports
 * (src/export) and the form scorers are shown, so that a verifier trained on an export sees at
 * run time exactly what it was trained on. The fence is longer than any backtick run inside.
 */
export function codeAnswer(code: string, language: string): string {
  let longest = 0;
  for (const m of code.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${language === "cpp" ? "cpp" : "python"}\n${code.replace(/[\r\n]+$/, "")}\n${fence}`;
}

/** The input as chat messages: the problem's first user turn (when given), then the code. */
export function inputMessages(input: VerifierInput): { role: "user" | "assistant"; content: string }[] {
  const answer = { role: "assistant" as const, content: codeAnswer(input.code, input.language) };
  return input.prompt === "" ? [answer] : [{ role: "user", content: input.prompt }, answer];
}

/** The input as one text, for services that take a string: the prompt, a blank line, the code. */
export function inputText(input: VerifierInput): string {
  const answer = codeAnswer(input.code, input.language);
  return input.prompt === "" ? answer : `${input.prompt}\n\n${answer}`;
}
