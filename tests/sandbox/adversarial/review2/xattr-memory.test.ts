import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { py } from "../../../../src/judge/pyvalue.js";
import type { TestCase } from "../../../../src/judge/types.js";
import { DEFAULT_LIMITS, Sandbox, findExecutable } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review 2 hole: extended attributes are memory outside every limit. The seccomp filter allows
 * setxattr/fsetxattr, and tmpfs (the sandbox's /tmp) and memfds (the program's own stdout, its
 * sealed stdin, the status channel) accept `user.*` attributes of up to 64 KiB each. Their bytes
 * live in kernel slab memory: in nobody's RSS, not in the tmpfs block count that
 * Watch.files_kb() reads, and, on memfds (the kernel's internal shm mount, which has no inode
 * space limit), not bounded by anything but CPU time (about 300 MB per CPU-second).
 * - a stdio program stored 488 MB in 7,506 attributes of one file under a 256 MiB limit:
 *   `ok`, memoryKb 15,424, tmpfs "0 MiB used";
 * - a function program that adds attributes to its stdout memfd in each call keeps them across
 *   the batch (the memfd is only truncated between calls): 8 calls, each within its 3 s CPU
 *   limit, all accepted with memoryKb 15,328, held 2.3 GB of kernel memory. HumanEval+ problems
 *   have hundreds of tests per batch: this ends in the host's OOM killer.
 * - the same attributes carry state from one test to the next: a C++ program's executable is
 *   one sealed memfd for the whole request, and sealing does not cover attributes, so a
 *   program that stores its input on /proc/self/exe with fsetxattr reads the inputs of every
 *   earlier test of the set in each later test ("alpha;beta;" in the third), although every
 *   test is meant to start from a clean slate.
 * Fix: refuse setxattr, lsetxattr, fsetxattr (188-190) and setxattrat (463) in DENY_ALWAYS; no
 * judged program needs extended attributes.
 */

function slabMiB(): number {
  const m = /^Slab:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

describe.skipIf(!bwrapWorks)("extended attributes are not a way around the memory limit", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("a program cannot attach attributes to its stdout, stdin or files", async () => {
    const source = `import os
ok = []
open("f", "w").close()
for name, target in (("stdout", 1), ("stdin", 0), ("file", "f")):
    try:
        os.setxattr(target, "user.x", b"x" * 60000)
        ok.append(name)
    except OSError:
        pass
print("stored on", ok)
`;
    const [r] = await sb.run({
      program: { kind: "python", source },
      tests: [{ stdin: "1 2\n" }],
      limits: DEFAULT_LIMITS,
    });
    expect(r!.stdout.toString().trim()).toBe("stored on []");
  });

  it("kernel memory piled up across a function batch is not an accepted run", async () => {
    const code = `import os, time
N = [0]
def add(a, b):
    t0 = time.process_time()
    try:
        while time.process_time() - t0 < 0.8:
            os.setxattr(1, "user.a%d" % N[0], b"x" * 65000)
            N[0] += 1
    except OSError:
        pass
    return a + b
`;
    const tests: TestCase[] = Array.from({ length: 4 }, (_, i) => ({
      kind: "function",
      args: [py.int(i), py.int(1)],
      expected: py.int(i + 1),
    }));
    const base = slabMiB();
    let peak = base;
    const poll = setInterval(() => {
      peak = Math.max(peak, slabMiB());
    }, 100);
    let r: Awaited<ReturnType<Judge["judge"]>>;
    try {
      r = await new Judge(sb).judge(
        { kind: "function", entryPoint: "add" },
        tests,
        { language: "python", code },
        { limits: { ...DEFAULT_LIMITS, timeMs: 3000, memoryMb: 256 } },
      );
    } finally {
      clearInterval(poll);
    }
    const grown = peak - base;
    // Today: accepted 4/4, memoryKb about 15,000, while the slab grew by about 1,100 MiB.
    const hidden = r.verdict === "accepted" && grown > 512;
    expect(hidden, `${r.verdict}, slab grew ${grown.toFixed(0)} MiB`).toBe(false);
  });

  it.skipIf(!findExecutable("g++"))(
    "a C++ program cannot pass state to the next test through its executable",
    async () => {
      const code = `#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <sys/xattr.h>
int main() {
  char in[64] = {0};
  if (!fgets(in, sizeof in, stdin)) return 0;
  int fd = open("/proc/self/exe", O_RDONLY);
  char prev[256] = {0};
  ssize_t n = fgetxattr(fd, "user.seen", prev, sizeof prev - 1);
  char now[256];
  snprintf(now, sizeof now, "%s%s;", n > 0 ? prev : "", strtok(in, "\\n"));
  fsetxattr(fd, "user.seen", now, strlen(now), 0);
  printf("%s\\n", n > 0 ? prev : "none");
}
`;
      const r = await new Judge(sb).judge(
        { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
        ["alpha", "beta", "gamma"].map((x) => ({
          kind: "stdio" as const,
          input: `${x}\n`,
          output: "none\n",
        })),
        { language: "cpp", code },
        { limits: DEFAULT_LIMITS, stopOnFirstFailure: false },
      );
      // Today: the third test prints "alpha;beta;".
      expect(r.tests.map((t) => t.record.stdout.trim())).toEqual(["none", "none", "none"]);
    },
    120_000,
  );
});
