import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type TestRun } from "../../../src/sandbox/index.js";
import { LIMITS, bwrapWorks } from "./helpers.js";

/**
 * Hole 5: limits counted only the main process. CPU burnt in forked children that were never
 * waited for (3 s on a 1 s limit, reported as 4 ms) and memory held by three children (1.8 GiB
 * on a 256 MiB limit) passed. Programs may not start processes by default; when a job allows
 * them (compilers, `sandbox.subprocesses: true`), CPU and memory are summed over all of them.
 */

const BURN_IN_CHILDREN = `
import os, time
pids = []
for _ in range(3):
    try:
        pid = os.fork()
    except OSError as e:
        print("fork refused", type(e).__name__)
        break
    if pid == 0:
        t = time.process_time()
        while time.process_time() - t < 1.5:
            pass
        os._exit(0)
    pids.append(pid)
time.sleep(2.5)
print("parent done")
`;

const HOLD_IN_CHILDREN = `
import os, time
# Each child says when its memory is touched, so the parent's end does not race the children
# (touching 150 MiB takes a second on VMs with slow page faults).
r, w = os.pipe()
started = 0
for _ in range(3):
    try:
        pid = os.fork()
    except OSError as e:
        print("fork refused", type(e).__name__)
        break
    if pid == 0:
        block = bytearray(150 << 20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        os.write(w, b"x")
        time.sleep(5)
        os._exit(0)
    started += 1
for _ in range(started):
    os.read(r, 1)
time.sleep(1)
print("parent done")
`;

describe.skipIf(!bwrapWorks)("hole 5: every limit covers everything the test started", () => {
  let strict: Sandbox;
  let loose: Sandbox;
  beforeAll(async () => {
    strict = await Sandbox.create({ workers: 1 });
    loose = await Sandbox.create({ workers: 1, subprocesses: true });
  });
  afterAll(async () => {
    await strict?.close();
    await loose?.close();
  });

  const run = async (sb: Sandbox, source: string, timeMs = LIMITS.timeMs): Promise<TestRun> => {
    const [r] = await sb.run({
      program: { kind: "python", source },
      tests: [{ stdin: "" }],
      limits: { ...LIMITS, timeMs, wallMs: 6000 + timeMs },
    });
    return r!;
  };

  it("by default a program cannot fork: its CPU and memory are all its own", async () => {
    const burn = await run(strict, BURN_IN_CHILDREN);
    expect(burn.stdout.toString()).toContain("fork refused PermissionError");
    const hold = await run(strict, HOLD_IN_CHILDREN);
    expect(hold.stdout.toString()).toContain("fork refused PermissionError");
  });

  it("with subprocesses allowed, CPU burnt in children that are never waited for counts", async () => {
    const r = await run(loose, BURN_IN_CHILDREN);
    expect(r.record.verdict, JSON.stringify(r.record)).toBe("time_limit");
    expect(r.record.cpuMs).toBeGreaterThanOrEqual(LIMITS.timeMs * 0.9);
  });

  it("with subprocesses allowed, memory held by several children counts together", async () => {
    // CPU time to spare: touching memory is slow on some VMs, so memory must be what runs out.
    const r = await run(loose, HOLD_IN_CHILDREN, 10_000);
    expect(r.record.verdict, JSON.stringify(r.record)).toBe("memory_limit");
  });

  it("a C++ program cannot fork either, and its threads' CPU counts", async () => {
    const p = await strict.prepare(
      "cpp",
      `#include <unistd.h>\n#include <cstdio>\n#include <thread>\n#include <vector>\nint main(){ printf("%s\\n", fork() < 0 ? "refused" : "forked"); fflush(stdout); std::vector<std::thread> ts; for (int i = 0; i < 3; i++) ts.emplace_back([]{ volatile unsigned long x = 0; for (;;) x++; }); for (auto& t : ts) t.join(); }\n`,
    );
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const [r] = await strict.run({ program: p.program, tests: [{ stdin: "" }], limits: LIMITS });
    expect(r!.stdout.toString()).toBe("refused\n");
    expect(r!.record.verdict).toBe("time_limit");
  });
});
