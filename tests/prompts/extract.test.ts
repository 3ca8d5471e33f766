import { describe, expect, it } from "vitest";
import { loadProblems } from "../../src/problems/index.js";
import { extractCode, fencedBlocks, stripThinking } from "../../src/prompts/index.js";
import { dataPath, hasData } from "../problems/data.js";

const SOLUTION =
  "import sys\n\ndef main():\n    a, b = map(int, sys.stdin.read().split())\n    print(a + b)\n\nmain()";

describe("extractCode: fenced blocks", () => {
  it("takes a single python block", () => {
    const answer = `Here is my solution:\n\n\`\`\`python\n${SOLUTION}\n\`\`\`\n\nIt reads both numbers and prints the sum.`;
    expect(extractCode(answer, "python")).toEqual({ code: SOLUTION, how: "fenced-language" });
  });

  it("accepts the usual tags for the language, case-insensitively", () => {
    for (const tag of ["py", "Python", "python3", "PY3"]) {
      expect(extractCode(`\`\`\`${tag}\n${SOLUTION}\n\`\`\``, "python").how).toBe("fenced-language");
    }
    for (const tag of ["cpp", "c++", "C++", "cc"]) {
      const code = "#include <bits/stdc++.h>\nint main() { return 0; }";
      expect(extractCode(`\`\`\`${tag}\n${code}\n\`\`\``, "cpp")).toEqual({ code, how: "fenced-language" });
    }
  });

  it("prefers the last complete block in the problem's language (a revised version)", () => {
    const answer = [
      "First attempt:",
      "```python",
      "print(sum(map(int, input().split())) + 1)",
      "```",
      "Wait, that adds one too many. Corrected:",
      "```python",
      "print(sum(map(int, input().split())))",
      "```",
    ].join("\n");
    expect(extractCode(answer, "python").code).toBe("print(sum(map(int, input().split())))");
  });

  it("prefers the language's block over a later block in another language", () => {
    const answer = `\`\`\`python\n${SOLUTION}\n\`\`\`\n\nIn C++ it would be:\n\`\`\`cpp\n#include <iostream>\nint main(){}\n\`\`\``;
    expect(extractCode(answer, "python")).toEqual({ code: SOLUTION, how: "fenced-language" });
    expect(extractCode(answer, "cpp").code).toBe("#include <iostream>\nint main(){}");
  });

  it("a test block after the solution is not the solution", () => {
    const answer = [
      "```python",
      "def remove_Occ(s, ch):",
      "    i = s.find(ch)",
      "    j = s.rfind(ch)",
      "    if i == -1:",
      "        return s",
      "    if i == j:",
      "        return s[:i] + s[i + 1:]",
      "    return s[:i] + s[i + 1:j] + s[j + 1:]",
      "```",
      "",
      "Let's test it:",
      "```python",
      'assert remove_Occ("hello", "l") == "heo"',
      'print(remove_Occ("abcda", "a"))',
      "```",
    ].join("\n");
    const got = extractCode(answer, "python", { entryPoint: "remove_Occ" });
    expect(got.how).toBe("fenced-language");
    expect(got.code).toMatch(/^def remove_Occ\(s, ch\):/);
    // Without knowing the entry point: the test block defines nothing, so it still loses.
    expect(extractCode(answer, "python").code).toMatch(/^def remove_Occ/);
  });

  it("a block of comments only (an example note) after the solution is not the solution", () => {
    const answer =
      "```python\nfrom sys import stdin\nprint(int(stdin.readline()) * 2)\n```\n```python\n# prints 6 for input 3\n```";
    expect(extractCode(answer, "python").code).toBe(
      "from sys import stdin\nprint(int(stdin.readline()) * 2)",
    );
  });

  it("a block of test functions (def test_..., unittest) after the solution is not the solution", () => {
    const answer = [
      "```python",
      "def add(a, b):",
      "    return a + b",
      "```",
      "Tests:",
      "```python",
      "import unittest",
      "class TestAdd(unittest.TestCase):",
      "    def test_small(self):",
      "        self.assertEqual(add(2, 3), 5)",
      "```",
      "```python",
      "def test_add():",
      "    assert add(1, 1) == 2",
      "```",
    ].join("\n");
    expect(extractCode(answer, "python").code).toBe("def add(a, b):\n    return a + b");
  });

  it("with the entry point known, the block defining it wins over a later helper-only block", () => {
    const answer = [
      "```python",
      "class Solution:",
      "    def twoSum(self, nums, target):",
      "        seen = {}",
      "        for i, x in enumerate(nums):",
      "            if target - x in seen:",
      "                return [seen[target - x], i]",
      "            seen[x] = i",
      "```",
      "A helper you could also use:",
      "```python",
      "def brute(nums, target):",
      "    return None",
      "```",
    ].join("\n");
    expect(extractCode(answer, "python", { entryPoint: "Solution.twoSum" }).code).toMatch(/^class Solution:/);
    // Unknown entry point: the last block that defines something is taken.
    expect(extractCode(answer, "python").code).toMatch(/^def brute/);
  });

  it("untagged blocks: code is taken (last-block), sample data is not", () => {
    const answer = [
      "For the input",
      "```",
      "3",
      "1 2 3",
      "```",
      "the output is",
      "```",
      "6",
      "```",
      "Solution:",
      "```",
      "n = int(input())",
      "print(sum(map(int, input().split())))",
      "```",
    ].join("\n");
    expect(extractCode(answer, "python")).toEqual({
      code: "n = int(input())\nprint(sum(map(int, input().split())))",
      how: "last-block",
    });
    const onlyData = "Example:\n```\n3\n1 2 3\n```\n```text\n6\n```";
    expect(extractCode(onlyData, "python")).toEqual({ code: null, how: "none" });
  });

  it("a block with an unexpected tag but python content is fenced-other; shell and output blocks are never code", () => {
    const answer = `\`\`\`python3.11\n${SOLUTION}\n\`\`\`\n\nRun it with:\n\`\`\`bash\npython3 main.py < input.txt\n\`\`\`\n\`\`\`output\n3\n\`\`\``;
    expect(extractCode(answer, "python")).toEqual({ code: SOLUTION, how: "fenced-other" });
  });

  it("a Java block is not taken for a Python problem", () => {
    const answer = "```java\npublic class Main { public static void main(String[] a) {} }\n```";
    expect(extractCode(answer, "python")).toEqual({ code: null, how: "none" });
  });

  it("tilde fences, longer fences holding backticks, indented fences in a list", () => {
    expect(extractCode(`~~~python\n${SOLUTION}\n~~~`, "python").code).toBe(SOLUTION);
    const withTicks = 'print("```")\nprint(1)';
    expect(extractCode(`\`\`\`\`python\n${withTicks}\n\`\`\`\`\n`, "python").code).toBe(withTicks);
    const listed = "1. Write the code:\n\n   ```python\n   def f(x):\n       return x * 2\n   ```\n2. Done.";
    expect(extractCode(listed, "python").code).toBe("def f(x):\n    return x * 2");
  });

  it("a closing fence glued to the last line still closes the block", () => {
    expect(extractCode("```python\ndef f():\n    return 1```\nDone.", "python")).toEqual({
      code: "def f():\n    return 1",
      how: "fenced-language",
    });
  });

  it("CRLF line endings", () => {
    expect(extractCode("```python\r\nprint(1)\r\n```\r\n", "python").code).toBe("print(1)");
  });
});

