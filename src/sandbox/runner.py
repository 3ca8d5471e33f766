# codeloop sandbox supervisor: runs inside the sandbox (bubblewrap, or bare rlimits in fallback
# mode), receives whole test sets from the Node process and runs each test in a forked child.
#
# Protocol on fd 0 (requests) and fd 1 (replies): a frame is a 4-byte big-endian length, a JSON
# header of that length, then the raw bytes of the blobs whose lengths the header lists in
# "blobs". Replies: "ready" once, then per request one "result" per test and a final "done".
# A "cancel" frame between tests ends the current request early.
#
# What this process must never do, and why (docs/sandbox.md has the threat model):
# - run untrusted code: every program runs in a child that sets its limits, descriptors, uid
#   and seccomp filter first;
# - hold test data in its own heap: children are forked from it and can read their whole
#   address space, so request blobs go straight from the pipe into memfds (splice) and results
#   go from the children's memfds straight to the pipe (sendfile). A child sees its own inputs
#   and nothing of other tests, of other submissions, or of what earlier programs printed;
# - trust anything a program can write: its status records are forwarded raw and parsed in
#   Node; only what this process measures (wait status, rusage, CPU clocks) and what the
#   setup pipe says before the program starts is taken as fact.

import errno
import json
import os
import resource
import select
import signal
import struct
import sys
import time

# Modules that solutions import all the time, loaded once so each child starts warm.
# `random` is left out on purpose: a module imported here would share one seed across children.
import bisect  # noqa: F401
import collections
import functools  # noqa: F401
import heapq  # noqa: F401
import io
import itertools  # noqa: F401
import math  # noqa: F401
import re
import string  # noqa: F401
import threading
import traceback
import types
import linecache
import builtins
import array
import atexit
import base64
import gc

PROTO_IN = 0
PROTO_OUT = 1
# Descriptors of a child, away from the low numbers programs use.
STATUS_FD = 1000  # program-writable status records (untrusted)
SETUP_FD = 1001  # closed before the program starts: "R" = started, "S" = syntax error, "E" = setup failed
CALL_FD = 1002  # call requests (function batches and checker calls)
ARGS_FD = 1003  # function batches: the current call's arguments
REPLY_FD = 1004  # function batches: one byte per finished call; checker calls: the reply records
CHECK_FD = 1005  # checker: its input (entry name, context, setup, script)
SOURCE_FD = 1006  # Python programs: the source
BINARY_FD = 1007  # native programs: the executable, run with fexecve
NCPU = max(1, os.cpu_count() or 1)
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")
POLL_S = 0.05
SCRATCH = "/tmp"
COLLECT_CAP = 64 << 20
RANDOM = os.urandom


# PyPy 3.9 (Debian's pypy3) lacks some of os's Linux calls (readv, preadv, splice,
# copy_file_range, pidfd_open, waitid) and fcntl's seal constants. The same system calls made
# through libc keep the supervisor's behaviour identical under both runtimes; data read this
# way lands in a raw buffer outside the collector's heap (PyPy's collector moves objects, so a
# bytearray could not be wiped reliably) and is wiped after use like _BUF.
class _Libc(object):
    def __init__(self):
        import ctypes

        self.ct = ctypes
        self.lib = lib = ctypes.CDLL(None, use_errno=True)
        ssize, size, off = ctypes.c_ssize_t, ctypes.c_size_t, ctypes.c_longlong
        lib.read.argtypes = [ctypes.c_int, ctypes.c_void_p, size]
        lib.read.restype = ssize
        lib.pread.argtypes = [ctypes.c_int, ctypes.c_void_p, size, off]
        lib.pread.restype = ssize
        lib.write.argtypes = [ctypes.c_int, ctypes.c_void_p, size]
        lib.write.restype = ssize
        lib.splice.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, size, ctypes.c_uint]
        lib.splice.restype = ssize
        lib.copy_file_range.argtypes = [
            ctypes.c_int, ctypes.POINTER(off), ctypes.c_int, ctypes.POINTER(off), size, ctypes.c_uint,
        ]
        lib.copy_file_range.restype = ssize
        lib.syscall.restype = ctypes.c_long
        self.raw_len = 1 << 16
        self.raw = ctypes.create_string_buffer(self.raw_len)

    def check(self, r):
        if r < 0:
            e = self.ct.get_errno()
            raise OSError(e, os.strerror(e))
        return r

    def read_raw(self, fd, count, offset=None):
        n = min(count, self.raw_len)
        if offset is None:
            return self.check(self.lib.read(fd, self.raw, n))
        return self.check(self.lib.pread(fd, self.raw, n, offset))

    def write_raw(self, fd, n):
        base = self.ct.addressof(self.raw)
        done = 0
        while done < n:
            done += self.check(self.lib.write(fd, base + done, n - done))

    def wipe_raw(self, n):
        self.ct.memset(self.raw, 0, n)

    def splice(self, src, dst, count):
        return self.check(self.lib.splice(src, None, dst, None, count, 0))

    def copy_file_range(self, src, dst, count, offset_src, offset_dst):
        a, b = self.ct.c_longlong(offset_src), self.ct.c_longlong(offset_dst)
        return self.check(self.lib.copy_file_range(src, self.ct.byref(a), dst, self.ct.byref(b), count, 0))

    def close_range(self, lo, hi):
        # 436 on every architecture; hi is inclusive.
        return self.check(self.lib.syscall(436, self.ct.c_uint(lo), self.ct.c_uint(hi), self.ct.c_uint(0)))

    def pidfd_open(self, pid):
        # 434 on every architecture (the unified number of system calls added since 5.1).
        return self.check(self.lib.syscall(434, self.ct.c_int(pid), self.ct.c_uint(0)))


_LIBC = None if hasattr(os, "readv") and hasattr(os, "pidfd_open") else _Libc()
_splice = getattr(os, "splice", None) or (_LIBC and _LIBC.splice)
_copy_file_range = getattr(os, "copy_file_range", None) or (_LIBC and _LIBC.copy_file_range)
_pidfd_open = getattr(os, "pidfd_open", None) or (_LIBC and _LIBC.pidfd_open)
_O_PATH = getattr(os, "O_PATH", 0o10000000)


def _closerange(lo, hi):
    """os.closerange: CPython's uses close_range(2); PyPy's calls close() once per number,
    65,000 system calls (~100 ms) per child."""
    if _LIBC is None or hi <= lo:
        os.closerange(lo, hi)
        return
    try:
        _LIBC.close_range(lo, hi - 1)
    except OSError:
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if lo <= fd < hi:
                try:
                    os.close(fd)
                except OSError:
                    pass

# ---------------------------------------------------------------------------------------------
# descriptors and memfds: content moves between descriptors, never through Python objects


def new_memfd(name="x", sealable=False):
    """An anonymous regular file. Only files this process seals itself (a program's input and
    binary) allow seals: a program that sealed its own stdout against shrinking would make the
    supervisor's truncation between calls fail. Falls back to an unnamed O_TMPFILE where
    memfd_create is missing (old kernels, interpreters without os.memfd_create)."""
    if hasattr(os, "memfd_create"):
        flags = os.MFD_CLOEXEC | (getattr(os, "MFD_ALLOW_SEALING", 2) if sealable else 0)
        return os.memfd_create(name, flags)
    return os.open(SERVER["private"], os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)


def seal(fd):
    try:
        import fcntl

        # The numbers are Linux's (fcntl of PyPy 3.9 does not name them).
        add = getattr(fcntl, "F_ADD_SEALS", 1033)
        seals = 0
        for name, value in (("F_SEAL_SEAL", 1), ("F_SEAL_SHRINK", 2), ("F_SEAL_GROW", 4), ("F_SEAL_WRITE", 8)):
            seals |= getattr(fcntl, name, value)
        fcntl.fcntl(fd, add, seals)
    except (ImportError, AttributeError, OSError):
        pass


# One zeroed scratch buffer for the fallbacks: whatever passes through it is wiped afterwards.
_BUF = bytearray(1 << 16)


def _wipe(n):
    _BUF[:n] = bytes(n)


def _buf_pump(src, dst, count, offset=None):
    """Moves up to count bytes from src (at offset, else its position) to dst through the
    scratch buffer, wiped afterwards; returns how many (0 at end of file)."""
    if _LIBC is not None:
        n = _LIBC.read_raw(src, count, offset)
        if n > 0:
            _LIBC.write_raw(dst, n)
            _LIBC.wipe_raw(n)
        return n
    view = memoryview(_BUF)[: min(count, len(_BUF))]
    n = os.readv(src, [view]) if offset is None else os.preadv(src, [view], offset)
    if n > 0:
        write_all(dst, memoryview(_BUF)[:n])
        _wipe(n)
    return n


def copy_range(dst, src, offset, count):
    """Appends src[offset:offset+count] to dst at dst's file position."""
    while count > 0:
        try:
            n = os.sendfile(dst, src, offset, count)
        except OSError as e:
            if e.errno not in (errno.EINVAL, errno.ENOSYS):
                raise
            n = 0
        if n == 0:
            n = _buf_pump(src, dst, count, offset)
            if n <= 0:
                raise OSError(errno.EIO, "short read")
        offset += n
        count -= n


def place_at_start(dst, src, offset, count):
    """Writes src[offset:offset+count] at the start of dst."""
    if _copy_file_range is not None:
        done = 0
        try:
            while done < count:
                n = _copy_file_range(src, dst, count - done, offset + done, done)
                if n <= 0:
                    break
                done += n
            if done == count:
                return
        except OSError:
            pass
    os.lseek(dst, 0, os.SEEK_SET)
    copy_range(dst, src, offset, count)


