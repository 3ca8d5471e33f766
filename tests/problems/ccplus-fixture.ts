import { writeFile } from "node:fs/promises";
import { parquetWriteBuffer } from "hyparquet-writer";

/**
 * A small dataset in CodeContests+'s schema, written by the tests that use it (nothing of the
 * real dataset is stored in the repository). List columns are written as parquet JSON columns,
 * which read back as the same lists of structs a nested parquet column gives.
 */

/**
 * A stand-in for testlib.h written at test time: only what DERANGEMENT_CHECKER calls, with
 * testlib's names and exit codes (0 ok, 1 wrong answer, 2 presentation error, 3 fail).
 */
export const TINY_TESTLIB = `#pragma once
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
enum TResult { _ok = 0, _wa = 1, _pe = 2, _fail = 3 };
[[noreturn]] inline void quitf(TResult r, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\\n', stderr);
  std::exit(static_cast<int>(r));
}
struct InStream {
  std::ifstream f;
  TResult onError = _fail;
  void open(const char* path, TResult err) {
    f.open(path);
    onError = err;
    if (!f) quitf(_fail, "cannot open %s", path);
  }
  int readInt() {
    long long x;
    if (!(f >> x)) quitf(onError, "expected an integer");
    return static_cast<int>(x);
  }
  bool seekEof() {
    f >> std::ws;
    return f.peek() == EOF;
  }
};
inline InStream inf, ouf, ans;
inline void registerTestlibCmd(int argc, char** argv) {
  if (argc < 4) quitf(_fail, "usage: checker input output answer");
  inf.open(argv[1], _fail);
  ouf.open(argv[2], _pe);
  ans.open(argv[3], _fail);
}
`;

/** "Print any permutation of 1..n without a fixed point": many answers, checked by testlib. */
export const DERANGEMENT_CHECKER = `#include "testlib.h"
#include <vector>
int main(int argc, char** argv) {
  registerTestlibCmd(argc, argv);
  int n = inf.readInt();
  std::vector<bool> seen(n + 1);
  for (int i = 1; i <= n; i++) {
    int p = ouf.readInt();
    if (p < 1 || p > n) quitf(_wa, "p_%d = %d is out of range (n=%d)", i, p, n);
    if (seen[p]) quitf(_wa, "%d appears twice (n=%d)", p, n);
    if (p == i) quitf(_wa, "p_%d = %d is a fixed point (n=%d)", i, p, n);
    seen[p] = true;
  }
  if (!ouf.seekEof()) quitf(_pe, "extra output after %d numbers", n);
  quitf(_ok, "%d numbers", n);
}
`;

/** A checker of real numbers within 1e-6 that needs no header. */
export const SQRT_CHECKER = `#include <cmath>
#include <cstdio>
#include <fstream>
int main(int argc, char** argv) {
  std::ifstream out(argv[2]), ans(argv[3]);
  double want, got;
  if (!(ans >> want)) return 3;
  if (!(out >> got)) { std::fprintf(stderr, "expected a number"); return 2; }
  if (!(std::fabs(got - want) <= 1e-6 * std::fmax(1.0, std::fabs(want)))) {
    std::fprintf(stderr, "expected %.9f, found %.9f", want, got);
    return 1;
  }
  return 0;
}
`;

const DERANGEMENT_STATEMENT = `Print any permutation p of 1, 2, ..., n such that p_i != i for every i.

Input

The only line contains n (2 <= n <= 100).

Output

Print n integers. If there are several answers, print any of them.

Examples

Input


3


Output


2 3 1


Input


2


Output


2 1

Note

In the first example 3 1 2 is also accepted.`;

const SQRT_STATEMENT = `Print the square root of x with an absolute or relative error of at most 10^{-6}.

Input

One integer x.

Output

One real number.

Example

Input

2


Output

1.414214
`;

const SUM_STATEMENT = `Print a + b.

Input

Two integers.

Output

Their sum.`;

const sub = (language: string, code: string) => ({ code, language });