describe("extractCode: unclosed fences", () => {
  it("an answer cut off inside its only block yields the partial code", () => {
    const answer = "```python\ndef solve():\n    n = int(input())\n    for i in range(n):\n        print(i";
    expect(extractCode(answer, "python")).toEqual({
      code: "def solve():\n    n = int(input())\n    for i in range(n):\n        print(i",
      how: "unclosed-fence",
    });
  });

  it("a complete block wins over an unclosed final one (a complete program beats a cut one)", () => {
    const answer = `\`\`\`python\n${SOLUTION}\n\`\`\`\nLet me also try a faster version:\n\`\`\`python\nimport sys\ndef main(`;
    expect(extractCode(answer, "python")).toEqual({ code: SOLUTION, how: "fenced-language" });
  });

  it("an unclosed untagged block counts only when it looks like code", () => {
    expect(extractCode(`\`\`\`\n${SOLUTION}`, "python").how).toBe("unclosed-fence");
    expect(extractCode("The answer is:\n```\n42", "python").how).toBe("none");
  });
});

describe("extractCode: answers without fences", () => {
  it("takes the code and drops the prose around it", () => {
    const answer = `Sure! Here is a program that solves it.\n\n${SOLUTION}\n\nThis runs in linear time.`;
    expect(extractCode(answer, "python")).toEqual({ code: SOLUTION, how: "no-fence" });
  });

  it("one-line compound statements, subscripted and tuple targets, comprehension statements", () => {
    const code = [
      "def II(): return int(input())",
      "n = II()",
      "dp = [[0] * 3 for _ in range(n)]",
      "dp[0][1] = 1",
      "(a, b) = (1, 2)",
      "[N, M] = [3, 4]",
      "if n > 2: print(n)",
      "[print(x) for x in dp]",
      "main();",
    ].join("\n");
    expect(extractCode(`Code:\n${code}\nDone.`, "python")).toEqual({ code, how: "no-fence" });
  });

  it("a bare function", () => {
    const code =
      "def is_prime(n):\n    if n < 2:\n        return False\n    return all(n % d for d in range(2, int(n ** 0.5) + 1))";
    expect(extractCode(code, "python")).toEqual({ code, how: "no-fence" });
  });

  it("C++ without fences", () => {
    const code =
      "#include <iostream>\nusing namespace std;\nint main() {\n    long long a, b;\n    cin >> a >> b;\n    cout << a + b << endl;\n}";
    expect(extractCode(`Here you go:\n${code}\nHope it helps.`, "cpp")).toEqual({ code, how: "no-fence" });
  });

  it("prose without code is none, even with code-ish words and formulas", () => {
    const prose = [
      "To solve this, for each element we keep a running sum.",
      "If the sum becomes negative, we return True.",
      "The answer is x = 3 in the first example, and the complexity is O(n).",
      "import the values carefully and print the result.",
    ].join("\n");
    expect(extractCode(prose, "python")).toEqual({ code: null, how: "none" });
    expect(extractCode("", "python")).toEqual({ code: null, how: "none" });
    expect(extractCode("I cannot solve this problem.", "cpp")).toEqual({ code: null, how: "none" });
  });

  it("with only a data block and code outside fences, the code outside is found", () => {
    const answer = `Example output:\n\`\`\`\n3\n\`\`\`\n${SOLUTION}`;
    expect(extractCode(answer, "python")).toEqual({ code: SOLUTION, how: "no-fence" });
  });
});