def splice_in(dst, count):
    """Moves count bytes from the request pipe to dst."""
    while count > 0:
        n = 0
        if _splice is not None:
            try:
                n = _splice(PROTO_IN, dst, count)
            except OSError as e:
                if e.errno not in (errno.EINVAL, errno.ENOSYS):
                    raise
                n = -1
            if n == 0:
                raise EOFError
        if n <= 0:
            n = _buf_pump(PROTO_IN, dst, count)
            if n == 0:
                raise EOFError
        count -= n


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(n):
    chunks = []
    while n > 0:
        b = os.read(PROTO_IN, min(n, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


class Request:
    """A request's blobs, kept in one memfd; only offsets live in this process."""

    def __init__(self, header):
        self.header = header
        self.fd = new_memfd("request")
        self.spans = []
        off = 0
        for n in header.get("blobs", []):
            n = int(n)
            splice_in(self.fd, n)
            self.spans.append((off, n))
            off += n

    def span(self, idx):
        if idx is None:
            return None
        return self.spans[int(idx)]

    def memfd_of(self, idx, sealed=True):
        """A new memfd holding one blob (a program, a test's input)."""
        off, n = self.spans[int(idx)]
        fd = new_memfd("blob", sealable=sealed)
        copy_range(fd, self.fd, off, n)
        os.lseek(fd, 0, os.SEEK_SET)
        if sealed:
            seal(fd)
        return fd

    def close(self):
        os.close(self.fd)


def read_frame():
    head = read_exact(4)
    if head is None:
        return None
    (hlen,) = struct.unpack(">I", head)
    raw = read_exact(hlen)
    if raw is None:
        return None
    return json.loads(raw)


def send(header, parts=()):
    """parts: (name, (fd, offset, length)) ranges of memfds; header["layout"] names them."""
    header["layout"] = [name for name, _ in parts]
    header["blobs"] = [p[2] for _, p in parts]
    h = json.dumps(header, separators=(",", ":")).encode()
    write_all(PROTO_OUT, struct.pack(">I", len(h)) + h)
    for _, (fd, off, n) in parts:
        copy_range(PROTO_OUT, fd, off, n)


def fd_size(fd):
    try:
        return os.fstat(fd).st_size
    except OSError:
        return 0


def head_tail_parts(fd, cap):
    """stdout/stderr kept for display: the whole file if small, else its head and tail."""
    size = fd_size(fd)
    if size <= cap:
        return [(fd, 0, size)], size
    half = cap // 2
    return [(fd, 0, half), (fd, size - half, half)], size


# ---------------------------------------------------------------------------------------------
# seccomp (x86_64 only): a small classic-BPF program assembled here, installed in each child


SYS = {
    "socket": 41, "clone": 56, "fork": 57, "vfork": 58, "kill": 62, "ptrace": 101, "setpgid": 109,
    "setsid": 112, "getpriority": 140, "setpriority": 141, "sched_setparam": 142,
    "sched_setscheduler": 144, "pivot_root": 155, "chroot": 161, "mount": 165, "umount2": 166,
    "rt_sigqueueinfo": 129, "tkill": 200, "sched_setaffinity": 203, "tgkill": 234, "add_key": 248,
    "request_key": 249, "keyctl": 250, "ioprio_set": 251, "migrate_pages": 256, "unshare": 272,
    "move_pages": 279, "rt_tgsigqueueinfo": 297, "perf_event_open": 298, "prlimit64": 302,
    "name_to_handle_at": 303, "open_by_handle_at": 304, "setns": 308, "process_vm_readv": 310,
    "process_vm_writev": 311, "kcmp": 312, "sched_setattr": 314, "memfd_create": 319, "bpf": 321,
    "userfaultfd": 323, "pidfd_send_signal": 424, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "pidfd_open": 434, "clone3": 435, "pidfd_getfd": 438,
    "process_madvise": 440, "mount_setattr": 442,
    "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66, "shmdt": 67,
    "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semtimedop": 220, "mq_open": 240,
    "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
    "mq_getsetattr": 245, "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190, "setxattrat": 463,
    "fcntl": 72, "ioctl": 16, "setsockopt": 54,
}
DENY_ALWAYS = [
    "ptrace", "setpgid", "setsid", "pivot_root", "chroot", "mount", "umount2", "add_key",
    "request_key", "keyctl", "unshare", "perf_event_open", "name_to_handle_at",
    "open_by_handle_at", "setns", "process_vm_readv", "process_vm_writev", "bpf",
    "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "kcmp",
    "pidfd_send_signal", "pidfd_getfd", "process_madvise", "memfd_create", "open_tree",
    "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # SysV and POSIX IPC objects outlive the process that made them (the sandbox has one IPC
    # namespace for all its tests): one submission could leave its input for the next, and
    # memory outside every limit. No judged program needs them.
    "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop",
    "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
    "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # Extended attributes live in kernel memory no limit counts (64 KiB a name, on the tmpfs and
    # on every memfd, stdout included) and stay on files that outlive a test.
    "setxattr", "lsetxattr", "fsetxattr", "setxattrat",
]
# fcntl/ioctl requests that make the kernel signal another process on I/O (F_SETOWN and
# friends): the owner named must be the caller or its own descendants, like a kill's target.
F_SETOWN, F_SETSIG, F_SETOWN_EX = 8, 10, 15
# Kernel buffers a program could fill with its data outside RSS and outside its files: a pipe
# grown with F_SETPIPE_SZ (1 MiB each), a socket's send and receive buffers raised with
# setsockopt (up to wmem_max and rmem_max, doubled; the FORCE variants beyond). Refused, the
# defaults leave 64 KiB per pipe and about 200 KiB per Unix socket, times the open-files limit.
F_SETPIPE_SZ = 1031
SOL_SOCKET = 1
SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE = 7, 8, 32, 33
FIOSETOWN, SIOCSPGRP, TIOCSPGRP, TIOCSTI = 0x8901, 0x8902, 0x5410, 0x5412
# Syscalls whose first argument is a pid: allowed only for 0 (self), the child's own group
# (negative pid <= -own) or later pids (its own descendants), never for the supervisor or a
# checker started before the program. With a dedicated uid the kernel refuses these anyway;
# the filter is what protects the supervisor when codeloop does not run as root.
PID_GUARDED = [
    "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open", "prlimit64",
    "sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr",
    "migrate_pages", "move_pages",
]
# setpriority/ioprio_set(which, who, ...): only the caller itself or its own process group
# (who == 0), never a whole uid: PRIO_USER would slow down every process of a shared uid.
AUDIT_ARCH_X86_64 = 0xC000003E
RET_ALLOW = 0x7FFF0000
RET_EPERM = 0x00050000 | errno.EPERM
RET_ENOSYS = 0x00050000 | errno.ENOSYS
CLONE_THREAD = 0x00010000
CLONE_NEWUSER = 0x10000000
AF_UNIX = 1


def assemble(prog):
    """prog: list of (code, jt, jf, k) where jt/jf may be label names; labels are ("label", name)."""
    labels = {}
    pos = 0
    for ins in prog:
        if ins[0] == "label":
            labels[ins[1]] = pos
        else:
            pos += 1
    out = []
    pos = 0
    for ins in prog:
        if ins[0] == "label":
            continue
        code, jt, jf, k = ins
        if isinstance(jt, str):
            jt = labels[jt] - pos - 1
        if isinstance(jf, str):
            jf = labels[jf] - pos - 1
        if not (0 <= jt < 256 and 0 <= jf < 256):
            raise ValueError("bpf jump out of range")
        out.append(struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF))
        pos += 1
    return b"".join(out)


LD_W_ABS = 0x20
JEQ_K = 0x15
JGE_K = 0x35
JGT_K = 0x25
JSET_K = 0x45
RET_K = 0x06


def build_filter(own_pid, allow_unix_sockets, allow_subprocesses):
    p = [
        (LD_W_ABS, 0, 0, 4),
        (JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        (RET_K, 0, 0, RET_EPERM),
        (LD_W_ABS, 0, 0, 0),
        (JGE_K, "deny", 0, 0x40000000),  # x32 ABI
    ]
    for name in DENY_ALWAYS:
        p.append((JEQ_K, "deny", 0, SYS[name]))
    if not allow_subprocesses:
        p.append((JEQ_K, "deny", 0, SYS["fork"]))
        p.append((JEQ_K, "deny", 0, SYS["vfork"]))
    p.append((JEQ_K, "enosys", 0, SYS["clone3"]))  # glibc falls back to clone, which we can inspect
    p.append((JEQ_K, "clone", 0, SYS["clone"]))
    p.append((JEQ_K, "socket", 0, SYS["socket"]))
    for name in PID_GUARDED:
        p.append((JEQ_K, "pidarg", 0, SYS[name]))
    p.append((JEQ_K, "prio", 0, SYS["setpriority"]))
    p.append((JEQ_K, "ioprio", 0, SYS["ioprio_set"]))
    p.append((JEQ_K, "fcntl", 0, SYS["fcntl"]))
    p.append((JEQ_K, "ioctl", 0, SYS["ioctl"]))
    p.append((JEQ_K, "sockopt", 0, SYS["setsockopt"]))
    p.append((RET_K, 0, 0, RET_ALLOW))
    p += [
        ("label", "clone"),
        (LD_W_ABS, 0, 0, 16),
        (JSET_K, "deny", 0, CLONE_NEWUSER),
    ]
    if not allow_subprocesses:
        # Threads (CLONE_THREAD) are fine: their CPU time and memory are the process's own.
        p.append((JSET_K, "allow", "deny", CLONE_THREAD))
    p += [
        (RET_K, 0, 0, RET_ALLOW),
        ("label", "socket"),
        (LD_W_ABS, 0, 0, 16),
        (JEQ_K, 0, "deny", AF_UNIX) if allow_unix_sockets else (RET_K, 0, 0, RET_EPERM),
        (RET_K, 0, 0, RET_ALLOW),
        ("label", "prio"),
        (LD_W_ABS, 0, 0, 16),
        (JGT_K, "deny", "who", 1),  # PRIO_PROCESS 0, PRIO_PGRP 1; not PRIO_USER 2
        ("label", "ioprio"),
        (LD_W_ABS, 0, 0, 16),
        (JEQ_K, "deny", 0, 0),
        (JGT_K, "deny", "who", 2),  # IOPRIO_WHO_PROCESS 1, PGRP 2; not USER 3
        ("label", "who"),
        (LD_W_ABS, 0, 0, 24),
        (JEQ_K, "allow", "deny", 0),
        ("label", "sockopt"),
        (LD_W_ABS, 0, 0, 24),
        (JEQ_K, 0, "allow", SOL_SOCKET),
        (LD_W_ABS, 0, 0, 32),
        (JEQ_K, "deny", 0, SO_SNDBUF),
        (JEQ_K, "deny", 0, SO_RCVBUF),
        (JEQ_K, "deny", 0, SO_SNDBUFFORCE),
        (JEQ_K, "deny", "allow", SO_RCVBUFFORCE),
        ("label", "fcntl"),
        (LD_W_ABS, 0, 0, 24),
        (JEQ_K, "deny", 0, F_SETPIPE_SZ),
        (JEQ_K, "deny", 0, F_SETSIG),
        (JEQ_K, "deny", 0, F_SETOWN_EX),
        (JEQ_K, "owner", "allow", F_SETOWN),
        ("label", "owner"),
        (LD_W_ABS, 0, 0, 32),
        (JGE_K, "pidcheck", "pidcheck", 0),  # an unconditional jump
        ("label", "ioctl"),
        (LD_W_ABS, 0, 0, 24),
        (JEQ_K, "deny", 0, FIOSETOWN),
        (JEQ_K, "deny", 0, SIOCSPGRP),
        (JEQ_K, "deny", 0, TIOCSPGRP),
        (JEQ_K, "deny", "allow", TIOCSTI),
        ("label", "pidarg"),
        (LD_W_ABS, 0, 0, 16),
        ("label", "pidcheck"),
        (JEQ_K, "allow", 0, 0),
        (JGE_K, "neg", 0, 0x80000000),
        (JGE_K, "allow", "deny", own_pid),
        ("label", "neg"),
        (JGT_K, "deny", "allow", (1 << 32) - own_pid),
        ("label", "allow"),
        (RET_K, 0, 0, RET_ALLOW),
        ("label", "enosys"),
        (RET_K, 0, 0, RET_ENOSYS),
        ("label", "deny"),
        (RET_K, 0, 0, RET_EPERM),
    ]
    return assemble(p)


PID_PLACEHOLDER = 0x3ABCDEF1
_seccomp = {}


def prepare_seccomp(allow_unix_sockets):
    """Builds the filters and the ctypes objects once, in the supervisor: doing it in every
    child costs milliseconds (copy-on-write faults in ctypes), patching the pid costs nothing."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    for subprocesses in (False, True):
        code = build_filter(PID_PLACEHOLDER, allow_unix_sockets, subprocesses)
        slots = []
        for off in range(0, len(code), 8):
            (k,) = struct.unpack_from("I", code, off + 4)
            if k == PID_PLACEHOLDER:
                slots.append((off + 4, False))
            elif k == (1 << 32) - PID_PLACEHOLDER:
                slots.append((off + 4, True))
        buf = ctypes.create_string_buffer(code, len(code))
        prog = SockFprog(len(code) // 8, ctypes.addressof(buf))
        _seccomp[subprocesses] = dict(buf=buf, prog=prog, addr=ctypes.addressof(prog), slots=slots)
    _seccomp.update(libc=libc, ctypes=ctypes)


def install_seccomp(own_pid, subprocesses):
    s = _seccomp[bool(subprocesses)]
    for off, negative in s["slots"]:
        struct.pack_into("I", s["buf"], off, ((1 << 32) - own_pid) if negative else own_pid)
    libc = _seccomp["libc"]
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(_seccomp["ctypes"].get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.prctl(22, 2, s["addr"], 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(_seccomp["ctypes"].get_errno(), "PR_SET_SECCOMP")


def probe_seccomp():
    """Checks once, in a throwaway child, that the filter installs and blocks what it should."""
    if os.uname().machine != "x86_64":
        return False, "seccomp filter is written for x86_64 only"
    try:
        import ctypes  # noqa: F401
    except ImportError as e:
        return False, "ctypes unavailable: %s" % e
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            prepare_seccomp(True)
            install_seccomp(os.getpid(), False)
            try:
                os.setsid()
                ok = b"setsid-allowed"
            except PermissionError:
                try:
                    if os.fork() == 0:
                        os._exit(0)
                    ok = b"fork-allowed"
                except PermissionError:
                    ok = b"ok"
            os.write(w, ok)
        except BaseException as e:
            os.write(w, repr(e).encode()[:200])
        os._exit(0)
    os.close(w)
    msg = b""
    while True:
        b = os.read(r, 512)
        if not b:
            break
        msg += b
    os.close(r)
    os.waitpid(pid, 0)
    if msg == b"ok":
        return True, ""
    return False, msg.decode(errors="replace") or "probe child died"


# ---------------------------------------------------------------------------------------------
# typed values (the encoding of src/judge/pyvalue.ts)


def unlimited_int_digits(fn, *args):
    """Runs fn with Python 3.11's int/str digit limit lifted: returned values and arguments
    are data here, and EvalPlus-style inputs hold integers with tens of thousands of digits."""
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:
        return fn(*args)
    old = get()
    sys.set_int_max_str_digits(0)
    try:
        return fn(*args)
    finally:
        sys.set_int_max_str_digits(old)


def float_part(x):
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return x


class Opaque:
    """A value the candidate returned that is not plain data: equal to nothing, true of nothing."""

    __slots__ = ("type_name", "text")

    def __init__(self, type_name, text):
        self.type_name = type_name
        self.text = text

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    __hash__ = object.__hash__

    def __bool__(self):
        raise TypeError("the candidate returned an object of type %s, which the judge cannot use" % self.type_name)

    def __repr__(self):
        return self.text


def decode_value(v, depth=0):
    if depth > 1000 or not isinstance(v, list) or not v:
        raise ValueError("malformed value")
    tag = v[0]
    if tag == "c":
        return complex(float(v[1]), float(v[2]))
    if tag == "T":
        inner = decode_value(v[2], depth + 1)
        if v[1] == "collections.Counter":
            return collections.Counter(inner)
        if v[1] == "collections.OrderedDict":
            return collections.OrderedDict(inner)
        if v[1] == "collections.deque":
            return collections.deque(inner)
        if v[1] == "collections.defaultdict":
            return collections.defaultdict(None, inner)
        return inner
    if tag == "N":
        return None
    if tag == "b":
        return bool(v[1])
    if tag == "i":
        s = v[1]
        return int(s, 16) if "x" in s else int(s)
    if tag == "f":
        return float(v[1])
    if tag == "s":
        if not isinstance(v[1], str):
            raise ValueError("malformed string")
        return v[1]
    if tag == "y":
        return base64.b64decode(v[1])
    if tag == "l":
        return [decode_value(x, depth + 1) for x in v[1]]
    if tag == "t":
        return tuple(decode_value(x, depth + 1) for x in v[1])
    if tag == "S":
        return {decode_value(x, depth + 1) for x in v[1]}
    if tag == "F":
        return frozenset(decode_value(x, depth + 1) for x in v[1])
    if tag == "d":
        return {decode_value(k, depth + 1): decode_value(x, depth + 1) for k, x in v[1]}
    if tag == "o":
        return Opaque(str(v[1])[:100], str(v[2])[:200])
    if tag in ("Jd", "Jq"):
        a = array.array("d" if tag == "Jd" else "q", base64.b64decode(v[2]))
        if sys.byteorder == "big":
            a.byteswap()
        items = a.tolist()
        return items if v[1] == "l" else tuple(items)
    if tag == "Jn":
        rows = json.loads(v[3])
        if not isinstance(rows, list) or not all(isinstance(r, list) and all(type(x) in JSON_SCALARS for x in r) for r in rows):
            raise ValueError("malformed packed rows")
        rows = [tuple(r) for r in rows] if v[2] == "t" else rows
        return rows if v[1] == "l" else tuple(rows)
    if tag == "JM":
        pairs = json.loads(v[1])
        if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and all(type(x) in JSON_SCALARS for x in p) for p in pairs):
            raise ValueError("malformed packed dict")
        return {k: x for k, x in pairs}
    if tag == "J":
        items = json.loads(v[2])
        if not isinstance(items, list) or not all(type(x) in JSON_SCALARS for x in items):
            raise ValueError("malformed packed list")
        return items if v[1] == "l" else tuple(items)
    raise ValueError("cannot decode value tag %r" % (tag,))


# Standard-library types with value semantics, sent as their builtin form.
VALUE_TYPES = {
    collections.Counter: ("collections.Counter", dict),
    collections.OrderedDict: ("collections.OrderedDict", dict),
    collections.defaultdict: ("collections.defaultdict", dict),
    collections.deque: ("collections.deque", list),
    re.Match: ("re.Match", lambda m: (m.span(), m.group(0))),
}


INT_HEX_BITS = 16384  # PY_INT_HEX_BITS in src/judge/pyvalue.ts
# Element types a long list or tuple can carry as plain JSON text (["J", "l"|"t", text]):
# json.dumps maps each of them one-to-one onto a PyValue that src/judge/pyvalue.ts's
# pyFromJsonText gives back (1 vs 1.0 kept apart, NaN/Infinity included), at C speed instead
# of a Python call per element (a million-element list took 1.6 s; HumanEval+ returns those).
JSON_SCALARS = frozenset((int, float, str, bool, type(None)))


def scalars_fit_json(items, types):
    """Whether json.dumps writes these scalars in linear time: ints no wider than runner.py
    writes in decimal."""
    if int not in types:
        return True
    ints = items if types == {int} else [x for x in items if type(x) is int]
    return max(-min(ints), max(ints)).bit_length() <= INT_HEX_BITS


def packed_rows(v, kind, budget):
    """A long list or tuple of tuples (or of lists) of scalars, one json.dumps: its rows as
    JSON arrays, and which of the two they were ("Jn", kind, "t"|"l", text)."""
    rows = set(map(type, v))
    if len(rows) != 1 or not rows <= {tuple, list}:
        return None
    flat = list(itertools.chain.from_iterable(v))
    types = set(map(type, flat))
    if not types <= JSON_SCALARS or not scalars_fit_json(flat, types):
        return None
    budget[0] -= len(v) + len(flat)
    if budget[0] < 0:
        raise EncodeLimit("return value too large or too deeply nested")
    return ["Jn", kind, "t" if tuple in rows else "l", json.dumps(v, separators=(",", ":"))]


def packed_dict(v, budget):
    """A long dict of scalars to scalars: its items as one JSON array of pairs ("JM", text)."""
    if len(v) < 8:
        return None
    keys = set(map(type, v.keys()))
    values = set(map(type, v.values()))
    if not keys <= JSON_SCALARS or not values <= JSON_SCALARS:
        return None
    if not scalars_fit_json(list(v.keys()), keys) or not scalars_fit_json(list(v.values()), values):
        return None
    budget[0] -= 2 * len(v)
    if budget[0] < 0:
        raise EncodeLimit("return value too large or too deeply nested")
    return ["JM", json.dumps(list(v.items()), separators=(",", ":"))]


def packed(v, kind, budget):
    if len(v) < 8:
        return None
    types = set(map(type, v))
    if not types <= JSON_SCALARS:
        return packed_rows(v, kind, budget)
    budget[0] -= len(v)
    if budget[0] < 0:
        raise EncodeLimit("return value too large or too deeply nested")
    if types == {float}:
        # All floats: their IEEE bytes, exact and ten times faster than their reprs.
        return ["Jd", kind, base64.b64encode(little_endian(array.array("d", v))).decode()]
    if int in types:
        ints = v if types == {int} else [x for x in v if type(x) is int]
        lo, hi = min(ints), max(ints)
        if types == {int} and -(1 << 63) <= lo and hi < (1 << 63):
            return ["Jq", kind, base64.b64encode(little_endian(array.array("q", v))).decode()]
        if max(-lo, hi).bit_length() > INT_HEX_BITS:
            return None
    return ["J", kind, json.dumps(v, separators=(",", ":"))]


def little_endian(a):
    if sys.byteorder == "big":
        a.byteswap()
    return a.tobytes()


class EncodeLimit(Exception):
    pass


def encode_value(v, depth=0, budget=None):
    # Values are taken by their builtin base type's own data (int.__int__, dict.items, ...),
    # never through methods a subclass overrides: an int subclass whose __eq__ lies is sent as
    # the int it really holds, and the comparison in Node never asks the object anything.
    if budget is None:
        budget = [2_000_000]
    budget[0] -= 1
    if budget[0] < 0 or depth > 200:
        raise EncodeLimit("return value too large or too deeply nested")
    t = type(v)
    if v is None:
        return ["N"]
    if t is bool:
        return ["b", v]
    if t in VALUE_TYPES:
        name, as_builtin = VALUE_TYPES[t]
        return ["T", name, encode_value(as_builtin(v), depth + 1, budget)]
    if isinstance(v, int):
        x = int.__int__(v)
        # Wide ints in hexadecimal: str() is quadratic in CPython (10 s at 845,000 digits).
        return ["i", str(x) if x.bit_length() <= INT_HEX_BITS else hex(x)]
    if isinstance(v, float):
        return ["f", float_part(float.__float__(v))]
    if isinstance(v, complex):
        return ["c", float_part(complex.real.__get__(v)), float_part(complex.imag.__get__(v))]
    if isinstance(v, str):
        return ["s", str.__str__(v)]
    if isinstance(v, (bytes, bytearray)):
        return ["y", base64.b64encode(bytes(memoryview(v))).decode()]
    if t is list:
        return packed(v, "l", budget) or ["l", [encode_value(x, depth + 1, budget) for x in v]]
    if t is tuple:
        return packed(v, "t", budget) or ["t", [encode_value(x, depth + 1, budget) for x in v]]
    if isinstance(v, list):
        return ["l", [encode_value(x, depth + 1, budget) for x in list.__iter__(v)]]
    if isinstance(v, tuple):
        return ["t", [encode_value(x, depth + 1, budget) for x in tuple.__iter__(v)]]
    if isinstance(v, frozenset):
        return ["F", [encode_value(x, depth + 1, budget) for x in frozenset.__iter__(v)]]
    if isinstance(v, set):
        return ["S", [encode_value(x, depth + 1, budget) for x in set.__iter__(v)]]
    if t is dict:
        return packed_dict(v, budget) or ["d", [[encode_value(k, depth + 1, budget), encode_value(x, depth + 1, budget)] for k, x in v.items()]]
    if isinstance(v, dict):
        return ["d", [[encode_value(k, depth + 1, budget), encode_value(x, depth + 1, budget)] for k, x in dict.items(v)]]
    if t is Opaque:
        return ["o", v.type_name, v.text]
    try:
        r = object.__repr__(v)
    except BaseException:
        r = "<unrepresentable>"
    return ["o", getattr(t, "__qualname__", "object"), r[:200]]


# ---------------------------------------------------------------------------------------------
# the child: limits, descriptors, uid, seccomp, then the program


SERVER = {
    "seccomp": False, "pidns": False, "dedicated_uid": False, "uid": None, "checker_uid": None,
    "private": None, "fresh": False, "shared_dirs": [],
}


def set_limits(lim):
    def setl(res, soft, hard=None):
        if soft is None:
            return
        hard = soft if hard is None else hard
        try:
            resource.setrlimit(res, (soft, hard))
        except (ValueError, OSError):
            cur = resource.getrlimit(res)
            resource.setrlimit(res, (min(soft, cur[1]) if cur[1] != resource.RLIM_INFINITY else soft, cur[1]))

    # RLIMIT_CPU is a backstop (the supervisor enforces CPU time itself, per test or per call);
    # a function batch's covers all the calls its child may answer, since the rlimit counts
    # the process's whole life.
    cpu_s = int(lim.get("cpuBackstopMs", lim["cpuMs"]) / 1000) + 1
    setl(resource.RLIMIT_CPU, cpu_s, cpu_s + 1)
    if lim.get("addressSpaceKb"):
        setl(resource.RLIMIT_AS, int(lim["addressSpaceKb"]) * 1024)
    if lim.get("stackKb"):
        # Soft only: `setrlimit(RLIMIT_STACK, (RLIM_INFINITY, RLIM_INFINITY))`, an idiom of
        # accepted solutions, must work as on a judge whose hard limit is unlimited; memory is
        # limited anyway.
        setl(resource.RLIMIT_STACK, int(lim["stackKb"]) * 1024, resource.getrlimit(resource.RLIMIT_STACK)[1])
    setl(resource.RLIMIT_FSIZE, int(lim["fileSizeKb"]) * 1024)
    setl(resource.RLIMIT_NOFILE, int(lim["openFiles"]))
    setl(resource.RLIMIT_CORE, 0)
    if lim.get("processes") and SERVER["dedicated_uid"]:
        setl(resource.RLIMIT_NPROC, int(lim["processes"]))


def _gc_freeze():
    freeze = getattr(gc, "freeze", None)
    if freeze is not None:
        freeze()


def enter_child(fdmap, work_dir, lim, uid, subprocesses, exec_after):
    """In a fresh child: own process group, the given descriptors only, limits, uid, seccomp.
    fdmap: target fd -> source fd. Raises on failure (the caller reports it on SETUP_FD)."""
    # Everything the supervisor allocated is now out of the collector's reach: a collection in
    # the child would otherwise touch, and so copy, every page those objects live on. (PyPy's
    # moving collector has no freeze.)
    _gc_freeze()
    os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if exec_after:
        # exec keeps ignored signals ignored: a C++ program expects the defaults.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # Move every source out of the way first, so that targets and sources may overlap.
    staged = {}
    for target, src in fdmap.items():
        staged[target] = os.dup(src) if src is not None else None
    for target, tmp in staged.items():
        if tmp is None:
            continue
        os.dup2(tmp, target, inheritable=True)
        os.close(tmp)
    keep = sorted(fdmap)
    last = 3
    for fd in keep:
        if fd >= last:
            _closerange(last, fd)
            last = fd + 1
    _closerange(last, 1 << 16)
    if exec_after:
        for fd in (STATUS_FD, SETUP_FD, CALL_FD, ARGS_FD, REPLY_FD, CHECK_FD, SOURCE_FD, BINARY_FD):
            if fd in fdmap:
                os.set_inheritable(fd, False)
    os.chdir(work_dir)
    set_limits(lim)
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    libc = _seccomp.get("libc")
    if libc is not None:
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG(SIGKILL): cleared by the uid change, so set it now
    if SERVER["seccomp"]:
        install_seccomp(os.getpid(), subprocesses)


def child_env(work_dir, extra=None):
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": work_dir, "TMPDIR": work_dir}
    env.update(SANDBOX_ENV)
    if extra:
        env.update({str(k): str(v) for k, v in extra.items()})
    return env


SANDBOX_ENV = {"PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}


def setup_failed(e):
    try:
        os.write(SETUP_FD, b"E" + repr(e).encode("utf-8", "replace")[:2000])
    except BaseException:
        pass
    os._exit(121)


def report(obj):
    # One JSON object per line: a run can report a trace and then its outcome.
    data = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
    try:
        write_all(STATUS_FD, data)
    except OSError:
        pass


def exec_child(prog, test, work_dir, lim, fds, subprocesses):  # noqa: C901
    """Child for a native program (compiled binary, g++, a validator). Never returns."""
    try:
        enter_child(fds, work_dir, lim, SERVER["uid"], subprocesses, True)
        argv = test.get("argv") if test.get("argv") is not None else prog.get("argv") or []
        env = child_env(work_dir, prog.get("env"))
        if prog["kind"] != "binary":
            target = prog["path"]
        elif os.execve in os.supports_fd:
            target = BINARY_FD
        else:
            target = "/proc/self/fd/%d" % BINARY_FD
        os.write(SETUP_FD, b"R")
    except BaseException as e:
        setup_failed(e)
    try:
        os.execve(target, [prog.get("name") or "prog"] + [str(a) for a in argv], env)
    except BaseException as e:
        # A program's own executable that the kernel will not start (a bad format, a program
        # interpreter path padded past PATH_MAX) is the program's failure ("B"); a tool of the
        # sandbox that cannot start, or a refusal by policy, is the sandbox's ("E").
        code = getattr(e, "errno", None)
        own = prog["kind"] == "binary" and code not in (errno.EACCES, errno.EPERM, errno.ENOENT)
        try:
            os.write(SETUP_FD, (b"B" if own else b"E") + ("cannot start the program: %r" % (e,)).encode()[:2000])
        except BaseException:
            pass
        os._exit(127)



# ---------------------------------------------------------------------------------------------
# Python programs in the child


class Tracer:
    """Line-level trace of the submitted program (the LDB-style feedback): for each executed
    line of solution.py, the frame's local variables after the line ran, as short reprs.
    Keeps the first `head` and last `tail` events of a long run and counts the rest."""

    def __init__(self, opts, lines):
        import reprlib

        self.head = int(opts.get("headEvents", 200))
        self.tail = collections.deque(maxlen=int(opts.get("tailEvents", 200)))
        self.events = []
        self.dropped = 0
        self.lines = lines
        self.pending = {}
        r = reprlib.Repr()
        r.maxstring = r.maxother = int(opts.get("maxValueChars", 80))
        r.maxlist = r.maxtuple = r.maxset = r.maxdict = r.maxdeque = r.maxarray = 8
        self.repr = r.repr

    def snapshot(self, frame):
        out = {}
        for name, value in list(frame.f_locals.items())[:40]:
            if name.startswith("__") or isinstance(value, (types.ModuleType, types.FunctionType, type)):
                continue
            try:
                out[name] = self.repr(value)
            except BaseException:
                out[name] = "<unrepresentable>"
        return out

    def emit(self, event):
        if len(self.events) < self.head:
            self.events.append(event)
        else:
            if len(self.tail) == self.tail.maxlen:
                self.dropped += 1
            self.tail.append(event)

    def finish_pending(self, frame):
        ev = self.pending.pop(id(frame), None)
        if ev is not None:
            ev["vars"] = self.snapshot(frame)
            self.emit(ev)

    def local(self, frame, event, arg):
        if event == "line" or event == "return":
            self.finish_pending(frame)
        if event == "line":
            n = frame.f_lineno
            src = self.lines[n - 1].rstrip("\n") if 0 < n <= len(self.lines) else ""
            self.pending[id(frame)] = {"line": n, "func": frame.f_code.co_name, "source": src}
        return self.local

    def global_(self, frame, event, arg):
        if frame.f_code.co_filename != "solution.py":
            return None
        return self.local(frame, event, arg)

    def result(self, outcome):
        sys.settrace(None)
        threading.settrace(None)
        events = self.events + list(self.tail)
        out = {"events": events, "outcome": outcome}
        if self.dropped:
            out["omitted"] = {"after": len(self.events), "count": self.dropped}
        return out


def print_exc_to_stderr():
    """Prints the current exception like Python would, minus this supervisor's own frames."""
    try:
        etype, value, tb = sys.exc_info()
        while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
            tb = tb.tb_next
        traceback.print_exception(etype, value, tb)
        sys.stderr.flush()
    except BaseException:
        pass


WARM_UP_SOURCE = """
import sys
from collections import defaultdict, deque
def solve(n, *args, **kw):
    d = defaultdict(int)
    q = deque([n])
    total = sum(x * x for x in range(n) if x % 2)
    words = [w.strip() for w in f"{n} {total:>5}".split()]
    try:
        v = {k: len(k) for k in words}
    except (KeyError, ValueError) as e:
        raise RuntimeError(str(e)) from e
    finally:
        d[0] += 1
    return lambda y: (y, v, q.popleft(), 1.5e3, b"x", None, True)
class A:
    def __init__(self, n: int) -> None:
        self.n = n
print(solve(7)(A(3).n), file=out)
"""


class Quitter:
    """exit() and quit(): -S skips the site module that normally defines them, and accepted
    competitive-programming solutions call them all the time."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "Use %s() to exit" % self.name

    def __call__(self, code=None):
        try:
            sys.stdin.close()
        except BaseException:
            pass
        raise SystemExit(code)


def install_site_builtins():
    builtins.exit = Quitter("exit")
    builtins.quit = Quitter("quit")


def warm_up():
    """Runs a small program once so the parser, compiler and I/O stack are initialised before
    forking: each child would otherwise pay ~1 ms of copy-on-write faults to do it again."""
    exec(compile(WARM_UP_SOURCE, "warmup.py", "exec", dont_inherit=True), {"out": io.StringIO()})
    with open(os.devnull, "r", encoding="utf-8", errors="surrogateescape") as f:
        f.read()
    json.loads(json.dumps([["l", [["i", "1"], ["f", 1.5], ["s", "x"]]]]))


def read_fd_all(fd):
    size = fd_size(fd)
    chunks = []
    off = 0
    while off < size:
        b = os.pread(fd, min(size - off, 1 << 20), off)
        if not b:
            break
        chunks.append(b)
        off += len(b)
    return b"".join(chunks)


def python_main(source_fd, work_dir, env, argv, trace, import_cwd=False):
    """Prepares the interpreter for the program and compiles it. Returns (code object, module
    globals, tracer); a syntax error is reported on the setup pipe (the program never ran)."""
    # The supervisor's environment is already the sandbox's fixed one; only the directories
    # differ per test (each write to os.environ is a putenv).
    for key in ("HOME", "TMPDIR"):
        os.environ[key] = env[key]
    sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
    if "random" in sys.modules:
        sys.modules["random"].seed()
    source = read_fd_all(source_fd).decode("utf-8", errors="surrogateescape")
    os.close(source_fd)
    filename = "solution.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    main.__file__ = filename
    sys.modules["__main__"] = main
    sys.argv = [filename] + [str(a) for a in (argv or [])]
    if import_cwd:
        # A multi-file program (a dataset's validator) imports its helpers from beside it.
        sys.path.insert(0, work_dir)
    try:
        compiled = compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as e:
        print_exc_to_stderr()
        try:
            os.write(SETUP_FD, b"S" + type(e).__name__.encode())
        except OSError:
            pass
        os._exit(1)
    tracer = Tracer(trace, source.splitlines(True)) if trace is not None else None
    return compiled, main.__dict__, tracer


def program_started():
    """The last word on the setup pipe: from here on everything is the program's doing."""
    os.write(SETUP_FD, b"R")
    os.close(SETUP_FD)


def exit_code_of(e):
    c = e.code
    if c is None:
        return 0
    if isinstance(c, int) and not isinstance(c, bool):
        return c & 0xFF
    try:
        print(c, file=sys.stderr)
    except BaseException:
        pass
    return 1


def finish_process(code):
    """What the interpreter does at exit: join non-daemon threads, run atexit, flush."""
    try:
        if "threading" in sys.modules:
            threading._shutdown()
        atexit._run_exitfuncs()
    except SystemExit as e:
        code = exit_code_of(e)
    except BaseException as e:
        print_exc_to_stderr()
        report({"k": "exc", "type": type(e).__name__})
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException as e:
            if stream is sys.stdout:
                report({"k": "exc", "type": type(e).__name__})
                code = code or 120
    os._exit(code)


def python_stdio_child(test, work_dir, lim, fds, trace, subprocesses, import_cwd=False):
    """A whole-program test: the program reads stdin and writes stdout. Never returns."""
    try:
        enter_child(fds, work_dir, lim, SERVER["uid"], subprocesses, False)
        env = child_env(work_dir)
        compiled, g, tracer = python_main(SOURCE_FD, work_dir, env, test.get("argv"), trace, import_cwd)
    except SystemExit:
        raise
    except BaseException as e:
        setup_failed(e)
    program_started()
    code = 0
    outcome = "finished"
    try:
        if tracer:
            threading.settrace(tracer.global_)
            sys.settrace(tracer.global_)
        exec(compiled, g)
    except SystemExit as e:
        outcome = "exited with code %r" % (e.code,)
        code = exit_code_of(e)
    except BaseException as e:
        outcome = "%s: %s" % (type(e).__name__, str(e)[:200])
        if tracer:
            report({"k": "trace", "trace": tracer.result(outcome)})
            tracer = None
        print_exc_to_stderr()
        report({"k": "exc", "type": type(e).__name__})
        code = 1
    if tracer:
        report({"k": "trace", "trace": tracer.result(outcome)})
    finish_process(code)


def resolve_entry(g, entry):
    if "." in entry:
        cls_name, meth = entry.split(".", 1)
        if cls_name not in g:
            raise NameError("entry point class %r is not defined" % cls_name)
        return getattr(g[cls_name](), meth)
    if entry not in g:
        raise NameError("entry point %r is not defined" % entry)
    return g[entry]


def read_fully(fd, n):
    chunks = []
    while n > 0:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def python_call_child(entry, work_dir, lim, fds, trace, transport, subprocesses):
    """Serves calls of the entry point, one at a time, for as long as calls come.

    transport "batch": the supervisor writes a call's arguments into ARGS_FD and its (offset,
    length) into CALL_FD; the reply is a status record, then one byte on REPLY_FD. The process
    never holds the arguments of a call before that call: later tests stay unknown to it.
    transport "rpc": a checker process sends length-prefixed JSON calls on CALL_FD and reads
    length-prefixed replies from REPLY_FD (the checker decides, this process only answers).
    Never returns."""
    try:
        enter_child(fds, work_dir, lim, SERVER["uid"], subprocesses, False)
        env = child_env(work_dir)
        compiled, g, tracer = python_main(SOURCE_FD, work_dir, env, None, trace)
    except SystemExit:
        raise
    except BaseException as e:
        setup_failed(e)
    program_started()

    def reply(obj):
        # What the call printed belongs to it: flushed before its answer.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        if transport == "batch":
            report(obj)
            os.write(REPLY_FD, b".")
        else:
            data = json.dumps(obj, separators=(",", ":")).encode()
            write_all(REPLY_FD, struct.pack(">I", len(data)) + data)

    outcome = "finished"
    try:
        if tracer:
            threading.settrace(tracer.global_)
            sys.settrace(tracer.global_)
        exec(compiled, g)
        # `Class.method`: a fresh instance per call, as LeetCode-style judges do, so that
        # state kept on the instance does not leak from one test into the next.
        fn = resolve_entry(g, entry) if "." not in entry else None
    except SystemExit as e:
        # Exiting while loading means no call can be answered.
        if tracer:
            report({"k": "trace", "trace": tracer.result("exited with code %r" % (e.code,))})
        report({"k": "exit", "code": exit_code_of(e)})
        finish_process(exit_code_of(e))
    except BaseException as e:
        outcome = "%s: %s" % (type(e).__name__, str(e)[:200])
        if tracer:
            report({"k": "trace", "trace": tracer.result(outcome)})
        print_exc_to_stderr()
        report({"k": "exc", "type": type(e).__name__})
        finish_process(1)
    while True:
        try:
            if transport == "batch":
                msg = read_fully(CALL_FD, 16)
                if msg is None:
                    finish_process(0)
                off, n = struct.unpack(">QQ", msg)
                raw = os.pread(ARGS_FD, n, off)
                call = json.loads(raw)
            else:
                head = read_fully(CALL_FD, 4)
                if head is None:
                    finish_process(0)
                (n,) = struct.unpack(">I", head)
                call = json.loads(read_fully(CALL_FD, n))
            args = unlimited_int_digits(lambda: [decode_value(a) for a in call.get("a", [])])
            kwargs = unlimited_int_digits(lambda: {str(k): decode_value(x) for k, x in call.get("k", [])})
        except SystemExit:
            raise
        except BaseException as e:
            report({"k": "judge", "msg": "bad call: %r" % (e,)})
            os._exit(125)
        try:
            result = (fn or resolve_entry(g, entry))(*args, **kwargs)
        except SystemExit as e:
            code = exit_code_of(e)
            if tracer:
                report({"k": "trace", "trace": tracer.result("exited with code %r" % (e.code,))})
            reply({"k": "exit", "code": code})
            finish_process(code)
        except BaseException as e:
            outcome = "%s: %s" % (type(e).__name__, str(e)[:200])
            if tracer:
                report({"k": "trace", "trace": tracer.result(outcome)})
                tracer = None
            print_exc_to_stderr()
            reply({"k": "exc", "type": type(e).__name__, "msg": str(e)[:500]})
            continue
        if tracer:
            report({"k": "trace", "trace": tracer.result("returned " + tracer.repr(result))})
            tracer = None
        try:
            encoded = unlimited_int_digits(encode_value, result)
        except EncodeLimit as e:
            reply({"k": "exc", "type": "EncodeLimit", "msg": str(e)})
            continue
        except BaseException as e:
            reply({"k": "exc", "type": type(e).__name__, "msg": "the returned value cannot be read: %s" % str(e)[:200]})
            continue
        reply({"k": "ret", "v": encoded})


# ---------------------------------------------------------------------------------------------
# the checker: runs a dataset's assert script in its own process; the candidate is a proxy


# Dataset asserts were written to run in the solution's namespace, so they use the modules the
# solution imported (MBPP+'s `== sys.getsizeof(...)`, `math.isclose`): the checker imports these
# standard modules for a script that names them without defining them.
CHECK_MODULES = frozenset((
    "math", "sys", "re", "collections", "itertools", "functools", "heapq", "bisect", "string",
    "operator", "copy", "random", "statistics", "fractions", "decimal", "cmath", "datetime",
))


def import_what_checks_use(code, ns):
    names = set()
    todo = [code]
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    for name in names & CHECK_MODULES:
        if name not in ns:
            ns[name] = __import__(name)


class CandidateRaised(Exception):
    pass


class CandidateGone(Exception):
    pass


def checker_child(work_dir, lim, fds):
    """Runs HumanEval's check(candidate) or an MBPP assert with real builtins, in a process the
    candidate cannot reach: every call of the entry point goes to the candidate's process and
    comes back as data. Reports {"k": "pass"} only after the whole script ran. Never returns."""
    try:
        enter_child(fds, work_dir, lim, SERVER["checker_uid"], False, False)
        check_fd = CHECK_FD
        os.environ.clear()
        os.environ.update(child_env(work_dir))
        sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="replace", closefd=False)
        sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
        raw = read_fd_all(check_fd)
        os.close(check_fd)
        lens = struct.unpack(">IIII", raw[:16])
        pos = 16
        fields = []
        for n in lens:
            fields.append(raw[pos : pos + n].decode("utf-8", "replace"))
            pos += n
        spec = {"entry": fields[0], "context": fields[1], "setup": fields[2], "script": fields[3]}
        del raw
        os.write(SETUP_FD, b"R")
        os.close(SETUP_FD)
    except BaseException as e:
        setup_failed(e)

    def call(*args, **kwargs):
        msg = json.dumps(
            {"a": [encode_value(a) for a in args], "k": [[k, encode_value(v)] for k, v in kwargs.items()]},
            separators=(",", ":"),
        ).encode()
        try:
            write_all(CALL_FD, struct.pack(">I", len(msg)) + msg)
            head = read_fully(REPLY_FD, 4)
        except OSError:
            head = None
        if head is None:
            raise CandidateGone("the program ended before answering")
        (n,) = struct.unpack(">I", head)
        body = read_fully(REPLY_FD, n)
        if body is None:
            raise CandidateGone("the program ended before answering")
        rep = json.loads(body)
        k = rep.get("k") if isinstance(rep, dict) else None
        if k == "ret":
            return unlimited_int_digits(decode_value, rep.get("v"))
        if k == "exc":
            raise CandidateRaised("%s: %s" % (str(rep.get("type"))[:100], str(rep.get("msg"))[:300]))
        raise CandidateGone("the program exited instead of returning")

    entry = spec.get("entry") or "candidate"
    ns = {"__name__": "__main__", "__builtins__": builtins}
    last_line = {"text": ""}
    try:
        for name, text in (("context.py", spec.get("context")), ("setup.py", spec.get("setup"))):
            if text:
                exec(compile(text, name, "exec", dont_inherit=True), ns)
        ns[entry.split(".")[0]] = call
        ns["candidate"] = call
        script = spec.get("script") or ""
        linecache.cache["test.py"] = (len(script), None, script.splitlines(True), "test.py")
        code = compile(script, "test.py", "exec", dont_inherit=True)
        import_what_checks_use(code, ns)
        unlimited_int_digits(exec, code, ns)
    except AssertionError:
        tb = sys.exc_info()[2]
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "test.py":
                last_line["text"] = linecache.getline("test.py", tb.tb_lineno).strip()
            tb = tb.tb_next
        report({"k": "fail", "line": last_line["text"][:500]})
        os._exit(0)
    except CandidateRaised as e:
        report({"k": "raised", "msg": str(e)[:500]})
        os._exit(0)
    except CandidateGone as e:
        report({"k": "gone", "msg": str(e)[:200]})
        os._exit(0)
    except BaseException as e:
        report({"k": "error", "type": type(e).__name__, "msg": str(e)[:500]})
        os._exit(0)
    report({"k": "pass"})
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# supervision of one test


def cpu_clock(pid):
    """CPU seconds of every thread of a process, alive or exited, with nanosecond resolution."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)
    except (OSError, OverflowError, ValueError, AttributeError):
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0


def rss_kb(pid):
    try:
        with open("/proc/%d/statm" % pid, "rb") as f:
            return int(f.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def memory_kb(pid, fd=None):
    """(peak, current) resident KiB of a process; `fd`: its /proc/<pid>/status kept open."""
    try:
        if fd is None:
            with open("/proc/%d/status" % pid, "rb") as f:
                text = f.read()
        else:
            text = os.pread(fd, 4096, 0)
    except OSError:
        return 0, 0
    out = []
    for key in (b"\nVmHWM:", b"\nVmRSS:"):
        # At a line start: the Name: line above is the program's to choose (PR_SET_NAME).
        at = text.find(key)
        try:
            out.append(int(text[at + len(key) : text.index(b"k", at)]) if at >= 0 else 0)
        except ValueError:
            out.append(0)
    return out[0], out[1]


def group_members(pgid):
    """Every process in a process group (programs cannot leave theirs: setpgid is refused)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) == pgid:
                out.append(int(name))
        except (OSError, IndexError, ValueError):
            pass
    return out


