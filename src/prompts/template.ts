/**
 * A deliberately tiny template language: `{name}` is a placeholder, `{{` and `}}` are literal
 * braces, every other character is literal. Nothing else (no conditionals, no loops), so an
 * override written in a config file cannot do anything surprising.
 */

export class TemplateError extends Error {
  override name = "TemplateError";
}

const TOKEN = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Placeholder names used by a template, in order of first use. */
export function placeholdersOf(template: string): string[] {
  const seen: string[] = [];
  for (const m of template.matchAll(TOKEN)) {
    const name = m[1];
    if (name !== undefined && !seen.includes(name)) seen.push(name);
  }
  return seen;
}

function listNames(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.map((n) => `{${n}}`).join(", ");
}

/** Throws when the template uses a placeholder outside `allowed`, naming the template and the placeholder. */
export function checkTemplate(id: string, template: string, allowed: readonly string[]): void {
  for (const name of placeholdersOf(template)) {
    if (!allowed.includes(name)) {
      throw new TemplateError(
        `template '${id}': unknown placeholder {${name}}; available placeholders: ${listNames(allowed)} (write {{ and }} for literal braces)`,
      );
    }
  }
}

/**
 * Fills a template. `allowed` is the set of placeholders the template may use (defaults to the
 * keys of `values`); a placeholder outside it, or one without a value, is an error.
 */
export function renderTemplate(
  id: string,
  template: string,
  values: Readonly<Record<string, string | number>>,
  allowed: readonly string[] = Object.keys(values),
): string {
  checkTemplate(id, template, allowed);
  return template.replace(TOKEN, (tok, name: string | undefined) => {
    if (name === undefined) return tok === "{{" ? "{" : "}";
    const v = values[name];
    if (v === undefined)
      throw new TemplateError(`template '${id}': no value given for placeholder {${name}}`);
    return String(v);
  });
}
