import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review hole: System V shared memory and POSIX message queues live in the worker's IPC
 * namespace, which lasts as long as the worker. Nothing removes them between tests, so:
 * - a program leaves its stdin (a hidden test's input) in a segment or a queue under a known
 *   key, and a later submission in the same worker reads it and can print it in the stderr a
 *   model gets back as feedback;
 * - memory left in segments is held by nobody's RSS and never freed: 8 tests, each `ok` at
 *   143 MiB, left 2 GiB of host memory behind (until codeloop exits), enough to exhaust the host.
 * Competitive programs and HumanEval-style functions need neither (multiprocessing uses POSIX
 * semaphores in /dev/shm, not SysV): deny the syscalls, or give each test its own IPC namespace.
 */

const LIBC = `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
`;

const LEAVE_NOTE = `${LIBC}
data = input().encode()
sid = libc.shmget(0x5EC12E7, 4096, 0o1666)
if sid >= 0:
    p = libc.shmat(sid, None, 0)
    ctypes.memmove(p, data + b"\\0", len(data) + 1)
    libc.shmdt(ctypes.c_void_p(p))
q = libc.mq_open(b"/note", os.O_CREAT | os.O_WRONLY, 0o600, None)
if q >= 0:
    libc.mq_send(q, data, len(data), 0)
print("done")
`;

const READ_NOTE = `${LIBC}
found = []
sid = libc.shmget(0x5EC12E7, 0, 0)
if sid >= 0:
    found.append("shm:" + ctypes.string_at(libc.shmat(sid, None, 0)).decode())
q = libc.mq_open(b"/note", os.O_RDONLY | os.O_NONBLOCK, 0, None)
if q >= 0:
    buf = ctypes.create_string_buffer(9000)
    n = libc.mq_receive(q, buf, 9000, None)
    if n > 0:
        found.append("mq:" + buf.raw[:n].decode())
print(found)
`;

const LEAVE_MEMORY = `${LIBC}
for i in range(2):
    s = libc.shmget(0, 64 << 20, 0o1600)  # IPC_PRIVATE, never removed
    if s >= 0:
        q = libc.shmat(s, None, 0)
        ctypes.memset(q, 1, 64 << 20)
        libc.shmdt(ctypes.c_void_p(q))
print(int(input()) * 2)
`;

const shmemMb = () => Number(/^Shmem:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]) / 1024;

describe.skipIf(!bwrapWorks)("IPC objects a program creates do not outlive its test", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  const run = async (source: string, stdin: string) =>
    (await sb.run({ program: { kind: "python", source }, tests: [{ stdin }], limits: DEFAULT_LIMITS }))[0]!;

  it("a later submission finds nothing of an earlier one's input in shm segments or message queues", async () => {
    const a = await run(LEAVE_NOTE, "hidden input 8f3a\n");
    expect(a.record.verdict).toBe("ok");
    const b = await run(READ_NOTE, "");
    expect(b.record.verdict, b.record.stderr).toBe("ok");
    expect(b.stdout.toString()).not.toContain("8f3a");
  });

  it("memory a test leaves in segments is not held after the test", async () => {
    const before = shmemMb();
    const runs = await sb.run({
      program: { kind: "python", source: LEAVE_MEMORY },
      tests: [{ stdin: "1\n" }, { stdin: "2\n" }, { stdin: "3\n" }],
      limits: DEFAULT_LIMITS,
    });
    expect(runs.length).toBe(3);
    // Today: 384 MiB more, for as long as the worker lives.
    expect(shmemMb() - before).toBeLessThan(100);
  });
});
