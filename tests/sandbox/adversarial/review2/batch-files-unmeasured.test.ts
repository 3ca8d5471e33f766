import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { py } from "../../../../src/judge/pyvalue.js";
import type { TestCase } from "../../../../src/judge/types.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review 2 hole: the first review made files in the scratch tmpfs count as memory, but in a
 * function batch only Watch.wait's polling adds them (every 50 ms, and only while a call is
 * still running). The verdict of a call that answers within one poll interval takes its memory
 * from VmHWM alone (runner.py run_function_batch, `peak_rss_kb(pid, status_fd)`), and files
 * stay from one call to the next in the same child. A program that writes 30 MiB to a new
 * file in each call (about 15 ms) held 900 MiB of tmpfs after 30 calls under a 256 MiB limit;
 * every call reported memoryKb of about 45,000 and none said memory_limit.
 * Fix: the notify path's memory is max(VmHWM, current RSS + w.files_kb()).
 *
 * The same holds for files that occupy no blocks at all: empty files with long names cost the
 * kernel about 1 KiB each (inode, dentry) and statvfs's block count sees none of it. Six calls,
 * each creating empty files for 1.5 s of CPU, were all accepted with memoryKb 15,248 while the
 * kernel's slab grew by 1,073 MiB (tmpfs allows about 3 million inodes here). files_kb() should
 * count used inodes too ((f_files - f_ffree) x 1 KiB, tmpfs's own inode-space unit).
 */

const CODE = `
import os
N = [0]
BLOB = b"x" * (30 << 20)
def add(a, b):
    with open("f%d" % N[0], "wb") as f:
        f.write(BLOB)
    N[0] += 1
    return a + b
`;

describe.skipIf(!bwrapWorks)("files kept across the calls of a function batch", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("600 MiB of files under a 256 MiB limit is not accepted", async () => {
    const tests: TestCase[] = Array.from({ length: 20 }, (_, i) => ({
      kind: "function",
      args: [py.int(i), py.int(1)],
      expected: py.int(i + 1),
    }));
    const r = await new Judge(sb).judge(
      { kind: "function", entryPoint: "add" },
      tests,
      { language: "python", code: CODE },
      { limits: { ...DEFAULT_LIMITS, timeMs: 3000, memoryMb: 256 } },
    );
    const peak = Math.max(...r.tests.map((t) => t.record.memoryKb));
    // Today: accepted 20/20, highest memoryKb about 45,000.
    expect(r.verdict, `passed ${r.passed}/${r.total}, highest memoryKb ${peak}`).not.toBe("accepted");
  });

  it("a gigabyte of empty files' inodes under a 256 MiB limit is not accepted", async () => {
    const code = `import os, time
N = [0]
def add(a, b):
    t0 = time.process_time()
    while time.process_time() - t0 < 1.2:
        for i in range(500):
            os.close(os.open("f%08d%s" % (N[0], "y" * 230), os.O_CREAT | os.O_WRONLY, 0o600))
            N[0] += 1
    return a + b
`;
    const slab = () => Number(/^Slab:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0) / 1024;
    const tests: TestCase[] = Array.from({ length: 6 }, (_, i) => ({
      kind: "function",
      args: [py.int(i), py.int(1)],
      expected: py.int(i + 1),
    }));
    const base = slab();
    let peak = base;
    const poll = setInterval(() => {
      peak = Math.max(peak, slab());
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
    // Today: accepted 6/6, memoryKb about 15,000, slab grown by about 1 GiB.
    const hidden = r.verdict === "accepted" && peak - base > 512;
    expect(hidden, `${r.verdict}, slab grew ${(peak - base).toFixed(0)} MiB`).toBe(false);
  }, 120_000);
});
