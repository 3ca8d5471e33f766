import { spawnSync } from "node:child_process";
import { constants, accessSync, existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";

/** What the user asked for: bubblewrap, no namespaces at all, or whatever works. */
export type IsolationRequest = "auto" | "bwrap" | "none";

export interface IsolationInfo {
  /** The mechanism in force for this sandbox. */
  kind: "bwrap" | "rlimits";
  /** Why this kind was chosen (and, for a fallback, why bubblewrap was not). */
  reason: string;
  bwrapPath?: string;
  /** Set whenever isolation is weaker than bubblewrap: printed on every run. */
  warning?: string;
}

export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

export interface HostFacts {
  isRoot: boolean;
  maxUserNamespaces?: number;
  unprivilegedUsernsClone?: string;
  cgroup: "v2" | "v1" | "hybrid" | "none";
  seccompInKernel: boolean;
}

export function hostFacts(): HostFacts {
  const max = readTrim("/proc/sys/user/max_user_namespaces");
  const v2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
  const v1 = existsSync("/sys/fs/cgroup/memory") || existsSync("/sys/fs/cgroup/pids");
  const status = readTrim("/proc/self/status") ?? "";
  return {
    isRoot: process.getuid?.() === 0,
    maxUserNamespaces: max === undefined ? undefined : Number(max),
    unprivilegedUsernsClone: readTrim("/proc/sys/kernel/unprivileged_userns_clone"),
    cgroup:
      v2 && v1 ? "hybrid" : v2 ? "v2" : v1 ? "v1" : existsSync("/sys/fs/cgroup/unified") ? "hybrid" : "none",
    seccompInKernel: /^Seccomp:/m.test(status),
  };
}

/** The namespace flags: root needs no user namespace (and keeps real uids for RLIMIT_NPROC). */
export function unshareArgs(isRoot: boolean): string[] {
  return isRoot
    ? ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    : ["--unshare-all"];
}

let probeCache: IsolationInfo | undefined;

/** Decides once per process which isolation to use, by actually starting bubblewrap. */
export function detectIsolation(request: IsolationRequest = "auto"): IsolationInfo {
  if (request === "none") {
    return {
      kind: "rlimits",
      reason: "isolation 'none' requested",
      warning:
        "SANDBOX WEAK: bubblewrap disabled by request; untrusted code runs with rlimits and seccomp only " +
        "(it can read files your user can read).",
    };
  }
  if (probeCache && request === "auto") return probeCache;
  const bwrap = findExecutable("bwrap");
  let why: string;
  if (!bwrap) {
    why = "bwrap not found on PATH (Debian/Ubuntu: apt-get install bubblewrap)";
  } else {
    const isRoot = process.getuid?.() === 0;
    const r = spawnSync(
      bwrap,
      [...unshareArgs(isRoot), "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "true"],
      { encoding: "utf8", timeout: 10_000 },
    );
    if (r.status === 0) {
      const info: IsolationInfo = {
        kind: "bwrap",
        reason: isRoot
          ? "bubblewrap works (running as root: sandboxed code drops to a dedicated uid)"
          : "bubblewrap works with unprivileged user namespaces",
        bwrapPath: bwrap,
      };
      if (request === "auto") probeCache = info;
      return info;
    }
    why = `bwrap failed to start a sandbox: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
    const facts = hostFacts();
    if (facts.maxUserNamespaces === 0 || facts.unprivilegedUsernsClone === "0") {
      why += " (user namespaces are disabled on this host)";
    }
  }
  if (request === "bwrap") throw new Error(`bubblewrap isolation was requested but ${why}`);
  const info: IsolationInfo = {
    kind: "rlimits",
    reason: why,
    warning: `SANDBOX WEAK: ${why}; untrusted code runs with rlimits and seccomp only, without namespaces (no filesystem or PID isolation).`,
  };
  probeCache = info;
  return info;
}

export interface BwrapLayout {
  bwrapPath: string;
  isRoot: boolean;
  pythonPrefix: string;
  /** Host directory holding runner.py, mounted read-only at /run/codeloop. */
  runnerDir: string;
  /** Host directory of compiled programs, mounted read-only at /run/codeloop-bin. */
  artifactsDir: string;
  tmpfsBytes: number;
}

export const SANDBOX_RUNNER_DIR = "/run/codeloop";
/** Python settings of the sandbox: a fixed hash seed for reproducible outputs. */
export const SANDBOX_PYTHON_ENV: Record<string, string> = { PYTHONHASHSEED: "0" };
export const SANDBOX_BIN_DIR = "/run/codeloop-bin";

/** Directories whose contents are private to users and must not be visible inside. */
function privateDirs(): string[] {
  const dirs = ["/home", "/root"];
  const home = homedir();
  if (home && home !== "/" && !dirs.some((d) => home === d || home.startsWith(`${d}/`))) dirs.push(home);
  return dirs.filter((d) => existsSync(d));
}

/**
 * bubblewrap arguments: read-only root, fresh /dev, /proc and tmpfs /tmp, homes and /run
 * (where daemons keep their sockets) hidden, no network, new PID/IPC/UTS namespaces,
 * a new session, all capabilities dropped (root keeps only setuid/setgid until the runner
 * switches to its dedicated uid, which clears them), environment reduced to a fixed set.
 */
export function bwrapArgs(layout: BwrapLayout): string[] {
  const args = [...unshareArgs(layout.isRoot), "--die-with-parent", "--new-session", "--cap-drop", "ALL"];
  if (layout.isRoot) args.push("--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID");
  args.push("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc");
  const hidden = privateDirs();
  for (const dir of hidden) args.push("--perms", "0755", "--tmpfs", dir);
  args.push("--perms", "0755", "--tmpfs", "/run");
  // The interpreter may live under a hidden home (pyenv, conda): bring it back, read-only,
  // with world-traversable parents so the dedicated uid can reach it.
  const prefix = layout.pythonPrefix;
  const under = hidden.find((d) => prefix === d || prefix.startsWith(`${d}/`));
  if (under) {
    const parents: string[] = [];
    for (let p = dirname(prefix); p.length > under.length; p = dirname(p)) parents.unshift(p);
    for (const p of parents) args.push("--perms", "0755", "--dir", p);
    args.push("--ro-bind", prefix, prefix);
  }
  args.push("--ro-bind", layout.runnerDir, SANDBOX_RUNNER_DIR);
  args.push("--ro-bind", layout.artifactsDir, SANDBOX_BIN_DIR);
  args.push("--perms", "1777", "--size", String(layout.tmpfsBytes), "--tmpfs", "/tmp");
  args.push(
    "--clearenv",
    "--setenv",
    "PATH",
    "/usr/local/bin:/usr/bin:/bin",
    "--setenv",
    "LANG",
    "C.UTF-8",
    "--setenv",
    "HOME",
    "/tmp",
    "--setenv",
    "TMPDIR",
    "/tmp",
    ...Object.entries(SANDBOX_PYTHON_ENV).flatMap(([k, v]) => ["--setenv", k, v]),
    "--hostname",
    "sandbox",
    "--chdir",
    "/tmp",
  );
  return args;
}
