import { readFileSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type TestRun } from "../../../src/sandbox/index.js";
import { LIMITS, bwrapWorks, isRoot } from "./helpers.js";

/** Every process below `pid` (bwrap starts the supervisor in a session of its own). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    for (const k of kids.map(Number)) out.push(k, ...descendants(k));
  }
  return out;
}

/**
 * Hole 3: one program could hang the tool forever. A FIFO in place of the per-test stdout file
 * blocked the supervisor in open(); SIGSTOP through rt_sigqueueinfo (not filtered like kill)
 * stopped it; pidfd_send_signal killed it; setpriority and sched_setaffinity slowed every later
 * test. Now the supervisor runs under another uid than programs (the kernel refuses all of
 * these), outputs are memfds opened before the program starts, and a watchdog in Node bounds
 * every request.
 */

/** ctypes calls of the raw syscalls, each printing "<name> ok" or "<name> refused <errno>". */
const RAW_SIGNALS = `
import ctypes, os, signal, errno
libc = ctypes.CDLL(None, use_errno=True)
pp = os.getppid()
def call(name, nr, *args):
    r = libc.syscall(nr, *args)
    print(name, "ok" if r >= 0 else "refused %d" % ctypes.get_errno(), flush=True)
class siginfo(ctypes.Structure):
    _fields_ = [("signo", ctypes.c_int), ("errno", ctypes.c_int), ("code", ctypes.c_int), ("pad", ctypes.c_byte * 116)]
info = siginfo(signal.SIGSTOP, 0, -1)
call("rt_sigqueueinfo", 129, pp, signal.SIGSTOP, ctypes.byref(info))
call("rt_tgsigqueueinfo", 297, pp, pp, signal.SIGSTOP, ctypes.byref(info))
call("tgkill", 234, pp, pp, signal.SIGSTOP)
call("kill", 62, pp, signal.SIGSTOP)
call("kill-group", 62, 0 - pp, signal.SIGSTOP)
call("kill-init", 62, 1, signal.SIGKILL)
fd = os.open("/proc/%d" % pp, os.O_RDONLY | os.O_DIRECTORY) if os.path.exists("/proc/%d" % pp) else -1
call("pidfd_send_signal(/proc dir)", 424, fd, signal.SIGKILL, 0, 0)
call("pidfd_open", 434, pp, 0)
call("setpriority(process)", 141, 0, pp, 19)
call("setpriority(user)", 141, 2, 0, 19)
call("setpriority(user by uid)", 141, 2, os.getuid(), 19)
mask = ctypes.c_ulong(1)
call("sched_setaffinity", 203, pp, ctypes.sizeof(mask), ctypes.byref(mask))
call("prlimit64", 302, pp, 0, 0, 0)
call("ptrace(attach)", 101, 16, pp, 0, 0)
call("process_vm_readv", 310, pp, 0, 0, 0, 0, 0)
`;

describe.skipIf(!bwrapWorks)("hole 3: the supervisor is out of the program's reach", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  const run = async (source: string, limits = LIMITS): Promise<TestRun> => {
    const [r] = await sb.run({ program: { kind: "python", source }, tests: [{ stdin: "" }], limits });
    return r!;
  };

  /** A normal program right after, in the same worker: right answer, normal speed. */
  const expectHealthy = async () => {
    const t0 = Date.now();
    const runs = await sb.run({
      program: { kind: "python", source: "print(int(input()) * 2)" },
      tests: [{ stdin: "21\n" }, { stdin: "4\n" }],
      limits: LIMITS,
    });
    expect(runs.map((r) => [r.record.verdict, r.stdout.toString()])).toEqual([
      ["ok", "42\n"],
      ["ok", "8\n"],
    ]);
    expect(Date.now() - t0).toBeLessThan(5000);
  };

  it("runs programs under another uid than the supervisor's", () => {
    if (isRoot) {
      expect(sb.lastReady?.dedicatedUid).toBe(true);
      expect(sb.lastReady?.programUid).not.toBe(sb.lastReady?.uid);
      expect(sb.lastReady?.checkerUid).not.toBe(sb.lastReady?.programUid);
    }
  });

  it("signals, priority, affinity and limits aimed at the supervisor are refused, however sent", async () => {
    const starts = sb.stats.workerStarts;
    const r = await run(RAW_SIGNALS);
    const out = r.stdout.toString();
    expect(r.record.verdict, r.record.stderr).toBe("ok");
    for (const line of out.trim().split("\n")) expect(line, out).toMatch(/ refused \d+$/);
    expect(out.trim().split("\n").length).toBe(15);
    await expectHealthy();
    // The supervisor was neither stopped nor killed: the same one answered.
    expect(sb.stats.workerStarts).toBe(starts);
  });

  it("replacing output files with FIFOs does nothing: outputs are descriptors, not paths", async () => {
    const src = `
import os
for name in ("stdout", "stderr", "status", ".io-1", "out"):
    for d in (".", "/tmp", os.environ.get("TMPDIR", "/tmp")):
        try:
            os.mkfifo(os.path.join(d, name))
        except OSError:
            pass
for fd in (1, 2):
    print(os.readlink("/proc/self/fd/%d" % fd), flush=True)
`;
    const r = await run(src);
    expect(r.record.verdict).toBe("ok");
    expect(r.stdout.toString()).toMatch(/memfd:stdout/);
    await expectHealthy();
  });

  it("a supervisor that stops answering is killed by the watchdog and the verdict still comes", async () => {
    // Stop the supervisor from outside while a test sleeps: the request must end in bounded
    // time with a verdict, and the next request must work on a restarted supervisor.
    const slots = (sb as unknown as { slots: ({ proc: { pid: number } } | undefined)[] }).slots;
    const stopAll = () => {
      for (const w of slots)
        if (w) for (const pid of [w.proc.pid, ...descendants(w.proc.pid)]) process.kill(pid, "SIGSTOP");
    };
    const limits = { ...LIMITS, wallMs: 1000 };
    const pending = sb.run({
      program: { kind: "python", source: "import time\ntime.sleep(0.5)\nprint('x')\n" },
      tests: [{ stdin: "" }],
      limits,
    });
    await new Promise((r) => setTimeout(r, 100));
    stopAll();
    const t0 = Date.now();
    const [r] = await pending;
    // Silence limit: wall 1 s + 17 s, then one retry on a fresh supervisor that answers.
    expect(Date.now() - t0).toBeLessThan(40_000);
    expect(r!.record.verdict).toBe("ok");
    expect(sb.stats.stalls).toBeGreaterThanOrEqual(1);
    await expectHealthy();
  }, 60_000);
});
