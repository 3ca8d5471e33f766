import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_LIMITS,
  Sandbox,
  type SandboxLimits,
  type TestRun,
  detectIsolation,
} from "../../src/sandbox/index.js";

const LIMITS: SandboxLimits = {
  ...DEFAULT_LIMITS,
  timeMs: 1000,
  wallMs: 4000,
  memoryMb: 256,
  outputKb: 16 * 1024,
};
/** For memory bombs: time enough that memory, not CPU, is the limit reached first. */
const MEMORY_LIMITS: SandboxLimits = { ...LIMITS, timeMs: 10_000, wallMs: 20_000 };
const SECRET = `codeloop-secret-${process.pid}-${Date.now()}`;
const SECRET_FILE = join(homedir(), `.codeloop-test-secret-${process.pid}`);
const isRoot = process.getuid?.() === 0;

/** Processes on the host owned by the sandbox uids (root only: sandboxed code has its own uids). */
function sandboxProcesses(uids: number[]): { pid: number; state: string; cmd: string }[] {
  const found: { pid: number; state: string; cmd: string }[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      if (uids.includes(uid)) {
        const state = /^State:\s+(\S)/m.exec(status)?.[1] ?? "?";
        const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim();
        found.push({ pid: Number(name), state, cmd });
      }
    } catch {}
  }
  return found;
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

const bwrapWorks = detectIsolation("auto").kind === "bwrap";
if (!bwrapWorks) {
  console.warn(
    `skipping hostile-program tests: bubblewrap is not usable here (${detectIsolation("auto").reason})`,
  );
}

