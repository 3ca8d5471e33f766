import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { Sandbox, type TestRun } from "../../../../src/sandbox/index.js";
import { LIMITS, SCAN_LIMITS, bwrapWorks, memoryScanner } from "../helpers.js";

/**
 * Review 3, PyPy as the runtime (the supervisor itself runs under PyPy and makes some calls
 * through ctypes/libc: _Libc, _buf_pump, _closerange, seals by number). Attacks:
 * - descriptors: a PyPy child lists /proc/self/fd and reads each link; only its stdio and the
 *   status channel may be there (close_range through syscall 436, /proc/self/fd fallback);
 * - seals: writes, ftruncate and growth of fd 0 (the input memfd) must fail, and F_GET_SEALS
 *   must show WRITE|GROW|SHRINK|SEAL (fcntl of PyPy 3.9 names none of them);
 * - inherited memory: other tests' inputs of the same request, an earlier check script and an
 *   earlier program's output must not be in a PyPy child's address space (PyPy's moving
 *   collector leaves copies of moved objects behind; _Libc's raw buffer must be wiped);
 * - memory limit with PyPy's 4 GiB address-space headroom: 700 MiB touched quickly and freed
 *   again (between two 50 ms polls, in threads too) must still be memory_limit (ru_maxrss).
 * Observed: see the report of review 3 (results are asserted below).
 */

const hasPypy = (() => {
  try {
    execFileSync("pypy3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!bwrapWorks || !hasPypy)("PyPy children", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1, python: "pypy" });
  });
  afterAll(async () => {
    await sb?.close();
  });

  const run = async (source: string, stdin = "", limits = LIMITS): Promise<TestRun> => {
    const [r] = await sb.run({ program: { kind: "python", source }, tests: [{ stdin }], limits });
    return r!;
  };

  it("runs under PyPy", async () => {
    const r = await run("import sys\nprint(sys.implementation.name)\n");
    expect(r.stdout.toString().trim()).toBe("pypy");
  });

  it("holds no descriptor beyond its own stdio and status channel", async () => {
    const src = `
import os
out = []
for name in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        out.append("%s=%s" % (name, os.readlink("/proc/self/fd/" + name)))
    except OSError as e:
        out.append("%s=?" % name)
print("\\n".join(out))
`;
    const r = await run(src, "in\n");
    const fds = r.stdout.toString().trim().split("\n");
    expect(fds.length, r.record.stderr).toBeGreaterThan(2);
    // "N=?": the listing's own descriptor, closed by the time its link is read.
    const extra = fds.filter((f) => !/^[012]=/.test(f) && !/=\?$/.test(f));
    // The status channel (a memfd) is the one descriptor a Python child is meant to keep.
    expect(
      extra.filter((f) => !/memfd:status/.test(f)),
      fds.join(" "),
    ).toEqual([]);
  });

  it("cannot write, truncate or grow its sealed input", async () => {
    const src = `
import os, fcntl
res = []
try:
    res.append("seals=%d" % fcntl.fcntl(0, 1034))
except OSError as e:
    res.append("seals=err%d" % e.errno)
for name, fn in (("write", lambda: os.pwrite(0, b"X", 0)), ("trunc", lambda: os.ftruncate(0, 0)),
                 ("grow", lambda: os.ftruncate(0, 1 << 20)), ("wr", lambda: os.write(0, b"Y"))):
    try:
        fn()
        res.append(name + "=done")
    except OSError as e:
        res.append(name + "=refused")
os.lseek(0, 0, 0)
res.append("now=" + os.read(0, 100).decode())
print(" ".join(res))
`;
    const r = await run(src, "original");
    const out = r.stdout.toString();
    expect(out, out).toContain("seals=15");
    expect(out, out).not.toContain("=done");
    expect(out, out).toContain("now=original");
  });

  it("finds nothing of other tests, an earlier check script or an earlier output in memory", async () => {
    const marker = `pypy-leak-${process.pid}-f00d`;
    const judge = new Judge(sb);
    await judge.judge(
      { kind: "assert", entryPoint: "f", setup: `MARK = ${JSON.stringify(marker)}\n` },
      [{ kind: "assert", script: `assert f(${JSON.stringify(marker)}) == ${JSON.stringify(marker)}\n` }],
      { language: "python", code: "def f(x):\n    return x\n" },
      { limits: LIMITS },
    );
    await run(`print(${JSON.stringify(marker)} * 3)\nprint(input())\n`, `${marker}\n`);
    const other = `other-${process.pid}-cafe`;
    const runs = await sb.run({
      program: {
        kind: "python",
        source: `import os\n_d = os.read(0, 1 << 16)\n${memoryScanner(marker)}\nimport sys\nsys.argv = [${JSON.stringify(other.slice(0, 5))}]\n`,
      },
      tests: [{ stdin: "first\n" }, { stdin: `${marker}\n${other}\n` }, { stdin: "third\n" }],
      limits: SCAN_LIMITS,
    });
    // Positive control: the test holding the marker in its own input does find it.
    expect(runs[1]!.stdout.toString(), `${runs[1]!.record.verdict} ${runs[1]!.record.detail}`).toMatch(
      /^FOUND/,
    );
    expect(runs[0]!.stdout.toString(), `${runs[0]!.record.verdict} ${runs[0]!.record.detail}`).toMatch(
      /^clean/,
    );
    expect(runs[2]!.stdout.toString(), `${runs[2]!.record.verdict} ${runs[2]!.record.detail}`).toMatch(
      /^clean/,
    );
  }, 120_000);

  it("700 MiB touched and freed quickly is still over a 256 MiB limit", async () => {
    const src = `
import mmap, threading
def burst():
    m = mmap.mmap(-1, 700 << 20)
    for i in range(0, 700 << 20, 4096):
        m[i] = 1
    m.close()
burst()
print("survived")
`;
    const r = await run(src, "", { ...LIMITS, timeMs: 5000, wallMs: 10000 });
    expect(r.record.verdict, `${r.record.verdict} ${r.record.memoryKb} ${r.stdout}`).toBe("memory_limit");
  }, 60_000);

  it("memory touched by threads and freed counts too", async () => {
    const src = `
import mmap, threading
def burst():
    m = mmap.mmap(-1, 200 << 20)
    for i in range(0, 200 << 20, 4096):
        m[i] = 1
    ev.wait()
    m.close()
ev = threading.Event()
ts = [threading.Thread(target=burst) for _ in range(3)]
for t in ts: t.start()
import time; time.sleep(0.01)
ev.set()
for t in ts: t.join()
print("survived")
`;
    const r = await run(src, "", { ...LIMITS, timeMs: 5000, wallMs: 10000 });
    expect(r.record.verdict, `${r.record.verdict} ${r.record.memoryKb} ${r.stdout}`).toBe("memory_limit");
  }, 60_000);
});
