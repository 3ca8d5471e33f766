/** Text for HTML element content and quoted attribute values: nothing in it can open markup. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;",
  );
}

/**
 * JSON to embed in `<script type="application/json">`: every `<`, `>` and `&` is written as a
 * \u escape, so neither `</script` nor `<!--` can appear and end or change the script element;
 * U+2028/U+2029 are escaped too. JSON.parse of the element's text gives the value back.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A library's source inlined in a `<script>` element: a `</script` inside a string literal
 * would end the element, so it is split as `<\/script` (the same string to JavaScript); the
 * source-map comment is dropped (the page must make no requests). A library containing `<!--`
 * is refused rather than rewritten (no rewrite is safe in every JavaScript context).
 */
export function inlineScript(source: string, name = "script"): string {
  if (source.includes("<!--")) throw new Error(`${name} contains "<!--" and cannot be inlined safely`);
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/^\/\/# sourceMappingURL=.*$/gm, "");
}
