import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RIGHT, doubleProblem, writeProblems } from "../../../e2e/fixtures.js";
import { bwrapWorks, memoryScanner } from "../helpers.js";

/**
 * Review 3, `codeloop judge` (src/grading, src/cli/judge.ts): can one sample change another
 * sample's verdict? All samples go through one sandbox worker (--workers 1), under CPython and
 * under PyPy. Sample 0 is a right solution that also plants files wherever it can write
 * (cwd, /tmp, $HOME, $TMPDIR, /dev/shm, /var/tmp) and carries a marker in its code; sample 1
 * stalls (sleeps past its wall limit); sample 2 prints the right answer only if it finds
 * nothing of sample 0 (no planted file, no marker anywhere in its memory), otherwise a wrong
 * one. If state crossed samples, sample 2 would be wrong_answer; the stalled sample must be a
 * time limit, not an infrastructure line. Observed: holds (sample 2 accepted) with both runtimes.
 */

const CLI = "dist/cli/index.js";
const built = existsSync(CLI) && existsSync("dist/grading/index.js");
const hasPypy = spawnSync("pypy3", ["--version"]).status === 0;
const MARKER = `cross-sample-${process.pid}-d00d`;

const PLANT = `${RIGHT}import os
SECRET = ${JSON.stringify(MARKER)}
for d in (".", "/tmp", "/dev/shm", "/var/tmp", os.environ.get("HOME", "."), os.environ.get("TMPDIR", ".")):
    try:
        with open(os.path.join(d, "planted-by-sample-0"), "w") as f:
            f.write(SECRET)
    except OSError:
        pass
`;
const STALL = "import time\ntime.sleep(60)\n";
const LOOK = `import sys, os
_out = sys.stdout
sys.stdout = sys.stderr
${memoryScanner(MARKER)}
sys.stdout = _out
for d in (".", "..", "/tmp", "/dev/shm", "/var/tmp", os.environ.get("HOME", "."), os.environ.get("TMPDIR", ".")):
    try:
        if any("planted" in n for n in os.listdir(d)):
            found.append("file:" + d)
    except OSError:
        pass
n = int(input())
print(2 * n + (1 if found else 0))
`;

const tmp = mkdtempSync(join(tmpdir(), "codeloop-review3-judge-"));
const problemsFile = join(tmp, "double.jsonl");
beforeAll(async () => {
  await writeProblems(problemsFile, [doubleProblem("p0")]);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!built || !bwrapWorks)("codeloop judge: samples cannot reach each other", () => {
  for (const python of ["cpython", "pypy"] as const) {
    it.skipIf(python === "pypy" && !hasPypy)(
      `${python}: planted files, code in memory and a stall change nothing`,
      () => {
        const samples = join(tmp, `samples-${python}.jsonl`);
        writeFileSync(
          samples,
          [PLANT, STALL, LOOK]
            .map((code, index) => `${JSON.stringify({ problem_id: "p0", index, code })}\n`)
            .join(""),
        );
        const out = join(tmp, `verdicts-${python}.jsonl`);
        const r = spawnSync(
          process.execPath,
          [CLI, "judge", problemsFile, samples, "--out", out, "--workers", "1", "--python", python],
          { encoding: "utf8", timeout: 300_000 },
        );
        expect(r.status, r.stderr).toBe(0);
        const lines = readFileSync(out, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l));
        const v = (i: number) => lines.find((l) => l.index === i);
        expect(lines).toHaveLength(3);
        expect(v(0).verdict).toBe("accepted");
        expect(v(1).verdict).toBe("time_limit");
        expect(v(1).infrastructure).toBeUndefined();
        expect(v(2).verdict, JSON.stringify(v(2).firstFailure)).toBe("accepted");
      },
      300_000,
    );
  }
});
