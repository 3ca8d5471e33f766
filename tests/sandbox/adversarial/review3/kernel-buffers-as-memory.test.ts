import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review 3: memory kept in kernel buffers, in no RSS and no tmpfs file (the memory limit is
 * RSS + scratch-space usage). A program fills pipes (F_SETPIPE_SZ up to pipe-max-size, 1 MiB
 * each; up to pipe-user-pages-soft, 64 MiB, per uid) and Unix socket pairs (queued skbs,
 * SO_SNDBUF) with its data, reads all of it back intact, and so holds far more than its
 * memory limit. Tried under CPython and PyPy, 128 MiB limit, 8 MiB touched in the heap.
 * The test fails when the program kept twice its limit (heap + kernel buffers), read all of
 * it back intact, and the verdict was still ok.
 * Observed (CPython and PyPy alike): verdict ok with memoryKb 25 MB (CPython) / 76 MB (PyPy),
 * 534 MiB kept (65 pipes of 1 MiB, 60 socket pairs of ~7.8 MiB: the loop's own cap; openFiles
 * 256 allows ~1 GiB), all read back intact. With bwrap the filter allows AF_UNIX
 * (prepare_seccomp(SERVER["pidns"]) in runner.py main), socketpair(2) (53) is not filtered
 * at all, SO_SNDBUF goes up to wmem_max (4 MiB, doubled), F_SETPIPE_SZ up to 1 MiB.
 * Fix: in judged programs refuse socketpair and socket(AF_UNIX) (no judged program needs
 * them; allow them only for --subprocesses jobs) and fcntl F_SETPIPE_SZ (1031), leaving
 * 64 KiB pipes x openFiles; or charge the uid's pipe/socket memory (a memory cgroup).
 * Status: fails on HEAD 7c19eab; passes with the uncommitted runner.py change seen in the work
 * tree at 00:53 (seccomp refuses F_SETPIPE_SZ and SO_SNDBUF/RCVBUF[FORCE]). What remains with
 * default buffers, measured then: 126 pipes x 64 KiB = 8 MiB, or 126 socket pairs = 28 MiB of
 * payload (about 50 MiB of kernel memory) at openFiles 256: bounded, below this test's bar.
 */

const hasPypy = (() => {
  try {
    execFileSync("pypy3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const SOURCE = `import os, fcntl, socket
HEAP_MB = 8
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix = "allowed"
except OSError:
    unix = "refused"
heap = bytearray(HEAP_MB << 20)
for i in range(0, len(heap), 4096):
    heap[i] = 1
kept = 0
pipes = []
chunk = b"\\x07" * (1 << 16)
try:
    while len(pipes) < 100:
        r, w = os.pipe()
        try:
            fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ
        except OSError:
            pass
        os.set_blocking(w, False)
        n = 0
        try:
            while True:
                n += os.write(w, chunk)
        except BlockingIOError:
            pass
        pipes.append((r, w, n))
        kept += n
        if n <= 65536:
            break
except OSError:
    pass
socks = []
try:
    while len(socks) < 60:
        a, b = socket.socketpair()
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        a.setblocking(False)
        n = 0
        try:
            while True:
                n += a.send(chunk)
        except (BlockingIOError, OSError):
            pass
        socks.append((a, b, n))
        kept += n
except OSError:
    pass
ok = True
for r, w, n in pipes:
    got = 0
    os.set_blocking(r, False)
    try:
        while got < n:
            d = os.read(r, 1 << 16)
            ok = ok and d == chunk[: len(d)]
            got += len(d)
    except BlockingIOError:
        pass
    ok = ok and got == n
for a, b, n in socks:
    got = 0
    b.setblocking(False)
    try:
        while got < n:
            d = b.recv(1 << 16)
            ok = ok and d == chunk[: len(d)]
            got += len(d)
    except BlockingIOError:
        pass
    ok = ok and got == n
print("kept_mb", kept >> 20, "pipes", len(pipes), "socks", len(socks), "intact", ok, "socket(AF_UNIX)", unix)
`;

describe.skipIf(!bwrapWorks)("kernel buffers are not free memory", () => {
  for (const python of ["cpython", "pypy"] as const) {
    describe.skipIf(python === "pypy" && !hasPypy)(python, () => {
      let sb: Sandbox;
      beforeAll(async () => {
        sb = await Sandbox.create({ workers: 1, python });
      });
      afterAll(async () => {
        await sb?.close();
      });
      it("128 MiB limit: 8 MiB of heap plus over 248 MiB in pipe and socket buffers, read back intact, is not an ok run", async () => {
        const [r] = await sb.run({
          program: { kind: "python", source: SOURCE },
          tests: [{ stdin: "" }],
          limits: { ...DEFAULT_LIMITS, memoryMb: 128, timeMs: 5000, wallMs: 15000 },
        });
        const out = r!.stdout.toString();
        const kept = Number(/kept_mb (\d+)/.exec(out)?.[1] ?? 0);
        const rssMb = r!.record.memoryKb / 1024;
        const info = `${r!.record.verdict} memoryKb=${r!.record.memoryKb} ${out} ${r!.record.stderr.slice(0, 300)}`;
        console.log(python, info);
        expect(r!.record.verdict === "ok" && /intact True/.test(out) && kept + 8 >= 2 * 128, info).toBe(
          false,
        );
        void rssMb;
      }, 60_000);
    });
  }
});
