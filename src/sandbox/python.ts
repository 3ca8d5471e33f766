import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";

/** The Python implementations codeloop can judge with. */
export type PythonRuntime = "cpython" | "pypy";
export const PYTHON_RUNTIMES: readonly PythonRuntime[] = ["cpython", "pypy"];

export interface PythonInfo {
  /** The real interpreter binary (a version-manager shim resolved away). */
  executable: string;
  /** sys.base_prefix: the installation whose files must be visible inside the sandbox. */
  prefix: string;
  /** The Python language version (PyPy 7.3.11 reports 3.9.16). */
  version: string;
  /** cpython or pypy, as the interpreter reports itself (sys.implementation.name). */
  runtime: PythonRuntime;
  /** The implementation's own version: PyPy's 7.3.11, CPython's equal to `version`. */
  implementationVersion: string;
  /** How it was found, e.g. "CODELOOP_PYTHON" or "python3 on PATH". */
  source: string;
}

const cached = new Map<string, PythonInfo>();

/** Where each runtime is looked for when no path is given. */
function candidateFor(runtime: PythonRuntime): [string, string] {
  if (runtime === "pypy") {
    return process.env.CODELOOP_PYPY
      ? [process.env.CODELOOP_PYPY, "CODELOOP_PYPY"]
      : ["pypy3", "pypy3 on PATH"];
  }
  return process.env.CODELOOP_PYTHON
    ? [process.env.CODELOOP_PYTHON, "CODELOOP_PYTHON"]
    : ["python3", "python3 on PATH"];
}

const INSTALL_HINT: Record<PythonRuntime, string> = {
  cpython: "Install Python 3.8+ or set CODELOOP_PYTHON to its path.",
  pypy: "Install PyPy 3 (apt-get install pypy3) or set CODELOOP_PYPY to its path.",
};

/**
 * Finds a Python interpreter once: a runtime name ("cpython": $CODELOOP_PYTHON, else python3
 * on PATH; "pypy": $CODELOOP_PYPY, else pypy3 on PATH) or an interpreter's path. The
 * interpreter reports its own sys.executable, which is the real binary even when the PATH
 * entry is a pyenv/asdf shim (a shim costs ~140 ms per start; the real binary ~10 ms).
 */
export function resolvePython(explicit?: string): PythonInfo {
  const runtime = explicit === "cpython" || explicit === "pypy" ? explicit : undefined;
  const [candidate, source] =
    explicit && !runtime ? [explicit, "option"] : candidateFor(runtime ?? "cpython");
  const hit = cached.get(candidate);
  if (hit) return hit;
  let out: string;
  try {
    out = execFileSync(
      candidate,
      [
        "-S",
        "-s",
        "-E",
        "-c",
        "import sys, json; i = sys.implementation; v = i.version; print(json.dumps([sys.executable, sys.base_prefix, sys.version.split()[0], i.name, '%d.%d.%d' % (v.major, v.minor, v.micro)]))",
      ],
      { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "pipe"] },
    );
  } catch (err) {
    throw new Error(
      `cannot run Python interpreter '${candidate}' (from ${source}): ${(err as Error).message.split("\n")[0]}. ${INSTALL_HINT[runtime ?? "cpython"]}`,
    );
  }
  const [exe, prefix, version, impl, implVersion] = JSON.parse(out.trim()) as string[];
  const [major, minor] = version!.split(".").map(Number);
  if (major !== 3 || (minor ?? 0) < 8) {
    throw new Error(`Python ${version} at ${exe} is too old: codeloop needs Python 3.8 or newer`);
  }
  const found: PythonRuntime = impl === "pypy" ? "pypy" : "cpython";
  if (impl !== "pypy" && impl !== "cpython") {
    throw new Error(`${exe} is ${impl}, not CPython or PyPy: codeloop judges with those two only`);
  }
  if (runtime && runtime !== found) {
    throw new Error(`'${candidate}' (from ${source}) is ${found}, not ${runtime}. ${INSTALL_HINT[runtime]}`);
  }
  const info: PythonInfo = {
    executable: realpathSync(exe!),
    prefix: realpathSync(prefix!),
    version: version!,
    runtime: found,
    implementationVersion: implVersion!,
    source,
  };
  cached.set(candidate, info);
  return info;
}

/** Whether a runtime can be found here (for defaults that prefer PyPy when it is installed). */
export function pythonAvailable(runtime: PythonRuntime): boolean {
  try {
    resolvePython(runtime);
    return true;
  } catch {
    return false;
  }
}

/** "PyPy 7.3.11 (Python 3.9.16)" or "CPython 3.11.7": the name reports and verdicts carry. */
export function pythonLabel(p: PythonInfo): string {
  return p.runtime === "pypy"
    ? `PyPy ${p.implementationVersion} (Python ${p.version})`
    : `CPython ${p.version}`;
}