def kill_everything_else(child_pids):
    """Kills every process of the test: its process groups, in our PID namespace every process
    but us and init, and (without namespaces, as root) every process of the sandbox uids."""
    for pid in child_pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    me = os.getpid()
    if SERVER["pidns"]:
        for name in os.listdir("/proc"):
            if name.isdigit():
                pid = int(name)
                if pid not in (1, me):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
    elif SERVER["dedicated_uid"]:
        uids = {SERVER["uid"], SERVER["checker_uid"]}
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) != me:
                try:
                    if os.stat("/proc/" + name).st_uid in uids:
                        os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
    # We are a child subreaper: orphans come to us. Reap until nothing is left.
    deadline = time.monotonic() + 2.0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)


def remove_tree(path):
    """Removes what a test left, however deep and whatever modes the program set on it. A
    directory's subdirectories are moved up beside it before it is removed: no recursion, and
    two open descriptors whatever the depth (3000 nested directories broke shutil.rmtree)."""
    parent = os.path.dirname(path) or "."
    try:
        pfd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        todo = [os.path.basename(path)]
        while todo:
            name = todo.pop()
            try:
                dfd = open_dir_for_removal(name, pfd)
            except OSError:
                dfd = None
            if dfd is None:
                try:
                    os.unlink(name, dir_fd=pfd)
                except OSError:
                    pass
                continue
            try:
                for entry in os.scandir(dfd):
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            hoisted = RANDOM(12).hex()
                            os.rename(entry.name, hoisted, src_dir_fd=dfd, dst_dir_fd=pfd)
                            todo.append(hoisted)
                        else:
                            os.unlink(entry.name, dir_fd=dfd)
                    except OSError:
                        pass
            finally:
                os.close(dfd)
            try:
                os.rmdir(name, dir_fd=pfd)
            except OSError:
                pass
    finally:
        os.close(pfd)


