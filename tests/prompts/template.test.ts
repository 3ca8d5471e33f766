import { describe, expect, it } from "vitest";
import {
  TEMPLATES,
  TemplateError,
  formatProblem,
  placeholdersOf,
  renderFeedback,
  renderTemplate,
  systemMessage,
  templateIds,
  templateText,
  turnSteps,
  validateOverrides,
} from "../../src/prompts/index.js";
import { stdioProblem, verdict } from "./fixtures.js";

describe("renderTemplate", () => {
  it("fills placeholders, keeps other text, turns doubled braces into literal ones", () => {
    expect(renderTemplate("t", "a {x} b {y}{x} {{x}} }} {", { x: "1", y: 2 })).toBe("a 1 b 21 {x} } {");
  });

  it("leaves brace text that is not a placeholder alone (C++ and JSON in templates)", () => {
    expect(renderTemplate("t", "int main() { return 0; } {x}", { x: "!" })).toBe(
      "int main() { return 0; } !",
    );
  });

  it("names the template id and the placeholder when a placeholder is unknown", () => {
    expect(() => renderTemplate("feedback.binary", "failed {tset}", { test: "1" })).toThrowError(
      /template 'feedback\.binary': unknown placeholder \{tset\}; available placeholders: \{test\}/,
    );
  });

  it("rejects a placeholder that is allowed but has no value", () => {
    expect(() => renderTemplate("x", "{a}{b}", { a: "1" }, ["a", "b"])).toThrowError(
      /no value given for placeholder \{b\}/,
    );
  });

  it("lists placeholders in order of first use, skipping escaped braces", () => {
    expect(placeholdersOf("{b} {{c}} {a} {b}")).toEqual(["b", "a"]);
  });

  it("does not substitute inside substituted values", () => {
    expect(renderTemplate("t", "{a}", { a: "{b}", b: "no" })).toBe("{b}");
  });
});

describe("template registry and overrides", () => {
  it("every default template uses only its declared placeholders", () => {
    for (const id of templateIds()) {
      const spec = TEMPLATES[id]!;
      for (const p of placeholdersOf(spec.text)) expect(spec.placeholders, `${id} uses {${p}}`).toContain(p);
    }
  });

  it("rejects an override for an unknown template and names the id and its group", () => {
    expect(() => validateOverrides({ "feedback.binray": "x" })).toThrowError(
      /unknown template 'feedback\.binray'; templates in that group: .*feedback\.binary/,
    );
    expect(() => validateOverrides({ nonsense: "x" })).toThrowError(/unknown template 'nonsense'/);
  });

  it("rejects an override using a placeholder its template does not offer", () => {
    expect(() => validateOverrides({ "problem.limits": "{time_limit} s, {memory} MB" })).toThrowError(
      /template 'problem\.limits': unknown placeholder \{memory\}; available placeholders: \{time_limit\}, \{memory_limit\}/,
    );
  });

  it("rejects non-string override values from a parsed config", () => {
    expect(() => validateOverrides({ system: 3 as unknown as string })).toThrowError(/must be a string/);
  });

  it("overrides reach the problem prompt, reasoning prompts, feedback and the system message", () => {
    const overrides = {
      system: "SYS",
      "problem.limits": "",
      "problem.statement": "PROBLEM {title}:\n{statement}",
      "reasoning.restate": "Say it again in {language}.",
      "feedback.binary": "Nope.",
      "feedback.retry": "Again.",
    };
    const p = stdioProblem();
    const text = formatProblem(p, { overrides });
    expect(text.startsWith("PROBLEM Sum:\nGiven two integers")).toBe(true);
    // An empty section override removes the section without leaving a gap.
    expect(text).not.toContain("Limits per test");
    expect(text).not.toMatch(/\n\n\n/);
    const steps = turnSteps("P", { reasoning: ["reasoning.restate"], language: "C++17" }, overrides);
    expect(steps[0]!.message.content).toContain("Say it again in C++17.");
    const fb = renderFeedback(
      "binary",
      { tests: p.tests.public, results: [verdict(0, "wrong_answer")] },
      {},
      overrides,
    );
    expect(fb).toBe("Nope.\n\nAgain.");
    expect(systemMessage(overrides)).toEqual({ role: "system", content: "SYS" });
    expect(systemMessage({ system: "" })).toBeNull();
    expect(systemMessage()?.content).toBe(templateText("system"));
  });

  it("fails at first use when an override is wrong, before any text is produced", () => {
    expect(() =>
      formatProblem(stdioProblem(), { overrides: { "problem.task.program": "use {lang}" } }),
    ).toThrowError(/template 'problem\.task\.program': unknown placeholder \{lang\}/);
  });

  it("throws TemplateError instances", () => {
    expect(() => templateText("no.such")).toThrow(TemplateError);
  });
});
