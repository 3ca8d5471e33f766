# codeloop sandbox supervisor: runs inside the sandbox (bubblewrap, or bare rlimits in fallback
# mode), receives whole test sets from the Node process and runs each test in a forked child.
#
# Protocol on fd 0 (requests) and fd 1 (replies): a frame is a 4-byte big-endian length, a JSON
# header of that length, then the raw bytes of the blobs whose lengths the header lists in
# "blobs". Replies: "ready" once, then per request one "result" per test and a final "done".
# A "cancel" frame between tests ends the current request early.
#
# The supervisor itself never runs untrusted code: each test runs in a child that sets its own
# limits, descriptors and seccomp filter before touching the program. Python programs run in
# the forked (warm) interpreter; other programs (C++ binaries, g++, validators) are exec'd.

import errno
import json
import os
import resource
import select
import shutil
import signal
import struct
import sys
import time

# Modules that solutions import all the time, loaded once so each child starts warm.
# `random` is left out on purpose: a module imported here would share one seed across children.
import bisect  # noqa: F401
import collections  # noqa: F401
import functools  # noqa: F401
import heapq  # noqa: F401
import io
import itertools  # noqa: F401
import math  # noqa: F401
import re  # noqa: F401
import string  # noqa: F401
import threading
import traceback
import types
import linecache
import builtins
import atexit
import base64

PROTO_IN = 0
PROTO_OUT = 1
STATUS_FD = 1000  # where a Python child keeps its status pipe (away from the low fds programs use)
CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = max(1, os.cpu_count() or 1)
STATUS_CAP = 64 << 20
SCRATCH = "/tmp"

# ---------------------------------------------------------------------------------------------
# framing


