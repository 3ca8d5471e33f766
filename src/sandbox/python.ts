import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";

export interface PythonInfo {
  /** The real interpreter binary (a version-manager shim resolved away). */
  executable: string;
  /** sys.base_prefix: the installation whose files must be visible inside the sandbox. */
  prefix: string;
  version: string;
  /** How it was found, e.g. "CODELOOP_PYTHON" or "python3 on PATH". */
  source: string;
}

let cached: Map<string, PythonInfo> | undefined;

/**
 * Finds the Python interpreter once: an explicit path, else $CODELOOP_PYTHON, else python3 on
 * PATH. The interpreter reports its own sys.executable, which is the real binary even when the
 * PATH entry is a pyenv/asdf shim (a shim costs ~140 ms per start; the real binary ~10 ms).
 */
export function resolvePython(explicit?: string): PythonInfo {
  const [candidate, source] = explicit
    ? [explicit, "option"]
    : process.env.CODELOOP_PYTHON
      ? [process.env.CODELOOP_PYTHON, "CODELOOP_PYTHON"]
      : ["python3", "python3 on PATH"];
  cached ??= new Map();
  const hit = cached.get(candidate);
  if (hit) return hit;
  let out: string;
  try {
    out = execFileSync(
      candidate,
      [
        "-I",
        "-S",
        "-c",
        "import sys, json; print(json.dumps([sys.executable, sys.base_prefix, sys.version.split()[0]]))",
      ],
      { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "pipe"] },
    );
  } catch (err) {
    throw new Error(
      `cannot run Python interpreter '${candidate}' (from ${source}): ${(err as Error).message.split("\n")[0]}. Install Python 3.8+ or set CODELOOP_PYTHON to its path.`,
    );
  }
  const [exe, prefix, version] = JSON.parse(out.trim()) as [string, string, string];
  const [major, minor] = version.split(".").map(Number);
  if (major !== 3 || (minor ?? 0) < 8) {
    throw new Error(`Python ${version} at ${exe} is too old: codeloop needs Python 3.8 or newer`);
  }
  const info: PythonInfo = { executable: realpathSync(exe), prefix: realpathSync(prefix), version, source };
  cached.set(candidate, info);
  return info;
}
