import { describe, expect, it } from "vitest";
import { loadProblems } from "../../src/problems/index.js";
import type { Problem } from "../../src/problems/types.js";
import { entryPointOf, formatProblem } from "../../src/prompts/index.js";
import { dataPath, hasData } from "../problems/data.js";
import { HIDDEN, functionProblem, humanevalProblem, mbppProblem, stdioProblem } from "./fixtures.js";

/** The same problem with every hidden part removed: a prompt must not change. */
function publicOnly(p: Problem): Problem {
  return {
    ...p,
    tests: { public: p.tests.public, private: [], generated: [] },
    solutions: [],
    pendingExpected: undefined,
  };
}

describe("formatProblem", () => {
  it("stdin/stdout problem: statement, I/O contract, limits, public tests as examples, answer format", () => {
    const text = formatProblem(stdioProblem());
    expect(text).toMatch(/^Given two integers a and b, print a \+ b\.\n\n/);
    expect(text).toContain("Python 3 program");
    expect(text).toContain("reads the input from standard input and writes the answer to standard output");
    expect(text).toContain("Limits per test: 2 s of CPU time and 256 MB of memory.");
    expect(text).toContain("Input:\n```\n1 2\n```\nOutput:\n```\n3\n```");
    expect(text).toContain("Input:\n```\n10 -4\n```\nOutput:\n```\n6\n```");
    expect(text.trimEnd().endsWith("(```python).")).toBe(true);
  });

  it("C++ for stdin/stdout problems; function problems refuse other languages", () => {
    const text = formatProblem(stdioProblem(), { language: "cpp" });
    expect(text).toContain("C++17 program");
    expect(text).toContain("(```cpp)");
    expect(() => formatProblem(mbppProblem(), { language: "cpp" })).toThrowError(/cannot be posed in 'cpp'/);
  });

  it("names the files of file-I/O problems", () => {
    const p = stdioProblem({
      metadata: { difficulty: "easy", tags: [], inputFile: "in.txt", outputFile: "out.txt" },
    });
    expect(formatProblem(p)).toContain(
      "reads the input from the file `in.txt` and writes the answer to the file `out.txt`",
    );
  });

  it("examples: skipped when the statement already shows them (auto), or forced, or none, or capped", () => {
    const statement = "Print a + b.\n\nExample\n\nInput\n\n1   2\n\nOutput\n\n3\n";
    const p = stdioProblem({ statement });
    const auto = formatProblem(p);
    expect(auto).not.toContain("Input:\n```\n1 2\n```");
    expect(auto).toContain("Input:\n```\n10 -4\n```");
    expect(formatProblem(p, { examples: "all" })).toContain("Input:\n```\n1 2\n```");
    expect(formatProblem(p, { examples: "none" })).not.toContain("Examples:");
    const capped = formatProblem(stdioProblem(), { maxExamples: 1 });
    expect(capped).toContain("1 2");
    expect(capped).not.toContain("10 -4");
  });

  it("auto needs an examples section and the output after the input: tiny tests are not found by accident", () => {
    const p = stdioProblem({
      statement: "Read 1 2 and print their sum; 3 is the answer for 1 2.",
      tests: { public: [{ kind: "stdio", input: "1 2\n", output: "3\n" }], private: [], generated: [] },
    });
    expect(formatProblem(p)).toContain("Input:\n```\n1 2\n```");
    const withSection = stdioProblem({
      statement: "Print the sum.\n\nExamples\n\nOutput 3 comes from\n\n1 2\n",
      tests: p.tests,
    });
    // The output occurs only before the input: not shown by the statement.
    expect(formatProblem(withSection)).toContain("Input:\n```\n1 2\n```");
  });

  it("long example inputs are cut head + tail with a marker", () => {
    const input = `${"7 ".repeat(5000)}\n`;
    const p = stdioProblem({
      tests: { public: [{ kind: "stdio", input, output: "1\n" }], private: [], generated: [] },
    });
    const text = formatProblem(p, { maxExampleChars: 100 });
    expect(text).toContain("[... 9900 characters cut ...]");
    expect(text.length).toBeLessThan(1500);
  });

  it("function problem with starter code: code to complete, the call, examples as calls", () => {
    const text = formatProblem(functionProblem());
    expect(text).toContain("Return the indices of the two numbers");
    expect(text).toContain("your solution is called as `Solution.twoSum`");
    expect(text).toContain(
      "```python\nclass Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n```",
    );
    expect(text).toContain(">>> Solution().twoSum([2, 7, 11], 9)\n[0, 1]");
    expect(text).toContain("Do not read input or print anything at top level.");
    expect(text).not.toContain("Limits per test");
  });

  it("HumanEval: the prompt with its docstring once (not again as statement), and the public assert", () => {
    const p = humanevalProblem();
    const text = formatProblem(p);
    expect(text.split('"""Add two numbers.').length).toBe(2);
    expect(text).toContain("Your code should pass these tests:\n\n```python\nassert add(2, 3) == 5\n```");
    expect(text).toContain("called as `add`");
  });

  it("MBPP: text statement, function name taken from the first public assert", () => {
    const p = mbppProblem();
    expect(entryPointOf(p)).toBe("remove_Occ");
    const text = formatProblem(p);
    expect(text).toContain("Write a Python 3 function named `remove_Occ`");
    expect(text).toContain('assert remove_Occ("hello","l") == "heo"');
  });

  it("a fence inside a test never closes the example's fence", () => {
    const p = stdioProblem({
      tests: { public: [{ kind: "stdio", input: "```\n", output: "ok\n" }], private: [], generated: [] },
    });
    expect(formatProblem(p)).toContain("Input:\n````\n```\n````");
  });

  it("hidden tests, reference solutions and pending expected outputs never leak into prompts", () => {
    for (const p of [stdioProblem(), functionProblem(), humanevalProblem(), mbppProblem()]) {
      for (const examples of ["auto", "all"] as const) {
        const text = formatProblem(p, { examples });
        for (const marker of HIDDEN) expect(text, `${p.id} leaks ${marker}`).not.toContain(marker);
        expect(text).toBe(formatProblem(publicOnly(p), { examples }));
      }
    }
  });
});

