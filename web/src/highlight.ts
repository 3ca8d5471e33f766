// Syntax highlighting with highlight.js (core + the languages codeloop runs). Its output is
// markup built from the code's text with every character of it escaped, so assigning it is
// safe; everything else on the page is text nodes (dom.ts).
import hljs from "highlight.js/lib/core";
import cpp from "highlight.js/lib/languages/cpp";
import python from "highlight.js/lib/languages/python";
import "highlight.js/styles/github.css";
import { h } from "./dom";

hljs.registerLanguage("python", python);
hljs.registerLanguage("cpp", cpp);

/** Guesses the language from the code (codeloop's problems are Python or C++). */
export function languageOf(code: string): "python" | "cpp" {
  return /#include\s*<|\bint\s+main\s*\(|std::/.test(code) ? "cpp" : "python";
}

export function codeBlock(code: string): HTMLPreElement {
  const el = h("code", { class: "hljs" });
  // Very large programs are shown as plain text: highlighting them would stall the page.
  if (code.length > 200_000) el.textContent = code;
  else el.innerHTML = hljs.highlight(code, { language: languageOf(code), ignoreIllegals: true }).value;
  return h("pre", { class: "code" }, el);
}