def read_exact(n):
    chunks = []
    while n > 0:
        b = os.read(PROTO_IN, min(n, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_frame():
    head = read_exact(4)
    if head is None:
        return None, None
    (hlen,) = struct.unpack(">I", head)
    header = json.loads(read_exact(hlen))
    blobs = [read_exact(n) for n in header.get("blobs", [])]
    return header, blobs


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def send(header, blobs=()):
    header["blobs"] = [len(b) for b in blobs]
    h = json.dumps(header, separators=(",", ":")).encode()
    write_all(PROTO_OUT, b"".join([struct.pack(">I", len(h)), h, *blobs]))


# ---------------------------------------------------------------------------------------------
# seccomp (x86_64 only): a small classic-BPF program assembled here, installed in each child


SYS = {
    "socket": 41, "clone": 56, "kill": 62, "ptrace": 101, "setpgid": 109, "setsid": 112,
    "pivot_root": 155, "chroot": 161, "mount": 165, "umount2": 166, "tkill": 200,
    "tgkill": 234, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
    "perf_event_open": 298, "prlimit64": 302, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "setns": 308, "process_vm_readv": 310,
    "process_vm_writev": 311, "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "pidfd_open": 434, "clone3": 435,
}
DENY_ALWAYS = [
    "ptrace", "setpgid", "setsid", "pivot_root", "chroot", "mount", "umount2", "add_key",
    "request_key", "keyctl", "unshare", "perf_event_open", "name_to_handle_at",
    "open_by_handle_at", "setns", "process_vm_readv", "process_vm_writev", "bpf",
    "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
]
# Syscalls whose first argument is a pid: allowed only for 0 (self), the child's own group
# (negative pid <= -own) or later pids (its own descendants), never for the supervisor.
PID_GUARDED = ["kill", "tkill", "tgkill", "pidfd_open", "prlimit64"]
AUDIT_ARCH_X86_64 = 0xC000003E
RET_ALLOW = 0x7FFF0000
RET_EPERM = 0x00050000 | errno.EPERM
RET_ENOSYS = 0x00050000 | errno.ENOSYS
CLONE_NEWUSER = 0x10000000
AF_UNIX = 1

_seccomp_state = {"checked": False, "ok": False, "why": ""}


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


def build_filter(own_pid, allow_unix_sockets):
    p = [
        (LD_W_ABS, 0, 0, 4),
        (JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        (RET_K, 0, 0, RET_EPERM),
        (LD_W_ABS, 0, 0, 0),
        (JGE_K, "deny", 0, 0x40000000),  # x32 ABI
    ]
    for name in DENY_ALWAYS:
        p.append((JEQ_K, "deny", 0, SYS[name]))
    p.append((JEQ_K, "enosys", 0, SYS["clone3"]))  # glibc falls back to clone, which we can inspect
    p.append((JEQ_K, "clone", 0, SYS["clone"]))
    p.append((JEQ_K, "socket", 0, SYS["socket"]))
    for name in PID_GUARDED:
        p.append((JEQ_K, "pidarg", 0, SYS[name]))
    p.append((RET_K, 0, 0, RET_ALLOW))
    p += [
        ("label", "clone"),
        (LD_W_ABS, 0, 0, 16),
        (JSET_K, "deny", 0, CLONE_NEWUSER),
        (RET_K, 0, 0, RET_ALLOW),
        ("label", "socket"),
        (LD_W_ABS, 0, 0, 16),
        (JEQ_K, 0, "deny", AF_UNIX) if allow_unix_sockets else (RET_K, 0, 0, RET_EPERM),
        (RET_K, 0, 0, RET_ALLOW),
        ("label", "pidarg"),
        (LD_W_ABS, 0, 0, 16),
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
    """Builds the filter and the ctypes objects once, in the supervisor: doing it in every
    child costs milliseconds (copy-on-write faults in ctypes), patching the pid costs nothing."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    code = build_filter(PID_PLACEHOLDER, allow_unix_sockets)
    slots = []
    for off in range(0, len(code), 8):
        (k,) = struct.unpack_from("I", code, off + 4)
        if k == PID_PLACEHOLDER:
            slots.append((off + 4, False))
        elif k == (1 << 32) - PID_PLACEHOLDER:
            slots.append((off + 4, True))
    buf = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(code) // 8, ctypes.addressof(buf))
    _seccomp.update(libc=libc, buf=buf, prog=prog, addr=ctypes.addressof(prog), slots=slots, ctypes=ctypes)


def install_seccomp(own_pid):
    s = _seccomp
    for off, negative in s["slots"]:
        struct.pack_into("I", s["buf"], off, ((1 << 32) - own_pid) if negative else own_pid)
    libc = s["libc"]
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(s["ctypes"].get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.prctl(22, 2, s["addr"], 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(s["ctypes"].get_errno(), "PR_SET_SECCOMP")


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
            install_seccomp(os.getpid())
            try:
                os.setsid()
                ok = b"setsid-allowed"
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


def decode_value(v):
    tag = v[0]
    if tag == "c":
        return complex(float(v[1]), float(v[2]))
    if tag == "T":
        inner = decode_value(v[2])
        if v[1] == "collections.Counter":
            return collections.Counter(inner)
        if v[1] == "collections.OrderedDict":
            return collections.OrderedDict(inner)
        if v[1] == "collections.deque":
            return collections.deque(inner)
        return inner
    if tag == "N":
        return None
    if tag == "b":
        return bool(v[1])
    if tag == "i":
        return int(v[1])
    if tag == "f":
        x = v[1]
        return float(x) if isinstance(x, str) else float(x)
    if tag == "s":
        return v[1]
    if tag == "y":
        return base64.b64decode(v[1])
    if tag == "l":
        return [decode_value(x) for x in v[1]]
    if tag == "t":
        return tuple(decode_value(x) for x in v[1])
    if tag == "S":
        return {decode_value(x) for x in v[1]}
    if tag == "F":
        return frozenset(decode_value(x) for x in v[1])
    if tag == "d":
        return {decode_value(k): decode_value(x) for k, x in v[1]}
    raise ValueError("cannot decode value tag %r" % tag)


# Standard-library types with value semantics, sent as their builtin form (exact type match:
# a subclass is still an opaque object).
VALUE_TYPES = {
    collections.Counter: ("collections.Counter", dict),
    collections.OrderedDict: ("collections.OrderedDict", dict),
    collections.defaultdict: ("collections.defaultdict", dict),
    collections.deque: ("collections.deque", list),
    re.Match: ("re.Match", lambda m: (m.span(), m.group(0))),
}


class EncodeLimit(Exception):
    pass


def encode_value(v, depth=0, budget=None):
    # Exact type checks: a subclass (e.g. an int whose __eq__ lies) is reported as an object.
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
    if t is int:
        return ["i", str(v)]
    if t is float:
        return ["f", float_part(v)]
    if t is complex:
        return ["c", float_part(v.real), float_part(v.imag)]
    if t in VALUE_TYPES:
        name, as_builtin = VALUE_TYPES[t]
        return ["T", name, encode_value(as_builtin(v), depth + 1, budget)]
    if t is str:
        return ["s", v]
    if t is bytes:
        return ["y", base64.b64encode(v).decode()]
    if t is list:
        return ["l", [encode_value(x, depth + 1, budget) for x in v]]
    if t is tuple:
        return ["t", [encode_value(x, depth + 1, budget) for x in v]]
    if t is set:
        return ["S", [encode_value(x, depth + 1, budget) for x in v]]
    if t is frozenset:
        return ["F", [encode_value(x, depth + 1, budget) for x in v]]
    if t is dict:
        return ["d", [[encode_value(k, depth + 1, budget), encode_value(x, depth + 1, budget)] for k, x in v.items()]]
    try:
        r = object.__repr__(v)
    except BaseException:
        r = "<unrepresentable>"
    return ["o", getattr(t, "__qualname__", "object"), r[:200]]


# ---------------------------------------------------------------------------------------------
# the child


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

    cpu_s = int(lim["cpuMs"] / 1000) + 1
    setl(resource.RLIMIT_CPU, cpu_s, cpu_s + 1)
    if lim.get("addressSpaceKb"):
        setl(resource.RLIMIT_AS, lim["addressSpaceKb"] * 1024)
    if lim.get("stackKb"):
        setl(resource.RLIMIT_STACK, lim["stackKb"] * 1024)
    setl(resource.RLIMIT_FSIZE, lim["fileSizeKb"] * 1024)
    setl(resource.RLIMIT_NOFILE, lim["openFiles"])
    setl(resource.RLIMIT_CORE, 0)
    if lim.get("processes") and SERVER["dedicated_uid"]:
        setl(resource.RLIMIT_NPROC, lim["processes"])


def open_io(io_dir, has_stdin):
    fd_in = os.open(os.path.join(io_dir, "stdin") if has_stdin else "/dev/null", os.O_RDONLY)
    fd_out = os.open(os.path.join(io_dir, "stdout"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fd_err = os.open(os.path.join(io_dir, "stderr"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for src, dst in ((fd_in, 0), (fd_out, 1), (fd_err, 2)):
        os.dup2(src, dst)
        os.close(src)


def child_main(req, test, io_dir, work_dir, status_w, blobs):
    """Runs in the forked child. Never returns."""
    sfd = status_w
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        prog = req["program"]
        is_exec = prog["kind"] == "exec"
        if is_exec:
            # exec keeps ignored signals ignored: a C++ program expects the defaults.
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        open_io(io_dir, test.get("stdin") is not None)
        os.chdir(work_dir)
        os.dup2(status_w, STATUS_FD)
        os.close(status_w)
        sfd = STATUS_FD
        os.closerange(3, STATUS_FD)
        os.closerange(STATUS_FD + 1, 1 << 16)
        if is_exec:
            os.set_inheritable(STATUS_FD, False)
        set_limits(req["limits"])
        if SERVER["seccomp"]:
            install_seccomp(os.getpid())
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": work_dir, "TMPDIR": work_dir}
    except BaseException as e:
        try:
            os.write(sfd, json.dumps({"k": "setup", "msg": repr(e)}).encode())
        except BaseException:
            pass
        os._exit(121)
    if is_exec:
        try:
            argv = test.get("argv") if test.get("argv") is not None else prog.get("argv") or []
            env.update(prog.get("env") or {})
            os.execve(prog["path"], [prog["path"]] + list(argv), env)
        except BaseException as e:
            os.write(STATUS_FD, json.dumps({"k": "exec", "msg": repr(e)}).encode())
            os._exit(127)
    run_python(req, test, blobs, env)


def report(obj):
    # One JSON object per line: a run can report a trace and then its outcome.
    data = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
    try:
        write_all(STATUS_FD, data)
    except OSError:
        pass


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


def run_python(req, test, blobs, env):
    # The supervisor's environment is already the sandbox's fixed minimal one.
    sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
    if "random" in sys.modules:
        sys.modules["random"].seed()
    source = blobs[req["program"]["source"]].decode("utf-8", errors="surrogateescape")
    filename = "solution.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    main.__file__ = filename
    sys.modules["__main__"] = main
    sys.argv = [filename] + [str(a) for a in (test.get("argv") or [])]
    g = main.__dict__
    code = 0
    mode = req.get("mode", "stdio")
    tracer = None
    outcome = "finished"
    try:
        try:
            compiled = compile(source, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as e:
            print_exc_to_stderr()
            report({"k": "syntax", "type": type(e).__name__})
            os._exit(1)
        if req.get("trace") is not None:
            tracer = Tracer(req["trace"], source.splitlines(True))
            threading.settrace(tracer.global_)
            sys.settrace(tracer.global_)
        exec(compiled, g)
        if mode == "function":
            entry = req["entry"]
            if "." in entry:
                cls_name, meth = entry.split(".", 1)
                if cls_name not in g:
                    raise NameError("entry point class %r is not defined" % cls_name)
                fn = getattr(g[cls_name](), meth)
            else:
                if entry not in g:
                    raise NameError("entry point %r is not defined" % entry)
                fn = g[entry]
            args = unlimited_int_digits(lambda: [decode_value(a) for a in json.loads(test["args"])])
            result = fn(*args)
            outcome = "returned " + (tracer.repr(result) if tracer else "")
            try:
                encoded = unlimited_int_digits(encode_value, result)
            except EncodeLimit as e:
                report({"k": "exc", "type": "EncodeLimit", "msg": str(e)})
                os._exit(1)
            report({"k": "ret", "v": encoded})
        elif mode == "assert":
            if req.get("setup"):
                exec(compile(req["setup"], "setup.py", "exec", dont_inherit=True), g)
            script = test["script"]
            linecache.cache["test.py"] = (len(script), None, script.splitlines(True), "test.py")
            try:
                exec(compile(script, "test.py", "exec", dont_inherit=True), g)
            except AssertionError:
                print_exc_to_stderr()
                report({"k": "assert"})
                code = 1
    except SystemExit as e:
        c = e.code
        outcome = "exited with code %r" % (c,)
        if c is None:
            code = 0
        elif isinstance(c, int):
            code = c & 0xFF
        else:
            try:
                print(c, file=sys.stderr)
            except BaseException:
                pass
            code = 1
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
    try:
        if "threading" in sys.modules:
            threading._shutdown()
        atexit._run_exitfuncs()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
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


# ---------------------------------------------------------------------------------------------
# the supervisor side of one test

SERVER = {"seccomp": False, "pidns": False, "dedicated_uid": False, "counter": 0}


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
POLL_S = 0.05


def proc_usage(pid):
    """CPU seconds (all threads) and resident KiB of a running process, from /proc."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK, int(fields[21]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0.0, 0


def kill_everything_else(child_pid):
    """Kills the child's group and, inside our own PID namespace, every process but us and init."""
    try:
        os.killpg(child_pid, signal.SIGKILL)
    except OSError:
        pass
    if SERVER["pidns"]:
        me = os.getpid()
        for name in os.listdir("/proc"):
            if name.isdigit():
                pid = int(name)
                if pid not in (1, me):
                    try:
                        os.kill(pid, signal.SIGKILL)
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


def read_capped(path, cap):
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
        return data, os.path.getsize(path)
    except OSError:
        return b"", 0


def head_tail(data, cap):
    if len(data) <= cap:
        return data
    half = cap // 2
    return data[:half] + b"\n... [truncated] ...\n" + data[-half:]


def run_one(req, test, blobs):
    SERVER["counter"] += 1
    n = SERVER["counter"]
    io_dir = os.path.join(SCRATCH, ".io-%d" % n)
    work_dir = os.path.join(SCRATCH, "w-%d" % n)
    os.mkdir(io_dir, 0o700)
    os.mkdir(work_dir, 0o700)
    lim = req["limits"]
    try:
        if test.get("stdin") is not None:
            with open(os.path.join(io_dir, "stdin"), "wb") as f:
                f.write(blobs[test["stdin"]])
        for name, idx in (test.get("files") or {}).items():
            if "/" in name or name.startswith("."):
                raise ValueError("bad file name %r" % name)
            with open(os.path.join(work_dir, name), "wb") as f:
                f.write(blobs[idx])
        return supervise(req, test, blobs, io_dir, work_dir, lim)
    finally:
        shutil.rmtree(io_dir, ignore_errors=True)
        shutil.rmtree(work_dir, ignore_errors=True)


def supervise(req, test, blobs, io_dir, work_dir, lim):
    status_r, status_w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(status_r)
        child_main(req, test, io_dir, work_dir, status_w, blobs)
        os._exit(122)
    os.close(status_w)
    os.set_blocking(status_r, False)
    status = bytearray()
    cpu_limit = lim["cpuMs"] / 1000.0
    wall_limit = lim["wallMs"] / 1000.0
    killed = None
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    mem_limit_kb = lim.get("memoryKb") or 0
    status_open = True
    # Most tests end within the first poll interval; longer ones are checked every POLL_S for
    # CPU time (all threads) and resident memory, so limits bite promptly, not at the rlimits.
    while True:
        elapsed = time.monotonic() - t0
        if elapsed >= wall_limit:
            killed = "wall"
            break
        wait = min(POLL_S, wall_limit - elapsed)
        # An exec'd program closes the status pipe at exec (EOF): stop watching it then, or
        # select would return at once, forever, and the supervisor would spin.
        fds = ([status_r] if status_open else []) + ([pidfd] if pidfd is not None else [])
        ready, _, _ = select.select(fds, [], [], wait if pidfd is not None else min(wait, 0.002))
        if status_r in ready:
            try:
                chunk = os.read(status_r, 1 << 16)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                status_open = False
            elif chunk:
                status += chunk
                if len(status) > STATUS_CAP:
                    killed = "status"
                    break
        if pidfd is not None:
            if pidfd in ready:
                break
        elif os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            break
        if not ready or pidfd is None:
            cpu, rss = proc_usage(pid)
            if cpu >= cpu_limit:
                killed = "cpu"
                break
            if mem_limit_kb and rss > mem_limit_kb:
                killed = "memory"
                break
    if killed:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    _, wstatus, ru = os.wait4(pid, 0)
    wall_ms = (time.monotonic() - t0) * 1000.0
    if pidfd is not None:
        os.close(pidfd)
    while True:
        try:
            chunk = os.read(status_r, 1 << 16)
        except BlockingIOError:
            break
        if not chunk:
            break
        status += chunk
    os.close(status_r)
    clean = kill_everything_else(pid)
    cpu_ms = (ru.ru_utime + ru.ru_stime) * 1000.0
    out_cap = lim["stdoutKb"] * 1024
    err_cap = lim["stderrKb"] * 1024
    stdout, out_size = read_capped(os.path.join(io_dir, "stdout"), out_cap)
    stderr, err_size = read_capped(os.path.join(io_dir, "stderr"), max(err_cap, 1))
    res = {
        "op": "result",
        "cpuMs": round(cpu_ms, 3),
        "wallMs": round(wall_ms, 3),
        "memoryKb": ru.ru_maxrss,
        "exitCode": os.WEXITSTATUS(wstatus) if os.WIFEXITED(wstatus) else None,
        "signal": os.WTERMSIG(wstatus) if os.WIFSIGNALED(wstatus) else None,
        "killed": killed,
        "stdoutBytes": out_size,
        "stderrBytes": err_size,
        "leftovers": not clean,
    }
    for line in bytes(status).splitlines():
        try:
            msg = json.loads(line.decode("utf-8", errors="replace"))
        except ValueError:
            msg = {"k": "garbled"}
        if not isinstance(msg, dict):
            msg = {"k": "garbled"}
        if msg.get("k") == "trace":
            res["trace"] = msg.get("trace")
        elif "status" not in res:
            res["status"] = msg
    collected = []
    names = []
    for name in req.get("collect") or []:
        data, size = read_capped(os.path.join(work_dir, name), 256 << 20)
        if size:
            names.append(name)
            collected.append(data)
    res["collected"] = names
    return res, [stdout[:out_cap], head_tail(stderr, err_cap)] + collected


# ---------------------------------------------------------------------------------------------
# main loop


def cancelled(req_id):
    r, _, _ = select.select([PROTO_IN], [], [], 0)
    if not r:
        return False
    header, _ = read_frame()
    if header is None:
        sys.exit(0)
    return header.get("op") == "cancel" and header.get("id") == req_id


def drop_privileges(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def prefix_world_readable(path):
    path = os.path.realpath(path)
    while True:
        try:
            if not os.stat(path).st_mode & 0o005:
                return False
        except OSError:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def main():
    global SCRATCH
    args = sys.argv[1:]
    uid = None
    while args:
        a = args.pop(0)
        if a == "--uid":
            uid = int(args.pop(0))
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
    except (ImportError, OSError):
        pass
    if uid is not None and os.getuid() == 0:
        if SERVER["pidns"] or prefix_world_readable(sys.prefix):
            if SCRATCH != "/tmp":
                os.chown(SCRATCH, uid, uid)
            drop_privileges(uid)
            SERVER["dedicated_uid"] = True
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no /proc/<us>/mem for children
    except (ImportError, OSError):
        pass
    install_site_builtins()
    ok, why = probe_seccomp()
    if ok:
        # In bwrap, /run (daemon sockets) is hidden, so Unix sockets stay usable; without
        # namespaces every socket() is refused.
        prepare_seccomp(SERVER["pidns"])
    SERVER["seccomp"] = ok
    # Objects that exist now are never collected: a collection in a child would otherwise
    # touch (and copy-on-write) every page of the warm interpreter.
    if not SERVER.get("fresh"):
        # One test per process in fresh mode: warming up would only add start-up time.
        import gc

        warm_up()
        gc.freeze()
    send({
        "op": "ready",
        "pid": os.getpid(),
        "uid": os.getuid(),
        "seccomp": ok,
        "seccompWhy": why,
        "pidns": SERVER["pidns"],
        "dedicatedUid": SERVER["dedicated_uid"],
        "python": sys.version.split()[0],
    })
    while True:
        header, blobs = read_frame()
        if header is None:
            return
        op = header.get("op")
        if op == "cancel":
            continue
        if op != "run":
            send({"op": "error", "id": header.get("id"), "msg": "unknown op %r" % op})
            continue
        req_id = header.get("id")
        done_reason = "complete"
        for i, test in enumerate(header["tests"]):
            try:
                res, out_blobs = run_one(header, test, blobs)
            except OSError as e:
                res, out_blobs = {"op": "result", "sandboxError": "supervisor: %r" % e}, []
            res["id"] = req_id
            res["index"] = i
            send(res, out_blobs)
            if cancelled(req_id):
                done_reason = "cancelled"
                break
        send({"op": "done", "id": req_id, "reason": done_reason})


if __name__ == "__main__":
    main()
