import { readFileSync, readdirSync } from "node:fs";
import { expect } from "vitest";
import type { JudgeResult } from "../../../src/judge/judge.js";
import { DEFAULT_LIMITS, type SandboxLimits, detectIsolation } from "../../../src/sandbox/index.js";

/**
 * Shared pieces of the attack catalogue: each file of this folder is one hole of the
 * adversarial review, each test one way a program tried to get through it.
 */

export const isRoot = process.getuid?.() === 0;

export const bwrapWorks = detectIsolation("auto").kind === "bwrap";
if (!bwrapWorks) {
  console.warn(
    `skipping attack tests that need bubblewrap: it is not usable here (${detectIsolation("auto").reason})`,
  );
}

export const LIMITS: SandboxLimits = {
  ...DEFAULT_LIMITS,
  timeMs: 1000,
  wallMs: 4000,
  memoryMb: 256,
  outputKb: 16 * 1024,
};

/** For programs that scan their own memory (memoryScanner): reading every page takes a while. */
export const SCAN_LIMITS: SandboxLimits = { ...LIMITS, timeMs: 10_000, wallMs: 30_000 };

/** A verdict that is the program's failure: not accepted, and not blamed on the sandbox. */
export function expectRejected(r: JudgeResult, why = ""): void {
  expect(r.verdict, `${why}: ${JSON.stringify(r.tests.map((t) => [t.verdict, t.message]))}`).not.toBe(
    "accepted",
  );
  expect(r.verdict, why).not.toBe("sandbox_error");
  expect(r.infrastructureFailure, why).toBe(false);
}

/** Processes on the host owned by the given uids (root only: sandboxed code has its own uids). */
export function processesOf(uids: number[]): { pid: number; state: string; cmd: string }[] {
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

export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/**
 * Python source that looks for `marker` in everything the process can reach of itself: live
 * objects, every frame's variables, and every readable byte of its address space. The marker
 * is held in two halves that are never joined, so the scanner does not find its own needle.
 */
export function memoryScanner(marker: string): string {
  const half = Math.floor(marker.length / 2);
  return `
import gc, sys, ctypes
A = ${JSON.stringify(marker.slice(0, half))}
B = ${JSON.stringify(marker.slice(half))}
def has(s):
    i = s.find(A)
    while i >= 0:
        if s[i + len(A): i + len(A) + len(B)] == B:
            return True
        i = s.find(A, i + 1)
    return False
found = []
# PyPy's gc.get_objects hands out objects mid-collection that can crash the process when
# touched (seen as a random SIGSEGV); its bytes are all in the address-space scan below.
for o in (gc.get_objects() if sys.implementation.name != "pypy" else []):
    try:
        if isinstance(o, str) and has(o):
            found.append("gc")
        elif isinstance(o, dict) and any(isinstance(v, str) and has(v) for v in list(o.values())):
            found.append("gc-dict")
    except Exception:
        pass
f = sys._getframe()
while f is not None:
    for v in list(f.f_locals.values()) + list(f.f_globals.values()):
        if isinstance(v, str) and has(v):
            found.append("frame")
    f = f.f_back
A, B = A.encode(), B.encode()
# Pages are read through /proc/self/mem, where a region unmapped meanwhile (PyPy's collector
# returns arenas while the scan runs) is an error to skip rather than a crash; ctypes if not.
try:
    import os
    _mem = os.open("/proc/self/mem", os.O_RDONLY)
    def peek(at, n):
        return os.pread(_mem, n, at)
except OSError:
    def peek(at, n):
        return ctypes.string_at(at, n)
with open("/proc/self/maps") as maps:
    for line in maps:
        parts = line.split()
        if "r" not in parts[1] or (len(parts) > 5 and parts[5].startswith("[v")):
            continue
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        if hi - lo > (1 << 30):
            continue
        # In pieces (PyPy maps large regions), overlapping by the marker's length.
        step, over = 1 << 20, len(A) + len(B)
        for at in range(lo, hi, step):
            try:
                if has(peek(at, min(step + over, hi - at))):
                    found.append("memory:" + (parts[5] if len(parts) > 5 else "anon"))
                    break
            except Exception:
                break
print("FOUND" if found else "clean", sorted(set(found)))
`;
}