describe("extractCode: thinking sections", () => {
  it("ignores code drafted inside <think> and takes the final answer's block", () => {
    const answer = [
      "<think>",
      "Maybe:",
      "```python",
      "print(0)",
      "```",
      "No, that's wrong.",
      "</think>",
      "Final solution:",
      "```python",
      "print(sum(map(int, input().split())))",
      "```",
    ].join("\n");
    expect(extractCode(answer, "python").code).toBe("print(sum(map(int, input().split())))");
  });

  it("an answer whose thinking ended with no code after it has no code", () => {
    const answer = "<think>\n```python\nprint(1)\n```\n</think>\nI could not find a correct approach.";
    expect(extractCode(answer, "python")).toEqual({ code: null, how: "none" });
  });

  it("a missing opening tag (it was in the prompt template): everything up to </think> is thinking", () => {
    const answer = "draft:\n```python\nprint(0)\n```\n</think>\n```python\nprint(1)\n```";
    expect(extractCode(answer, "python").code).toBe("print(1)");
    expect(stripThinking(answer)).toBe("\n```python\nprint(1)\n```");
  });

  it("an answer cut off while thinking: the draft inside is still used", () => {
    const answer = "<think>\nLet me write it.\n```python\ndef f(x):\n    return x + 1\n```\nNow check";
    expect(extractCode(answer, "python")).toEqual({
      code: "def f(x):\n    return x + 1",
      how: "fenced-language",
    });
  });
});

describe("fencedBlocks", () => {
  it("reports tags, contents and whether each block was closed", () => {
    expect(fencedBlocks("a\n```py\nx = 1\n```\n```\ny\n")).toEqual([
      { tag: "py", code: "x = 1", closed: true },
      { tag: "", code: "y", closed: false },
    ]);
  });
});

describe("extractCode on real accepted solutions", () => {
  const wrap = {
    fenced: (code: string, tag: string) =>
      `Here is my solution.\n\n\`\`\`${tag}\n${code}\n\`\`\`\n\nFor the first sample:\n\`\`\`${tag}\n${tag === "python" ? "#" : "//"} prints the expected output\n\`\`\`\n\`\`\`text\n16\n\`\`\``,
    bare: (code: string) => `Sure, this works:\n\n${code}\n\nIt runs in linear time.`,
    thinking: (code: string, tag: string) =>
      `<think>\nA first idea:\n\`\`\`${tag}\nint x;\n\`\`\`\nNo.\n</think>\nFinal answer:\n\`\`\`${tag}\n${code}\n\`\`\``,
  };

  it.runIf(hasData("codecontests-sample"))(
    "CodeContests Python solutions come back exactly, fenced or bare",
    async () => {
      const problems = await loadProblems(dataPath("codecontests-sample"));
      let n = 0;
      for (const p of problems) {
        for (const s of p.solutions.filter((x) => x.language === "python" && x.verdict === "accepted")) {
          const code = s.code.replace(/\s+$/, "");
          n++;
          expect(extractCode(wrap.fenced(code, "python"), "python"), p.id).toEqual({
            code,
            how: "fenced-language",
          });
          expect(extractCode(wrap.thinking(code, "python"), "python").code, p.id).toBe(code);
          expect(extractCode(wrap.bare(code), "python"), p.id).toEqual({ code, how: "no-fence" });
        }
      }
      expect(n).toBeGreaterThanOrEqual(290);
    },
  );

  it.runIf(hasData("kattis-rmrc2019"))(
    "Kattis accepted C++ and Python submissions come back exactly",
    async () => {
      const problems = await loadProblems(dataPath("kattis-rmrc2019"));
      const seen = { cpp: 0, python: 0 };
      for (const p of problems) {
        for (const s of p.solutions.filter((x) => x.verdict === "accepted")) {
          if (s.language !== "cpp" && s.language !== "python") continue;
          const code = s.code.replace(/\s+$/, "");
          const tag = s.language === "cpp" ? "cpp" : "python";
          seen[s.language]++;
          expect(extractCode(wrap.fenced(code, tag), s.language).code, s.path).toBe(code);
          expect(extractCode(wrap.thinking(code, tag), s.language).code, s.path).toBe(code);
        }
      }
      expect(seen.cpp).toBeGreaterThan(5);
      expect(seen.python).toBeGreaterThanOrEqual(5);
    },
  );
});