def open_dir_for_removal(name, pfd):
    """A directory (never a link's target) opened for listing, made listable first if the
    program took its permissions away; None if `name` is not a directory."""
    import stat as stat_mod

    path_fd = os.open(name, _O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
    try:
        if not stat_mod.S_ISDIR(os.fstat(path_fd).st_mode):
            return None
        try:
            return os.open("/proc/self/fd/%d" % path_fd, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except PermissionError:
            os.chmod("/proc/self/fd/%d" % path_fd, 0o700)
            return os.open("/proc/self/fd/%d" % path_fd, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    finally:
        os.close(path_fd)


def clean_scratch():
    """Nothing a test leaves reaches the next: empty the scratch space entirely (this process
    keeps nothing there), and, without namespaces as root, what the sandbox uids left in the
    host's world-writable directories. Never raises: what a program left must not end us."""
    try:
        empty_scratch()
    except Exception as e:  # noqa: BLE001
        try:
            os.write(2, ("codeloop supervisor: cleanup failed: %r\n" % (e,)).encode())
        except OSError:
            pass


def empty_scratch():
    # Without root the program owns the scratch space too, and could have taken its permissions
    # away (poisoning every later test): put them back first.
    try:
        os.chmod(SCRATCH, 0o711 if SERVER["dedicated_uid"] else 0o700)
    except OSError:
        pass
    try:
        names = os.listdir(SCRATCH)
    except OSError:
        names = []
    for name in names:
        remove_tree(os.path.join(SCRATCH, name))
    if not SERVER["pidns"] and SERVER["dedicated_uid"]:
        uids = {SERVER["uid"], SERVER["checker_uid"]}
        for d in SERVER["shared_dirs"]:
            try:
                names = os.listdir(d)
            except OSError:
                continue
            for name in names:
                p = os.path.join(d, name)
                try:
                    if os.lstat(p).st_uid in uids:
                        remove_tree(p)
                except OSError:
                    pass


def world_writable_dirs():
    """Directories of the host any uid may write in (found once, without namespaces, as root):
    what a sandbox uid leaves there is removed after every test."""
    found = {"/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue"}
    for base in ("/", "/var", "/run", "/dev", "/var/lib", "/var/spool", "/var/cache"):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            p = os.path.join(base, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            import stat as stat_mod

            if stat_mod.S_ISDIR(st.st_mode) and st.st_mode & 0o002:
                found.add(p)
    return sorted(d for d in found if os.path.isdir(d) and not os.path.islink(d))


def make_work_dir(uid="program"):
    """A fresh directory whose name a program cannot predict, owned by the program's uid."""
    path = os.path.join(SCRATCH, RANDOM(12).hex())
    os.mkdir(path, 0o700)
    owner = SERVER["uid"] if uid == "program" else SERVER["checker_uid"]
    if owner is not None:
        os.chown(path, owner, owner)
    return path


class Outputs:
    """A test's stdout, stderr and status channel: memfds opened before the program starts,
    read by descriptor afterwards (a path could be swapped for a FIFO). Append mode, so a
    function batch can empty them between calls."""

    def __init__(self):
        import fcntl

        self.stdout = new_memfd("stdout")
        self.stderr = new_memfd("stderr")
        self.status = new_memfd("status")
        for fd in (self.stdout, self.stderr, self.status):
            fcntl.fcntl(fd, fcntl.F_SETFL, os.O_APPEND)

    def reset(self, sizes=None):
        fds = (self.status,) if sizes is not None and not sizes["stdoutBytes"] and not sizes["stderrBytes"] else (self.stdout, self.stderr, self.status)
        for fd in fds:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass  # the program's own files: whatever it did to them, not our failure

    def parts(self, lim):
        """Named ranges for the reply: stdout up to the output limit, stderr's head and tail,
        the status records (raw: Node parses them)."""
        out_cap = int(lim["stdoutKb"]) * 1024
        err_cap = max(int(lim["stderrKb"]) * 1024, 1)
        size = fd_size(self.stdout)
        err_parts, err_size = head_tail_parts(self.stderr, err_cap)
        parts = [("stdout", (self.stdout, 0, min(size, out_cap)))]
        parts += [("stderr", p) for p in err_parts]
        parts.append(("status", (self.status, 0, min(fd_size(self.status), STATUS_CAP))))
        return parts, {"stdoutBytes": size, "stderrBytes": err_size}

    def close(self):
        for fd in (self.stdout, self.stderr, self.status):
            os.close(fd)


STATUS_CAP = 64 << 20


def setup_pipe():
    r, w = os.pipe()
    os.set_blocking(r, False)
    return r, w


def drain(fd, into, cap=4096):
    """Reads what is there; False once the writer has closed its end."""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not chunk:
            return False
        if len(into) < cap:
            into += chunk[: cap - len(into)]


class Watch:
    """Waits for a process to end (or for a byte on `notify`) while enforcing CPU time over all
    its threads, resident memory and the wall clock. Subprocesses, when allowed, count too."""

    def __init__(self, pid, lim, subprocesses):
        self.pid = pid
        self.cpu_limit = lim["cpuMs"] / 1000.0
        self.wall_limit = lim["wallMs"] / 1000.0
        self.mem_limit_kb = lim.get("memoryKb") or 0
        self.subprocesses = subprocesses
        self.peak_kb = 0
        self.group_cpu = 0.0
        self.files_base = scratch_used_kb()
        try:
            self.pidfd = _pidfd_open(pid)
        except (AttributeError, TypeError, OSError):
            self.pidfd = None

    def files_kb(self):
        """What the test keeps in files: the scratch space is a tmpfs, i.e. memory."""
        return max(0, scratch_used_kb() - self.files_base)

    def usage(self):
        if not self.subprocesses:
            return cpu_clock(self.pid), rss_kb(self.pid) + self.files_kb()
        cpu = 0.0
        rss = 0
        for p in group_members(self.pid):
            cpu += cpu_clock(p)
            rss += rss_kb(p)
        self.group_cpu = max(self.group_cpu, cpu)
        return cpu, rss + self.files_kb()

    def wait(self, t0, cpu0, other=None, notify=None, setup=None, setup_buf=None):
        """Returns "exit", "notify", "other" (the descriptor `other` became readable), or a
        limit: "cpu", "wall", "memory". cpu0: CPU seconds used before the watched part began
        (a function batch answers many calls in one process)."""
        setup_open = setup is not None
        while True:
            elapsed = time.monotonic() - t0
            if elapsed >= self.wall_limit:
                return "wall"
            wait = min(POLL_S, self.wall_limit - elapsed)
            fds = []
            for fd in (other, notify, setup if setup_open else None, self.pidfd):
                if fd is not None:
                    fds.append(fd)
            ready, _, _ = select.select(fds, [], [], wait if self.pidfd is not None else min(wait, 0.002))
            if setup_open and setup in ready:
                setup_open = drain(setup, setup_buf)
            if notify is not None and notify in ready:
                # A byte is an answer; end of file is the child going away (its end of the
                # pipe closed with it), which is not one.
                try:
                    got = os.read(notify, 4096)
                except BlockingIOError:
                    got = None
                if got:
                    return "notify"
                if got == b"":
                    notify = None
            if self.pidfd is not None:
                if self.pidfd in ready:
                    return "exit"
            else:
                try:
                    if os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                        return "exit"
                except ChildProcessError:
                    return "exit"
            if other is not None and other in ready:
                return "other"
            if not ready or self.pidfd is None:
                cpu, rss = self.usage()
                self.peak_kb = max(self.peak_kb, rss)
                if cpu - cpu0 >= self.cpu_limit:
                    return "cpu"
                if self.mem_limit_kb and rss > self.mem_limit_kb:
                    return "memory"

    def close(self):
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def scratch_used_kb():
    """Memory in use on the sandbox's /tmp tmpfs (one test at a time per supervisor): its data,
    and 1 KiB of kernel memory for each file, which empty files cost too (161k of them held
    201 MiB). 0 without namespaces, where the scratch directory is on the host's file system."""
    if not SERVER["pidns"]:
        return 0
    try:
        st = os.statvfs(SCRATCH)
        return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024 + (st.f_files - st.f_ffree)
    except OSError:
        return 0


def reap(pid):
    """Waits for the watched process and returns (wait status, rusage)."""
    _, wstatus, ru = os.wait4(pid, 0)
    return wstatus, ru


def exit_fields(wstatus):
    return {
        "exitCode": os.WEXITSTATUS(wstatus) if os.WIFEXITED(wstatus) else None,
        "signal": os.WTERMSIG(wstatus) if os.WIFSIGNALED(wstatus) else None,
    }


def kill_pid(pid):
    for fn in (os.killpg, os.kill):
        try:
            fn(pid, signal.SIGKILL)
        except OSError:
            pass


def stdin_fd(req, test):
    if test.get("stdin") is None:
        return os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    return req.memfd_of(test["stdin"])


def place_files(req, test, work_dir):
    for name, idx in (test.get("files") or {}).items():
        if not isinstance(name, str) or not name or "/" in name or name.startswith(".") or "\0" in name:
            raise ValueError("bad file name %r" % (name,))
        path = os.path.join(work_dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            off, n = req.span(idx)
            copy_range(fd, req.fd, off, n)
        finally:
            os.close(fd)
        if SERVER["uid"] is not None:
            os.chown(path, SERVER["uid"], SERVER["uid"])


def collect_parts(req, work_dir, opened):
    """Files asked back from the working directory (a compiled binary): regular files only,
    opened without following links or blocking on FIFOs, capped."""
    import stat as stat_mod

    names, parts = [], []
    for name in req.header.get("collect") or []:
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            continue
        try:
            fd = os.open(os.path.join(work_dir, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        opened.append(fd)
        st = os.fstat(fd)
        if not stat_mod.S_ISREG(st.st_mode) or st.st_size == 0:
            continue
        names.append({"name": name, "size": st.st_size})
        if st.st_size <= COLLECT_CAP:
            parts.append(("collect:" + name, (fd, 0, st.st_size)))
    return names, parts


def measured(w, wstatus, ru, killed, t0, setup_buf, cpu0=0.0):
    """What this process measured about a finished child (never what the child said)."""
    res = {
        "op": "result",
        "wallMs": round((time.monotonic() - t0) * 1000.0, 3),
        "killed": killed,
        "setup": setup_buf.decode("utf-8", "replace")[:2000],
    }
    res.update(exit_fields(wstatus))
    cpu = ru.ru_utime + ru.ru_stime
    if w.subprocesses:
        cpu = max(cpu, w.group_cpu)
    res["cpuMs"] = round(max(0.0, cpu - cpu0) * 1000.0, 3)
    # Files left in the scratch space at the end are memory the test still holds.
    res["memoryKb"] = max(ru.ru_maxrss + w.files_kb(), w.peak_kb)
    res["minorFaults"] = ru.ru_minflt
    return res


class Reply:
    """A result and the descriptors it reads from, closed once it has been sent."""

    def __init__(self):
        self.parts = []
        self.closers = []

    def close(self):
        for c in self.closers:
            try:
                c()
            except OSError:
                pass
        self.closers = []


def fork_child(target, *args):
    pid = os.fork()
    if pid == 0:
        try:
            target(*args)
        finally:
            os._exit(122)
    return pid


def run_single(req, test, source_fd, binary_fd, reply):
    """One test in one fresh child: a native program or a whole Python program."""
    lim = req.header["limits"]
    prog = req.header["program"]
    subprocesses = bool(req.header.get("subprocesses"))
    work_dir = make_work_dir()
    out = Outputs()
    reply.closers.append(out.close)
    setup_r, setup_w = setup_pipe()
    fin = None
    try:
        place_files(req, test, work_dir)
        fin = stdin_fd(req, test)
        fds = {0: fin, 1: out.stdout, 2: out.stderr, SETUP_FD: setup_w}
        if prog["kind"] == "python":
            fds[STATUS_FD] = out.status
            fds[SOURCE_FD] = source_fd
        elif prog["kind"] == "binary":
            fds[BINARY_FD] = binary_fd
        t0 = time.monotonic()
        if prog["kind"] == "python":
            pid = fork_child(python_stdio_child, test, work_dir, lim, fds, req.header.get("trace"), subprocesses, bool(prog.get("importCwd")))
        else:
            pid = fork_child(exec_child, prog, test, work_dir, lim, fds, subprocesses)
        os.close(setup_w)
        setup_w = None
        setup_buf = bytearray()
        w = Watch(pid, lim, subprocesses)
        ev = w.wait(t0, 0.0, setup=setup_r, setup_buf=setup_buf)
        killed = None if ev == "exit" else ev
        if killed:
            kill_pid(pid)
        wstatus, ru = reap(pid)
        w.close()
        drain(setup_r, setup_buf)
        clean = kill_everything_else([pid])
        res = measured(w, wstatus, ru, killed, t0, setup_buf)
        res["leftovers"] = not clean
        parts, sizes = out.parts(lim)
        res.update(sizes)
        opened = []
        reply.closers.append(lambda: [os.close(fd) for fd in opened])
        names, coll = collect_parts(req, work_dir, opened)
        res["collected"] = names
        reply.parts = parts + coll
        return res
    finally:
        if fin is not None:
            os.close(fin)
        if setup_w is not None:
            os.close(setup_w)
        os.close(setup_r)
        remove_tree(work_dir)


def run_function_batch(req, tests, source_fd, req_id):
    """Function tests of one submission in as few children as possible: each child loads the
    program once and answers calls one at a time (every argument a fresh copy); a test that
    hangs, crashes or exits ends that child, and the rest continue in a new one. Returns False
    when the request was cancelled."""
    lim = req.header["limits"]
    entry = str(req.header.get("entry") or "")
    subprocesses = bool(req.header.get("subprocesses"))
    i = 0
    while i < len(tests):
        work_dir = make_work_dir()
        out = Outputs()
        args_fd = new_memfd("args")
        call_r, call_w = os.pipe()
        os.set_blocking(call_w, False)
        note_r, note_w = os.pipe()
        os.set_blocking(note_r, False)
        setup_r, setup_w = setup_pipe()
        devnull = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        fds = {
            0: devnull, 1: out.stdout, 2: out.stderr, STATUS_FD: out.status, SETUP_FD: setup_w,
            CALL_FD: call_r, ARGS_FD: args_fd, REPLY_FD: note_w, SOURCE_FD: source_fd,
        }
        t0 = time.monotonic()
        child_lim = dict(lim, cpuBackstopMs=lim["cpuMs"] * (len(tests) - i) + 1000)
        pid = fork_child(python_call_child, entry, work_dir, child_lim, fds, req.header.get("trace"), "batch", subprocesses)
        for fd in (call_r, note_w, setup_w, devnull):
            os.close(fd)
        w = Watch(pid, lim, subprocesses)
        try:
            status_fd = os.open("/proc/%d/status" % pid, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            status_fd = None
        setup_buf = bytearray()
        cpu0 = 0.0
        alive = True
        try:
            while i < len(tests) and alive:
                test = tests[i]
                # The call's arguments enter the child's reach only now (at offset 0: what
                # lies beyond them are earlier calls' arguments, which it has seen).
                off, n = req.span(test.get("args"))
                place_at_start(args_fd, req.fd, off, n)
                protocol = None
                try:
                    write_all(call_w, struct.pack(">QQ", 0, n))
                except BlockingIOError:
                    # A well-behaved child reads each call before it answers; one that answers
                    # without reading has filled the pipe: it is stopped, its test failed.
                    protocol = "the program answered calls it had not read"
                except OSError:
                    pass  # the child is gone: the wait below sees it exit
                ev = "protocol" if protocol else w.wait(t0, cpu0, notify=note_r, setup=setup_r, setup_buf=setup_buf)
                # The call's memory: its peak, or what it holds now with the files it keeps (a
                # fast call is never polled, and files stay from one call to the next).
                if ev == "notify":
                    hwm, rss = memory_kb(pid, status_fd)
                    peak = max(hwm, rss + w.files_kb())
                else:
                    peak = 0
                if ev == "notify" and lim.get("memoryKb") and peak > lim["memoryKb"]:
                    # Over the limit between two polls: this call's verdict, and a new child
                    # for the next one (its peak would otherwise carry over).
                    ev = "memory"
                if ev == "notify":
                    cpu1 = cpu_clock(pid)
                    res = {
                        "op": "result",
                        "cpuMs": round(max(0.0, cpu1 - cpu0) * 1000.0, 3),
                        "wallMs": round((time.monotonic() - t0) * 1000.0, 3),
                        "memoryKb": peak,
                        "killed": None,
                        "exitCode": None,
                        "signal": None,
                        "running": True,
                        "setup": setup_buf.decode("utf-8", "replace")[:2000],
                    }
                    cpu0 = cpu1
                else:
                    killed = None if ev == "exit" else ev
                    if killed:
                        kill_pid(pid)
                    wstatus, ru = reap(pid)
                    alive = False
                    drain(setup_r, setup_buf)
                    res = measured(w, wstatus, ru, killed, t0, setup_buf, cpu0)
                    if protocol:
                        res["protocol"] = protocol
                    kill_everything_else([pid])
                parts, sizes = out.parts(lim)
                res.update(sizes)
                res["collected"] = []
                res["id"] = req_id
                res["index"] = i
                send(res, parts)
                out.reset(sizes)
                i += 1
                t0 = time.monotonic()
                if cancelled(req_id):
                    return False
        finally:
            if alive:
                kill_pid(pid)
                try:
                    reap(pid)
                except ChildProcessError:
                    pass
                kill_everything_else([pid])
            w.close()
            for fd in (call_w, note_r, setup_r, args_fd, status_fd):
                if fd is not None:
                    os.close(fd)
            out.close()
            remove_tree(work_dir)
            clean_scratch()
    return True


def checker_limits(lim):
    """The checker runs the dataset's own code: generous limits, but limits."""
    out = dict(lim)
    out["cpuMs"] = max(10_000, 10 * lim["cpuMs"])
    out["wallMs"] = lim["wallMs"] + 2000
    out["memoryKb"] = max(2 << 20, lim.get("memoryKb") or 0)
    out["addressSpaceKb"] = out["memoryKb"] + (2 << 20)
    out["fileSizeKb"] = 1 << 12
    out["processes"] = 0
    return out


def run_checked(req, test, source_fd, reply):
    """One assert script: a checker process runs it with real builtins, the candidate's process
    only answers the calls of its entry point."""
    lim = req.header["limits"]
    entry = str(req.header.get("entry") or "candidate")
    work_dir = make_work_dir()
    check_dir = make_work_dir("checker")
    cand = Outputs()
    chk = Outputs()
    reply.closers += [cand.close, chk.close]
    # The checker's input goes from the request memfd to its own memfd by descriptor: the
    # hidden script never enters this process's heap, from which later children are forked.
    check_fd = new_memfd("check")
    spans = [req.span(req.header.get("context")), req.span(req.header.get("setup")), req.span(test.get("script"))]
    e = entry.encode()
    write_all(check_fd, struct.pack(">IIII", len(e), *[(s[1] if s else 0) for s in spans]) + e)
    for s in spans:
        if s:
            copy_range(check_fd, req.fd, s[0], s[1])
    os.lseek(check_fd, 0, os.SEEK_SET)
    call_r, call_w = os.pipe()
    rep_r, rep_w = os.pipe()
    c_setup_r, c_setup_w = setup_pipe()
    k_setup_r, k_setup_w = setup_pipe()
    devnull = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    k_lim = checker_limits(lim)
    t0 = time.monotonic()
    try:
        # The checker is forked first: the candidate's filter refuses signals to lower pids.
        k_fds = {0: devnull, 1: chk.stdout, 2: chk.stderr, STATUS_FD: chk.status, SETUP_FD: k_setup_w,
                 CALL_FD: call_w, REPLY_FD: rep_r, CHECK_FD: check_fd}
        kpid = fork_child(checker_child, check_dir, k_lim, k_fds)
        c_fds = {0: devnull, 1: cand.stdout, 2: cand.stderr, STATUS_FD: cand.status, SETUP_FD: c_setup_w,
                 CALL_FD: call_r, REPLY_FD: rep_w, SOURCE_FD: source_fd}
        cpid = fork_child(python_call_child, entry, work_dir, lim, c_fds, None, "rpc", False)
    finally:
        for fd in (call_r, call_w, rep_r, rep_w, c_setup_w, k_setup_w, devnull, check_fd):
            os.close(fd)
    wc = Watch(cpid, lim, False)
    wk = Watch(kpid, k_lim, False)
    c_setup = bytearray()
    k_setup = bytearray()
    stopped = False
    try:
        ev = wc.wait(t0, 0.0, other=wk.pidfd, setup=c_setup_r, setup_buf=c_setup)
        killed = ev if ev in ("cpu", "wall", "memory") else None
        if ev == "other":
            # The checker is done: the candidate has nothing left to answer. It sees the end
            # of its input and exits (flushing what it printed); a moment, then it is stopped.
            wc.wall_limit = min(wc.wall_limit, time.monotonic() - t0 + 0.25)
            if wc.wait(t0, 0.0) == "exit":
                ev = "exit"
            stopped = ev != "exit"
        if ev != "exit":
            kill_pid(cpid)
        cw, cru = reap(cpid)
        wc.close()
        checker_killed = None
        if killed is None:
            kev = wk.wait(t0, 0.0, setup=k_setup_r, setup_buf=k_setup)
            if kev != "exit":
                checker_killed = kev
                kill_pid(kpid)
        else:
            kill_pid(kpid)
        kw, _ = reap(kpid)
        wk.close()
        drain(c_setup_r, c_setup)
        drain(k_setup_r, k_setup)
        clean = kill_everything_else([cpid, kpid])
        res = measured(wc, cw, cru, killed, t0, c_setup)
        res["leftovers"] = not clean
        res["stoppedByJudge"] = stopped
        res["checker"] = dict(exit_fields(kw), killed=checker_killed, setup=k_setup.decode("utf-8", "replace")[:2000])
        parts, sizes = cand.parts(lim)
        res.update(sizes)
        res["collected"] = []
        parts.append(("checkerStatus", (chk.status, 0, min(fd_size(chk.status), 1 << 20))))
        parts += [("checkerStderr", p) for p in head_tail_parts(chk.stderr, 16 << 10)[0]]
        reply.parts = parts
        return res
    finally:
        for fd in (c_setup_r, k_setup_r):
            os.close(fd)
        remove_tree(work_dir)
        remove_tree(check_dir)


# ---------------------------------------------------------------------------------------------
# main loop


def cancelled(req_id):
    r, _, _ = select.select([PROTO_IN], [], [], 0)
    if not r:
        return False
    header = read_frame()
    if header is None:
        sys.exit(0)
    return header.get("op") == "cancel" and header.get("id") == req_id


def handle(header):
    req = Request(header)
    req_id = header.get("id")
    source_fd = None
    binary_fd = None
    try:
        prog = header.get("program") or {}
        kind = prog.get("kind")
        if kind == "python":
            source_fd = req.memfd_of(prog["source"])
        elif kind == "binary":
            binary_fd = req.memfd_of(prog["binary"])
        elif kind != "exec":
            raise ValueError("unknown program kind %r" % (kind,))
        mode = header.get("mode", "stdio")
        tests = header.get("tests") or []
        if mode == "function":
            if kind != "python":
                raise ValueError("function tests need a Python program")
            complete = run_function_batch(req, tests, source_fd, req_id)
            send({"op": "done", "id": req_id, "reason": "complete" if complete else "cancelled"})
            return
        for i, test in enumerate(tests):
            reply = Reply()
            try:
                if mode == "assert":
                    if kind != "python":
                        raise ValueError("assert tests need a Python program")
                    res = run_checked(req, test, source_fd, reply)
                else:
                    res = run_single(req, test, source_fd, binary_fd, reply)
            except Exception as e:  # noqa: BLE001 - any failure here is the sandbox's, reported as such
                reply.close()
                reply = Reply()
                res = {"op": "result", "sandboxError": "supervisor: %r" % (e,)}
            clean_scratch()
            res["id"] = req_id
            res["index"] = i
            try:
                send(res, reply.parts)
            finally:
                reply.close()
            if cancelled(req_id):
                send({"op": "done", "id": req_id, "reason": "cancelled"})
                return
        send({"op": "done", "id": req_id, "reason": "complete"})
    finally:
        for fd in (source_fd, binary_fd):
            if fd is not None:
                os.close(fd)
        req.close()


def main():
    global SCRATCH
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--uid":
            SERVER["uid"] = int(args.pop(0))
        elif a == "--checker-uid":
            SERVER["checker_uid"] = int(args.pop(0))
        elif a == "--scratch":
            SCRATCH = args.pop(0)
        elif a == "--pidns":
            SERVER["pidns"] = True
        elif a == "--fresh":
            SERVER["fresh"] = True
    # Ignore SIGPIPE so a vanished Node process ends us through EPIPE rather than silently.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans of tests come back to us
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG(SIGKILL): die with our parent
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no /proc/<us>/mem, fd or maps for children
    except (ImportError, OSError):
        pass
    if SERVER["uid"] is not None:
        if os.getuid() != 0:
            SERVER["uid"] = None
            SERVER["checker_uid"] = None
        else:
            # The supervisor stays root (with a few capabilities) and every program runs under
            # a uid of its own: the kernel then refuses signals, priority and affinity changes,
            # ptrace and /proc access aimed at us, whatever syscall is used.
            SERVER["dedicated_uid"] = True
            if SERVER["checker_uid"] is None:
                SERVER["checker_uid"] = SERVER["uid"]
    # Scratch space: only this process creates entries in it; a program's own directory inside
    # is its cwd, reachable without being able to list the scratch space.
    os.chmod(SCRATCH, 0o711 if SERVER["dedicated_uid"] else 0o700)
    SERVER["private"] = SCRATCH
    SERVER["shared_dirs"] = world_writable_dirs() if not SERVER["pidns"] and SERVER["dedicated_uid"] else []
    install_site_builtins()
    ok, why = probe_seccomp()
    if ok:
        # In bwrap, /run (daemon sockets) is hidden, so Unix sockets stay usable; without
        # namespaces every socket() is refused.
        prepare_seccomp(SERVER["pidns"])
    SERVER["seccomp"] = ok
    clean_scratch()
    # Objects that exist now are never collected: a collection in a child would otherwise
    # touch (and copy-on-write) every page of the warm interpreter.
    if not SERVER["fresh"]:
        # One test per process in fresh mode: warming up would only add start-up time.
        warm_up()
        _gc_freeze()
    send({
        "op": "ready",
        "pid": os.getpid(),
        "uid": os.getuid(),
        "programUid": SERVER["uid"],
        "checkerUid": SERVER["checker_uid"],
        "seccomp": ok,
        "seccompWhy": why,
        "pidns": SERVER["pidns"],
        "dedicatedUid": SERVER["dedicated_uid"],
        "python": sys.version.split()[0],
        "memfd": hasattr(os, "memfd_create"),
    })
    while True:
        header = read_frame()
        if header is None:
            return
        op = header.get("op")
        if op == "cancel":
            continue
        if op != "run":
            send({"op": "error", "id": header.get("id"), "msg": "unknown op %r" % op})
            continue
        handle(header)


if __name__ == "__main__":
    main()