describe.skipIf(!bwrapWorks)("hostile programs are contained (fork-server pool)", () => {
  let sb: Sandbox;
  let listener: Server;
  let port = 0;
  let connections = 0;
  // Programs and checkers of the two workers run under leased uids from 64100 on; the
  // supervisors stay root, out of their reach.
  const uids = [64100, 64101, 64102, 64103];

  beforeAll(async () => {
    writeFileSync(SECRET_FILE, SECRET);
    process.env.CODELOOP_TEST_SECRET = SECRET;
    sb = await Sandbox.create({ workers: 2, uidBase: 64100 });
    listener = createServer((sock) => {
      connections++;
      sock.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", () => r()));
    port = (listener.address() as { port: number }).port;
  });

  afterAll(async () => {
    rmSync(SECRET_FILE, { force: true });
    process.env.CODELOOP_TEST_SECRET = undefined;
    listener?.close();
    await sb?.close();
  });

  async function run(source: string, stdin = "", limits = LIMITS): Promise<TestRun> {
    const [r] = await sb.run({ program: { kind: "python", source }, tests: [{ stdin }], limits });
    return r!;
  }

  /** After every hostile program: a normal program in the same pool still gets the right answer. */
  async function expectPoolHealthy(): Promise<void> {
    const runs = await sb.run({
      program: { kind: "python", source: "print(int(input()) * 2)" },
      tests: [{ stdin: "21\n" }, { stdin: "50\n" }, { stdin: "1\n" }, { stdin: "4\n" }],
      limits: LIMITS,
    });
    expect(runs.map((r) => [r.record.verdict, r.stdout.toString()])).toEqual([
      ["ok", "42\n"],
      ["ok", "100\n"],
      ["ok", "2\n"],
      ["ok", "8\n"],
    ]);
    if (isRoot) {
      // No test process remains, and no zombie.
      const left = await waitFor(() => sandboxProcesses(uids).length === 0, 3000);
      expect(left, JSON.stringify(sandboxProcesses(uids))).toBe(true);
      expect(sandboxProcesses(uids).filter((p) => p.state === "Z")).toEqual([]);
    }
  }

  it("reports the isolation in force", () => {
    expect(sb.isolation.kind).toBe("bwrap");
    expect(sb.lastReady?.seccomp).toBe(true);
    expect(sb.lastReady?.pidns).toBe(true);
  });

  it("fork bomb: time limit, every process gone", async () => {
    const r = await run(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    );
    expect(r.record.verdict).toBe("time_limit");
    await expectPoolHealthy();
  });

  it("memory bomb: memory limit verdict", async () => {
    // CPU time to spare: touching memory is slow on some VMs (17 us a page fault seen here).
    const r = await run("a = []\nwhile True:\n    a.append('x' * 10**7)\n", "", MEMORY_LIMITS);
    expect(r.record.verdict).toBe("memory_limit");
    await expectPoolHealthy();
  });

  it("infinite loop: time limit on CPU time, killed near the limit", async () => {
    const r = await run("while True:\n    pass\n");
    expect(r.record.verdict).toBe("time_limit");
    expect(r.record.cpuMs).toBeGreaterThanOrEqual(LIMITS.timeMs * 0.95);
    expect(r.record.wallMs).toBeLessThan(LIMITS.wallMs!);
    await expectPoolHealthy();
  });

  it("busy threads: time limit counts every thread's CPU", async () => {
    const src =
      "import threading\ndef spin():\n    while True:\n        pass\nts = [threading.Thread(target=spin, daemon=True) for _ in range(4)]\nfor t in ts: t.start()\nfor t in ts: t.join()\n";
    const r = await run(src);
    expect(r.record.verdict).toBe("time_limit");
    await expectPoolHealthy();
  });

  it("a sleeping program hits the wall-clock backstop", async () => {
    const r = await run("import time\ntime.sleep(60)\n", "", { ...LIMITS, wallMs: 1500 });
    expect(r.record.verdict).toBe("time_limit");
    expect(r.record.detail).toMatch(/wall-clock/);
    expect(r.record.wallMs).toBeLessThan(3000);
    await expectPoolHealthy();
  });

  it("cannot connect to a listener the test opened on 127.0.0.1", async () => {
    const src = `import socket\ntry:\n    socket.create_connection(("127.0.0.1", ${port}), timeout=2)\n    print("connected")\nexcept OSError as e:\n    print("refused", type(e).__name__)\n`;
    const r = await run(src);
    expect(r.stdout.toString()).toMatch(/^refused/);
    expect(connections).toBe(0);
    await expectPoolHealthy();
  });

  it("cannot resolve names", async () => {
    const src =
      'import socket\nfor host in ("example.com", "registry.npmjs.org"):\n    try:\n        print(socket.getaddrinfo(host, 443))\n    except OSError as e:\n        print("failed", host)\n';
    const r = await run(src);
    expect(r.stdout.toString()).toBe("failed example.com\nfailed registry.npmjs.org\n");
    await expectPoolHealthy();
  });

  it("cannot write outside its scratch directory", async () => {
    const target = join(process.cwd(), `pwned-${process.pid}`);
    const src = `import os\nfor p in (${JSON.stringify(target)}, "/etc/pwned", "/usr/pwned", "/var/tmp/pwned-${process.pid}"):\n    try:\n        open(p, "w").write("x")\n        print("wrote", p)\n    except OSError as e:\n        print("denied", type(e).__name__)\nwith open("ok.txt", "w") as f:\n    f.write("scratch is writable")\nprint(open("ok.txt").read())\n`;
    const r = await run(src);
    expect(r.stdout.toString()).not.toContain("wrote");
    expect(r.stdout.toString()).toContain("scratch is writable");
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`/var/tmp/pwned-${process.pid}`)).toBe(false);
    await expectPoolHealthy();
  });

  it("cannot see a secret file in the home directory or an environment variable", async () => {
    const src = `import os\nprint(sorted(os.environ.items()))\nfor p in (${JSON.stringify(SECRET_FILE)}, os.path.expanduser("~/.codeloop-test-secret-${process.pid}")):\n    try:\n        print(open(p).read())\n    except OSError as e:\n        print("hidden", type(e).__name__)\ntry:\n    print(os.listdir(${JSON.stringify(homedir())}))\nexcept OSError as e:\n    print("no home", type(e).__name__)\n`;
    const r = await run(src);
    const out = r.stdout.toString();
    expect(r.record.verdict).toBe("ok");
    expect(out).not.toContain(SECRET);
    expect(out).toContain("hidden");
    expect(out).not.toContain("CODELOOP_TEST_SECRET");
    await expectPoolHealthy();
  });

  it("cannot kill its fork server or the sandbox init", async () => {
    const src =
      "import os, signal\nfor pid in (os.getppid(), 1, -1, -os.getppid()):\n    try:\n        os.kill(pid, signal.SIGKILL)\n        print('killed', pid)\n    except OSError as e:\n        print('denied', type(e).__name__)\n";
    const r = await run(src);
    expect(r.stdout.toString()).not.toContain("killed");
    await expectPoolHealthy();
  });

  it("a fork server killed mid-test is restarted and the test retried once", async () => {
    const before = sb.stats.retries;
    const starts = sb.stats.workerStarts;
    const pending = sb.run({
      program: { kind: "python", source: "import time\ntime.sleep(0.5)\nprint('done')\n" },
      tests: [{ stdin: "" }],
      limits: LIMITS,
    });
    await new Promise((r) => setTimeout(r, 150));
    // Kill every supervisor from outside (as the OOM killer or a crash would).
    for (const w of (sb as unknown as { slots: ({ proc: { pid: number } } | undefined)[] }).slots) {
      if (w) {
        try {
          process.kill(-w.proc.pid, "SIGKILL");
        } catch {}
      }
    }
    const [r] = await pending;
    expect(r!.record.verdict).toBe("ok");
    expect(r!.stdout.toString()).toBe("done\n");
    expect(sb.stats.retries).toBe(before + 1);
    expect(sb.stats.workerStarts).toBeGreaterThan(starts);
    expect(sb.stats.workerDeaths).toBeGreaterThan(0);
    await expectPoolHealthy();
  });

  it("programs cannot start processes: fork, subprocess and os.system are refused", async () => {
    const src =
      "import os, subprocess\nfor name, f in (('fork', os.fork), ('spawn', lambda: subprocess.run(['true'])), ('system', lambda: os.system('true'))):\n    try:\n        r = f()\n        print(name, 'started' if r == 0 or name == 'fork' else 'failed', r)\n        if r == 0 and name == 'fork':\n            os._exit(0)\n    except OSError as e:\n        print(name, 'refused', type(e).__name__)\n";
    const r = await run(src);
    expect(r.record.verdict).toBe("ok");
    const out = r.stdout.toString();
    expect(out).toContain("fork refused PermissionError");
    expect(out).toContain("spawn refused");
    expect(out).not.toMatch(/started/);
    await expectPoolHealthy();
  });

  it("gigabytes of stdout: output limit, stopped early", async () => {
    const r = await run("import sys\nb = 'x' * (1 << 20)\nfor _ in range(4096):\n    sys.stdout.write(b)\n");
    expect(r.record.verdict).toBe("output_limit");
    expect(r.stdout.length).toBeLessThanOrEqual(LIMITS.outputKb * 1024 + 1024);
    await expectPoolHealthy();
  });

  it("gigabytes of stderr: output limit, kept stderr capped", async () => {
    const r = await run("import sys\nb = 'e' * (1 << 20)\nfor _ in range(4096):\n    sys.stderr.write(b)\n");
    expect(r.record.verdict).toBe("output_limit");
    expect(r.record.stderr.length).toBeLessThan(80 * 1024);
    await expectPoolHealthy();
  });

  it("closing stdin early is harmless", async () => {
    const big = `${"1 ".repeat(2_000_000)}\n`;
    const r = await run("import os\nos.close(0)\nprint('closed')\n", big);
    expect(r.record.verdict).toBe("ok");
    expect(r.stdout.toString()).toBe("closed\n");
    await expectPoolHealthy();
  });

  it("cannot write to /proc/<server>/mem", async () => {
    const src =
      "import os\nfor pid in (os.getppid(), 1):\n    try:\n        with open(f'/proc/{pid}/mem', 'r+b') as f:\n            f.seek(0x400000)\n            f.write(b'\\xcc' * 16)\n        print('wrote', pid)\n    except OSError as e:\n        print('denied', type(e).__name__)\n";
    const r = await run(src);
    expect(r.stdout.toString()).not.toContain("wrote");
    await expectPoolHealthy();
  });

  it("deep recursion with a raised recursion limit and threading.stack_size works", async () => {
    const src =
      "import sys, threading\nsys.setrecursionlimit(10**6)\nthreading.stack_size(2**27)\ndef f(n):\n    return 0 if n == 0 else 1 + f(n - 1)\ndef main():\n    print(f(int(input())))\nt = threading.Thread(target=main)\nt.start()\nt.join()\n";
    const r = await run(src, "100000\n", { ...LIMITS, timeMs: 5000, wallMs: 15000 });
    expect(r.record.verdict, r.record.stderr).toBe("ok");
    expect(r.stdout.toString()).toBe("100000\n");
    await expectPoolHealthy();
  });

  it("a segfault through ctypes is a runtime error with its signal", async () => {
    // PyPy's ctypes raises where CPython's crashes: the kill is the fallback crash.
    const r = await run(
      "import ctypes, os, signal\nctypes.string_at(0)\nos.kill(os.getpid(), signal.SIGSEGV)\n",
    );
    expect(r.record.verdict).toBe("runtime_error");
    expect(r.record.signal).toBe("SIGSEGV");
    await expectPoolHealthy();
  });

  it("a C++ fork bomb and memory hog are contained too", async () => {
    const bomb = await sb.prepare("cpp", "#include <unistd.h>\nint main(){ while(1) fork(); }\n");
    expect(bomb.ok).toBe(true);
    if (!bomb.ok) return;
    const [r] = await sb.run({ program: bomb.program, tests: [{ stdin: "" }], limits: LIMITS });
    expect(r!.record.verdict).toBe("time_limit");
    const hog = await sb.prepare(
      "cpp",
      "#include <vector>\n#include <cstdio>\nint main(){ std::vector<std::vector<char>> v; while(1) v.emplace_back(1<<24, 'x'); }\n",
    );
    if (!hog.ok) throw new Error(hog.record.stderr);
    const [m] = await sb.run({ program: hog.program, tests: [{ stdin: "" }], limits: MEMORY_LIMITS });
    expect(m!.record.verdict).toBe("memory_limit");
    await expectPoolHealthy();
  });
});
