import { spawnSync } from "node:child_process";
import { constants, accessSync, existsSync, lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
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
  /** The interpreter binary (outside the prefix for virtual environments). */
  pythonExecutable: string;
  /** runner.py on the host, mounted read-only at /run/codeloop/runner.py. */
  runnerPath: string;
  /** A private directory of this sandbox with the generated /etc/passwd and /etc/group. */
  etcDir: string;
  tmpfsBytes: number;
}

export const SANDBOX_RUNNER_DIR = "/run/codeloop";
/** Python settings of the sandbox: a fixed hash seed for reproducible outputs. */
export const SANDBOX_PYTHON_ENV: Record<string, string> = { PYTHONHASHSEED: "0" };

/**
 * What the sandbox shows of /etc: the dynamic linker's configuration, time zone and the
 * alternatives symlinks that compilers resolve through. Nothing else of the host's /etc.
 */
const ETC_ALLOW = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "nsswitch.conf"];

/** Top-level names that are usually links into /usr on merged-/usr systems (Debian 12). */
const ROOT_LIB_DIRS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

/**
 * bubblewrap arguments. The file system is an allow-list: /usr and the top-level links into it,
 * a minimal /etc, the interpreter's own prefix, runner.py, a fresh read-only /dev and /proc, and
 * a size-limited tmpfs /tmp. Nothing else of the host is there: no benchmark files, run folders,
 * caches, homes, other submissions' binaries (a program's own binary travels in its request).
 * No network (own network namespace), new PID/IPC/UTS namespaces, a new session, all
 * capabilities dropped; as root the supervisor keeps only those it needs to start programs
 * under their own uid and to kill and clean up after them.
 */
export function bwrapArgs(layout: BwrapLayout): string[] {
  const args = [...unshareArgs(layout.isRoot), "--die-with-parent", "--new-session", "--cap-drop", "ALL"];
  if (layout.isRoot) {
    for (const cap of ["CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"])
      args.push("--cap-add", cap);
  }
  args.push("--ro-bind", "/usr", "/usr");
  for (const name of ROOT_LIB_DIRS) {
    const path = `/${name}`;
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(path), path);
    else if (st.isDirectory()) args.push("--ro-bind", path, path);
  }
  args.push("--perms", "0755", "--dir", "/etc");
  for (const name of ETC_ALLOW) args.push("--ro-bind-try", `/etc/${name}`, `/etc/${name}`);
  args.push("--ro-bind", join(layout.etcDir, "passwd"), "/etc/passwd");
  args.push("--ro-bind", join(layout.etcDir, "group"), "/etc/group");
  args.push("--dev", "/dev", "--remount-ro", "/dev", "--proc", "/proc");
  // The interpreter may live outside /usr (pyenv under a home, conda in /opt): bring back its
  // prefix, and the directory of its binary, read-only, with traversable parents.
  const bound = new Set<string>();
  for (const dir of [layout.pythonPrefix, dirname(layout.pythonExecutable)]) {
    if (
      dir === "/usr" ||
      dir.startsWith("/usr/") ||
      [...bound].some((b) => dir === b || dir.startsWith(`${b}/`))
    )
      continue;
    const parents: string[] = [];
    for (let p = dirname(dir); p !== "/" && p !== "."; p = dirname(p)) parents.unshift(p);
    for (const p of parents) args.push("--perms", "0755", "--dir", p);
    args.push("--ro-bind", dir, dir);
    bound.add(dir);
  }
  args.push("--perms", "0755", "--dir", SANDBOX_RUNNER_DIR);
  args.push("--ro-bind", layout.runnerPath, `${SANDBOX_RUNNER_DIR}/runner.py`);
  args.push(
    "--perms",
    layout.isRoot ? "0711" : "0700",
    "--size",
    String(layout.tmpfsBytes),
    "--tmpfs",
    "/tmp",
  );
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
    // The root is a tmpfs bwrap made: without root its directories (/etc, /run, ...) belong to
    // the user programs run as, and a file left there would reach the next program. Only /tmp,
    // emptied after every test, stays writable.
    "--remount-ro",
    "/",
  );
  return args;
}

/** /etc/passwd and /etc/group for the sandbox: root, the sandbox uids, nobody. */
export function sandboxEtc(uids: number[]): { passwd: string; group: string } {
  const me = process.getuid?.() ?? 0;
  const users: [string, number][] = [["root", 0]];
  if (me !== 0) users.push(["codeloop", me]);
  uids.forEach((uid, i) => users.push([`sandbox${i}`, uid]));
  users.push(["nobody", 65534]);
  return {
    passwd: users.map(([name, uid]) => `${name}:x:${uid}:${uid}:${name}:/tmp:/usr/sbin/nologin\n`).join(""),
    group: users.map(([name, uid]) => `${name}:x:${uid}:\n`).join(""),
  };
}

/**
 * Whether every directory on the way to `path`, and `path` itself, can be traversed and read
 * by any user: a program running under its own uid without namespaces must be able to import
 * the interpreter's modules.
 */
export function worldReadable(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    try {
      const mode = statSync(p).mode;
      if (p === path ? (mode & 0o005) !== 0o005 : (mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (p === "/" || dirname(p) === p) return true;
  }
}
