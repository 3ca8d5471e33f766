// Synthetic competitive-programming codes for the metrics and report benchmarks: short Python
// programs that parse, and revisions that mostly edit a few lines (exploitation) and sometimes
// rewrite (exploration), so consecutive-code similarities spread over [0, 1] as in real runs.

export const DIFFICULTIES = ["easy", "medium", "hard"];
export const TAGS = [
  "greedy",
  "math",
  "dp",
  "graphs",
  "strings",
  "implementation",
  "sortings",
  "brute force",
];

const SIMPLE = [
  "n = int(input())",
  "a = list(map(int, input().split()))",
  "total = 0",
  "best = max(a) if a else 0",
  "ans = min(total, best * n)",
  "dp = [0] * (n + 1)",
  "s = sorted(a)",
  "print(ans)  # answer",
  "print(dp[n])",
  "# try the greedy order first",
];
const HEADERS = ["for i in range(n):", "for j in range(1, n + 1):", "if total % 2 == 0:", "while n > 1:"];
const BODY = [
  "total += a[i] * (i + 1)",
  "dp[j] = max(dp[j - 1], dp[j - 2] + a[j - 1]) if j > 1 else a[0]",
  "n //= 2",
  "total -= 1  # off by one",
  "ans = max(ans, total)",
];

/** Program generators over a seeded rng: `program()` gives a list of units, `revise(units)` a revision. */
export function codeGenerator(rng) {
  const pick = (list) => list[Math.floor(rng() * list.length)];
  /** One unit: a simple statement, or a block with an indented body (so the program parses). */
  const unit = () => {
    if (rng() < 0.6) return pick(SIMPLE);
    const body = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => `    ${pick(BODY)}`);
    return [pick(HEADERS), ...body].join("\n");
  };
  const program = () => Array.from({ length: 5 + Math.floor(rng() * 12) }, unit);
  /** A repair: change a few units (exploitation) or, sometimes, rewrite (exploration). */
  const revise = (units) => {
    if (rng() < 0.2) return program();
    const out = [...units];
    for (let e = 0, n = 1 + Math.floor(rng() * 3); e < n; e++) out[Math.floor(rng() * out.length)] = unit();
    return out;
  };
  return { pick, program, revise };
}
