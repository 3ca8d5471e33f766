import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface KattisPackage {
  /** Folder name: the problem id. */
  id: string;
  /** problem.yaml text. */
  yaml: string;
  statement: string;
  sample: [string, string][];
  secret: [string, string][];
  /** submissions/<folder>/<file> -> code. */
  submissions?: Record<string, Record<string, string>>;
  /** Files under output_validators/ (path -> content); absent: no such folder. */
  validators?: Record<string, string>;
  timeLimitSec?: number;
}

/** Writes one Kattis problem package (legacy layout) under `root`. */
export function writeKattisPackage(root: string, p: KattisPackage): string {
  const dir = join(root, p.id);
  const put = (rel: string, text: string) => {
    const file = join(dir, rel);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, text);
  };
  put("problem.yaml", p.yaml);
  put("problem_statement/problem.en.md", p.statement);
  put(".timelimit", `${p.timeLimitSec ?? 2}\n`);
  p.sample.forEach(([i, a], k) => {
    put(`data/sample/${k + 1}.in`, i);
    put(`data/sample/${k + 1}.ans`, a);
  });
  p.secret.forEach(([i, a], k) => {
    put(`data/secret/${k + 1}.in`, i);
    put(`data/secret/${k + 1}.ans`, a);
  });
  for (const [folder, files] of Object.entries(p.submissions ?? {})) {
    for (const [name, code] of Object.entries(files)) put(`submissions/${folder}/${name}`, code);
  }
  for (const [rel, text] of Object.entries(p.validators ?? {})) put(`output_validators/${rel}`, text);
  return dir;
}

const pair = (n: number): [string, string] => [`${n}\n`, `${2 * n}\n`];

export const DOUBLE_RIGHT = "n = int(input())\nprint(2 * n)\n";
export const DOUBLE_WRONG = "n = int(input())\nprint(2 * n + 1)\n";

/** A plain "double the number" package judged by token comparison. */
export function doublePackage(id = "double"): KattisPackage {
  return {
    id,
    yaml: "name: Double\nvalidation: default\nlicense: cc0\n",
    statement: `# Double\n\nProblem ${id}: read one integer $n$ and print $2n$.\n`,
    sample: [pair(21)],
    secret: [pair(5), pair(1000), pair(77)],
    submissions: { accepted: { "double.py": DOUBLE_RIGHT }, wrong_answer: { "plusone.py": DOUBLE_WRONG } },
  };
}

/**
 * A package with `validation: custom` but no output_validators/ folder: its answers are not
 * the only correct ones, so it cannot be judged by comparing with the .ans files.
 */
export function customWithoutValidatorPackage(id = "pairsum"): KattisPackage {
  return {
    id,
    yaml: "name: Pair Sum\nvalidation: custom\nlicense: cc0\n",
    statement: `# Pair Sum\n\nProblem ${id}: read one integer $s$ and print two non-negative integers whose sum is $s$.\n`,
    sample: [["5\n", "2 3\n"]],
    secret: [
      ["10\n", "4 6\n"],
      ["0\n", "0 0\n"],
    ],
    submissions: { accepted: { "half.py": "s = int(input())\nprint(s // 2, s - s // 2)\n" } },
  };
}
