import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CLI = "dist/cli/index.js";
const built = existsSync(CLI);
if (!built) console.warn("skipping CLI tests: run `npm run build` first (npm test does)");

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
}

describe.skipIf(!built)("codeloop CLI", () => {
  it("the built entry runs as an executable (the bin npm links; `npx codeloop`)", () => {
    const r = spawnSync(CLI, ["--version"], { encoding: "utf8", timeout: 60_000 });
    expect(r.error?.message ?? "", r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("sandbox run --json prints the run record", () => {
    const r = cli("sandbox", "run", "examples/sum.py", "--stdin", "examples/sum.in", "--json");
    expect(r.status, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout);
    expect(rec).toMatchObject({ verdict: "ok", exitCode: 0, signal: null, stdout: "15\n", stderr: "" });
    for (const k of ["cpuMs", "wallMs", "memoryKb"]) expect(typeof rec[k]).toBe("number");
  });

  it("sandbox run compiles C++ and applies --time-limit", () => {
    const r = cli("sandbox", "run", "examples/sum.cpp", "--stdin", "examples/sum.in");
    expect(r.stdout).toBe("15\n");
    expect(r.stderr).toMatch(/^\[ok\] exit 0/m);
  });

  it("exits 1 with the verdict for a failing program, 2 with a clear message for bad flags", () => {
    const loop = join(mkdtempSync(join(tmpdir(), "codeloop-cli-")), "loop.txt");
    writeFileSync(loop, "while True:\n    pass\n");
    const t = cli("sandbox", "run", loop, "--time-limit", "0.3", "--lang", "python");
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/\[time_limit: CPU time limit \(300 ms\) exceeded\]/);
    const bad = cli("sandbox", "run", "examples/sum.py", "--memory-limit", "-5");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("codeloop: --memory-limit must be a positive number, got '-5'\n");
    const missing = cli("sandbox", "run", "examples/nope.py");
    expect(missing.stderr).toMatch(/cannot read program 'examples\/nope.py': ENOENT/);
  });

  it("doctor --json reports isolation and a passing smoke test", () => {
    const r = cli("doctor", "--json");
    const rep = JSON.parse(r.stdout);
    expect(rep.python.ok).toBe(true);
    expect(rep.smokeTest.ok).toBe(true);
    expect(["bwrap", "rlimits"]).toContain(rep.isolation.kind);
    // PyPy is optional; when it is installed, its fork server must work too.
    if (rep.pypy.ok) {
      expect(rep.pypy.version).toMatch(/^PyPy /);
      expect(rep.pypy.smokeTest.ok, rep.pypy.smokeTest.detail).toBe(true);
    } else expect(rep.pypy.detail).toMatch(/apt-get install pypy3/);
    // node-llama-cpp (the quick start's in-process model) is optional: found by its package, or
    // named with the command that installs it; either way not a failure.
    if (rep.llama.ok) expect(rep.llama.version).toMatch(/^\d+\.\d+\.\d+/);
    else expect(rep.llama.detail).toMatch(/npm install node-llama-cpp@/);
    expect(r.status).toBe(0);
  });
});