export interface CcplusRow {
  id: string;
  source: string;
  title: string;
  description: string;
  time_limit: number;
  memory_limit: number;
  checker: string | null;
  test_cases: { input: string; output: string }[];
  correct_submissions: { code: string; language: string }[];
  incorrect_submissions: { code: string; language: string }[];
  true_positive_rate: number | null;
  true_negative_rate: number | null;
}

/** Three problems: a testlib checker with many answers, a header-free float checker, no checker. */
export function ccplusRows(): CcplusRow[] {
  return [
    {
      id: "1010_A",
      source: "Codeforces",
      title: "Derangement",
      description: DERANGEMENT_STATEMENT,
      time_limit: 1000,
      memory_limit: 256,
      checker: DERANGEMENT_CHECKER,
      test_cases: [
        { input: "3\n", output: "2 3 1\n" },
        { input: "4\n", output: "2 3 4 1\n" },
        { input: "5\n", output: "2 3 4 5 1\n" },
      ],
      correct_submissions: [
        // Shifts the other way: 3 1 2 for n = 3, which token comparison with 2 3 1 rejects.
        sub("py3", "n = int(input())\nprint(*[(i - 2) % n + 1 for i in range(1, n + 1)])\n"),
        sub(
          "cpp",
          '#include <cstdio>\nint main(){int n;std::scanf("%d",&n);for(int i=1;i<=n;i++)std::printf("%d ",i%n+1);}\n',
        ),
      ],
      incorrect_submissions: [sub("py3", "n = int(input())\nprint(*range(1, n + 1))\n")],
      true_positive_rate: 1,
      true_negative_rate: 0.98,
    },
    {
      id: "1020_B",
      source: "Codeforces",
      title: "Square Root",
      description: SQRT_STATEMENT,
      time_limit: 2000,
      memory_limit: 512,
      checker: SQRT_CHECKER,
      test_cases: [
        { input: "2\n", output: "1.4142135624\n" },
        { input: "10\n", output: "3.1622776602\n" },
      ],
      correct_submissions: [sub("py3", "print(f'{int(input()) ** 0.5:.9f}')\n")],
      incorrect_submissions: [sub("py2", "print '%.2f' % (int(raw_input()) ** 0.5)\n")],
      true_positive_rate: null,
      true_negative_rate: null,
    },
    {
      id: "1030_C",
      source: "Codeforces",
      title: "Sum",
      description: SUM_STATEMENT,
      time_limit: 0,
      memory_limit: 0,
      checker: null,
      test_cases: [],
      correct_submissions: [],
      incorrect_submissions: [],
      true_positive_rate: null,
      true_negative_rate: null,
    },
  ];
}

const STRINGS = ["id", "source", "title", "description", "checker"] as const;
const INTS = ["time_limit", "memory_limit"] as const;
const LISTS = ["test_cases", "correct_submissions", "incorrect_submissions"] as const;
const FLOATS = ["true_positive_rate", "true_negative_rate"] as const;

/** The rows as a parquet file, `rowGroupSize` rows per row group. */
export async function writeCcplusParquet(file: string, rows: CcplusRow[], rowGroupSize = 1): Promise<void> {
  const buf = parquetWriteBuffer({
    columnData: [
      ...STRINGS.map((name) => ({ name, data: rows.map((r) => r[name]), type: "STRING" as const })),
      ...INTS.map((name) => ({ name, data: rows.map((r) => r[name]), type: "INT32" as const })),
      ...LISTS.map((name) => ({ name, data: rows.map((r) => r[name]), type: "JSON" as const })),
      ...FLOATS.map((name) => ({ name, data: rows.map((r) => r[name]), type: "DOUBLE" as const })),
    ],
    rowGroupSize,
  });
  await writeFile(file, Buffer.from(buf));
}

/** The same rows as JSONL, one object per line. */
export async function writeCcplusJsonl(file: string, rows: CcplusRow[]): Promise<void> {
  await writeFile(file, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
}
