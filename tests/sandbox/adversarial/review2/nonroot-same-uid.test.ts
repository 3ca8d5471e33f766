import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findExecutable } from "../../../../src/sandbox/index.js";
import { isRoot } from "../helpers.js";

/**
 * Review 2 hole (codeloop without root: unprivileged bubblewrap, "one uid for everything"):
 * the scratch space /tmp of the sandbox belongs to the very uid the programs run under, and
 * the supervisor has no capability left to override permissions. A program that runs
 * `os.chmod("/tmp", 0)` (and prints the right answer: it is accepted) makes every later
 * make_work_dir() fail with PermissionError; handle() turns that into `sandboxError`, the
 * retry goes to the same live supervisor, and from then on every test of every submission on
 * that worker is `sandbox_error` with infrastructureFailure: true, excluded from scoring, for
 * as long as the worker lives. Measured: the next two honest submissions both
 * "infrastructure failure (after one retry): supervisor: PermissionError(13, 'Permission denied')".
 * Fix: restore the scratch directory's mode (the owner can always chmod) before each work
 * directory is made and in clean_scratch; treat a supervisor that cannot set up a test twice
 * as dead (restart it) rather than reporting sandbox_error from the same one.
 *
 * Second hole of the same mode: the seccomp filter guards the pid argument of kill, tkill,
 * rt_sigqueueinfo, pidfd_open, ... but not fcntl. `fcntl(fd, F_SETOWN, 2)` (the supervisor),
 * `fcntl(fd, F_SETSIG, SIGSTOP)` and O_ASYNC on one end of a socketpair, then one byte written
 * to the other end: the kernel delivers SIGSTOP to the supervisor (SIGIO permission is by uid,
 * the same one). Measured: "the sandbox stopped answering while this test ran, twice", 38 s
 * of a worker per submission, two watchdog kills; with SIGKILL instead, two supervisor deaths.
 * docs/sandbox.md says the filter keeps the supervisor out of reach without root.
 * Fix: refuse F_SETSIG and F_SETOWN/F_SETOWN_EX (and the FIOSETOWN/SIOCSPGRP ioctls) unless
 * they name the caller itself.
 *
 * As root this test runs the scenario as uid 65534 through setpriv, against dist/ (npm run
 * build first), with /usr/bin/python3 (a pyenv under /root is not readable by that uid).
 */

const DIST = fileURLToPath(new URL("../../../../dist/", import.meta.url));
const SCENARIO = `
import { Sandbox, DEFAULT_LIMITS } from ${JSON.stringify(join(DIST, "sandbox/index.js"))};
import { Judge } from ${JSON.stringify(join(DIST, "judge/index.js"))};
const sb = await Sandbox.create({ workers: 1, python: process.env.PY });
const out = { isolation: sb.isolation.kind, dedicatedUid: sb.lastReady?.dedicatedUid, verdicts: [] };
const judge = new Judge(sb);
const spec = { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } };
const tests = [{ kind: "stdio", input: "1 2\\n", output: "3\\n" }];
const evil = 'import os\\nos.chmod("/tmp", 0)\\nprint(3)\\n';
const good = "a, b = map(int, input().split())\\nprint(a + b)\\n";
for (const code of [evil, good, good]) {
  const r = await judge.judge(spec, tests, { language: "python", code }, { limits: DEFAULT_LIMITS });
  out.verdicts.push([r.verdict, r.infrastructureFailure]);
}
await sb.close();
console.log(JSON.stringify(out));
`;

const SIGIO_SCENARIO = `
import { Sandbox, DEFAULT_LIMITS } from ${JSON.stringify(join(DIST, "sandbox/index.js"))};
const sb = await Sandbox.create({ workers: 1, python: process.env.PY });
const code = [
  "import os, fcntl, signal, socket",
  "a, b = socket.socketpair()",
  "fcntl.fcntl(b.fileno(), fcntl.F_SETOWN, 2)",
  "fcntl.fcntl(b.fileno(), 10, signal.SIGSTOP)",
  "fcntl.fcntl(b.fileno(), fcntl.F_SETFL, fcntl.fcntl(b.fileno(), fcntl.F_GETFL) | os.O_ASYNC)",
  "a.send(b'x')",
  "print(3)",
].join("\\n");
const t0 = Date.now();
const r = await sb.runOnce("python", code, "", { ...DEFAULT_LIMITS, timeMs: 1000, wallMs: 2000 });
const out = { isolation: sb.isolation.kind, verdict: r.record.verdict, detail: r.record.detail, ms: Date.now() - t0, stalls: sb.stats.stalls };
await sb.close();
console.log(JSON.stringify(out));
`;

const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : findExecutable("python3");
const setpriv = findExecutable("setpriv");

describe.skipIf((isRoot && !setpriv) || !findExecutable("bwrap"))(
  "without root, one uid for everything",
  () => {
    it("a program cannot make later submissions infrastructure failures", () => {
      const dir = mkdtempSync(join(tmpdir(), "codeloop-review2-"));
      try {
        chmodSync(dir, 0o777);
        const script = join(dir, "scenario.mjs");
        writeFileSync(script, SCENARIO, { mode: 0o644 });
        const cmd = isRoot
          ? [setpriv!, "--reuid", "65534", "--regid", "65534", "--clear-groups", process.execPath, script]
          : [process.execPath, script];
        const r = spawnSync(cmd[0]!, cmd.slice(1), {
          env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir, PY: python },
          encoding: "utf8",
          timeout: 120_000,
        });
        const line = r.stdout.trim().split("\n").pop() ?? "";
        const out = JSON.parse(line || "{}") as { isolation?: string; verdicts?: [string, boolean][] };
        if (out.isolation !== "bwrap") return; // unprivileged user namespaces unavailable here
        const [, second, third] = out.verdicts ?? [];
        // Today: ["accepted", false], ["sandbox_error", true], ["sandbox_error", true].
        expect(second, `${r.stderr.slice(-500)} ${line}`).toEqual(["accepted", false]);
        expect(third).toEqual(["accepted", false]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 150_000);

    it("a program cannot stop its supervisor through SIGIO", () => {
      const dir = mkdtempSync(join(tmpdir(), "codeloop-review2-"));
      try {
        chmodSync(dir, 0o777);
        const script = join(dir, "sigio.mjs");
        writeFileSync(script, SIGIO_SCENARIO, { mode: 0o644 });
        const cmd = isRoot
          ? [setpriv!, "--reuid", "65534", "--regid", "65534", "--clear-groups", process.execPath, script]
          : [process.execPath, script];
        const r = spawnSync(cmd[0]!, cmd.slice(1), {
          env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir, PY: python },
          encoding: "utf8",
          timeout: 120_000,
        });
        const line = r.stdout.trim().split("\n").pop() ?? "";
        const out = JSON.parse(line || "{}") as { isolation?: string; stalls?: number; ms?: number };
        if (out.isolation !== "bwrap") return;
        // Today: time_limit after two 19 s watchdog stalls (about 38 s).
        expect(out.stalls, `${r.stderr.slice(-500)} ${line}`).toBe(0);
        expect(out.ms).toBeLessThan(10_000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 150_000);
  },
);
