import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Runs tests/problems/pytruth.py (outside any sandbox: trusted input only) and reads its JSON lines. */

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "pytruth.py");
const PYTHON = process.env.CODELOOP_PYTHON ?? "python3";

/** Whether a Python 3 interpreter is there; tests that need one skip with a message otherwise. */
export function hasPython(): boolean {
  const r = spawnSync(PYTHON, ["-c", "import sys; assert sys.version_info >= (3, 8)"], { encoding: "utf8" });
  const ok = r.status === 0;
  if (!ok) console.log(`skipping: no Python 3.8+ at '${PYTHON}' (set CODELOOP_PYTHON)`);
  return ok;
}

export function pyTruth<T>(mode: "asserts" | "exprs", input: unknown): T[] {
  const r = spawnSync(PYTHON, [SCRIPT, mode], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 1 << 30,
    timeout: 300_000,
    // Set iteration order, and so some return values, must not change between runs.
    env: { ...process.env, PYTHONHASHSEED: "0" },
  });
  if (r.status !== 0) throw new Error(`pytruth.py ${mode} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as T);
}