describe("formatProblem on real benchmarks", () => {
  const sets = ["codecontests-sample", "humaneval-plus", "mbpp-plus", "kattis-rmrc2019"] as const;
  for (const set of sets) {
    it.runIf(hasData(set))(
      `${set}: every problem formats, and removing the hidden parts changes nothing`,
      async () => {
        const problems = await loadProblems(dataPath(set));
        expect(problems.length).toBeGreaterThan(0);
        let withExamples = 0;
        for (const p of problems) {
          const text = formatProblem(p, { examples: "all" });
          expect(text).toBe(formatProblem(publicOnly(p), { examples: "all" }));
          expect(formatProblem(p)).toBe(formatProblem(publicOnly(p)));
          // No hidden test that differs from every public one may appear verbatim.
          const publicTexts = p.tests.public.map((t) => JSON.stringify(t));
          for (const t of [...p.tests.private, ...p.tests.generated]) {
            if (t.kind !== "assert" || publicTexts.includes(JSON.stringify(t))) continue;
            if (p.statement.includes(t.script.trim())) continue;
            expect(text, `${p.id}: hidden assert in prompt`).not.toContain(t.script.trim());
          }
          if (p.tests.public.length > 0 && /Input:|>>>|should pass/.test(text)) withExamples++;
          expect(text).toMatch(/fenced code block/);
        }
        expect(withExamples).toBeGreaterThan(problems.length / 2);
      },
    );
  }

  it.runIf(hasData("codecontests-sample"))(
    "CodeContests statements already show their samples: auto omits them",
    async () => {
      const problems = await loadProblems(dataPath("codecontests-sample"), { limit: 50 });
      const auto = problems.filter((p) => !formatProblem(p).includes("Examples:")).length;
      expect(auto).toBeGreaterThan(25);
    },
  );
});
