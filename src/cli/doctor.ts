import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { NODE_LLAMA_CPP_VERSION } from "../models/index.js";
import {
  DEFAULT_LIMITS,
  type HostFacts,
  type IsolationInfo,
  type ReadyInfo,
  Sandbox,
  detectIsolation,
  findExecutable,
  hostFacts,
  pythonLabel,
  resolvePython,
} from "../sandbox/index.js";

interface Check {
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  ok: boolean;
  node: { version: string; path: string };
  python: Check & { path?: string; version?: string; source?: string };
  /** PyPy, optional: Kattis judges Python with it and calibrates time limits for it. */
  pypy: Check & { path?: string; version?: string; source?: string; smokeTest?: Check };
  cxx: Check & { path?: string; version?: string };
  /** node-llama-cpp, optional: `llama:` models (the quick start's) run in-process with it. */
  llama: Check & { version?: string };
  isolation: IsolationInfo & { bwrapVersion?: string };
  host: HostFacts;
  supervisor?: ReadyInfo;
  smokeTest: Check & { wallMs?: number; perRunMs?: number };
}

function firstLine(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] })
      .split("\n")[0]
      ?.trim();
  } catch {
    return undefined;
  }
}

export async function runDoctor(): Promise<DoctorReport> {
  const report: DoctorReport = {
    ok: true,
    node: { version: process.version, path: process.execPath },
    python: { ok: false, detail: "" },
    pypy: { ok: false, detail: "" },
    cxx: { ok: false, detail: "" },
    llama: llamaCheck(),
    isolation: detectIsolation("auto"),
    host: hostFacts(),
    smokeTest: { ok: false, detail: "not run" },
  };
  try {
    const py = resolvePython();
    report.python = {
      ok: true,
      detail: "found",
      path: py.executable,
      version: py.version,
      source: py.source,
    };
  } catch (err) {
    report.python = { ok: false, detail: (err as Error).message };
  }
  try {
    const pp = resolvePython("pypy");
    report.pypy = {
      ok: true,
      detail: "found",
      path: pp.executable,
      version: pythonLabel(pp),
      source: pp.source,
    };
  } catch {
    report.pypy = {
      ok: false,
      detail:
        "not installed: Kattis packages are judged with CPython, slower than the PyPy their limits assume (apt-get install pypy3, or set CODELOOP_PYPY)",
    };
  }
  const gxx = findExecutable("g++");
  report.cxx = gxx
    ? { ok: true, detail: "found", path: gxx, version: firstLine(gxx, ["--version"]) }
    : { ok: false, detail: "g++ not on PATH: C++ submissions cannot be judged (apt-get install g++)" };
  if (report.isolation.bwrapPath) {
    report.isolation.bwrapVersion = firstLine(report.isolation.bwrapPath, ["--version"]);
  }
  if (report.python.ok) {
    const t0 = performance.now();
    let sb: Sandbox | undefined;
    try {
      sb = await Sandbox.create({ workers: 1 });
      report.supervisor = sb.lastReady;
      const runs = await sb.run({
        program: { kind: "python", source: "print(input()[::-1])" },
        tests: Array.from({ length: 20 }, (_, i) => ({ stdin: `codeloop${i}\n` })),
        limits: DEFAULT_LIMITS,
      });
      const good = runs.every(
        (r, i) =>
          r.record.verdict === "ok" && r.stdout.toString() === `${[...`codeloop${i}`].reverse().join("")}\n`,
      );
      const perRun = runs.reduce((a, r) => a + r.record.wallMs, 0) / runs.length;
      report.smokeTest = {
        ok: good,
        detail: good
          ? "fork server ran 20 programs correctly"
          : `unexpected result: ${JSON.stringify(runs[0]?.record)}`,
        wallMs: Math.round(performance.now() - t0),
        perRunMs: Math.round(perRun * 100) / 100,
      };
    } catch (err) {
      report.smokeTest = { ok: false, detail: (err as Error).message };
    } finally {
      await sb?.close();
    }
  }
  if (report.pypy.ok) report.pypy.smokeTest = await pypySmoke();
  report.ok =
    report.python.ok && report.smokeTest.ok && (!report.pypy.ok || report.pypy.smokeTest?.ok === true);
  return report;
}

/** Five programs under PyPy in its fork server: the runtime works inside the sandbox. */
async function pypySmoke(): Promise<Check> {
  let sb: Sandbox | undefined;
  try {
    sb = await Sandbox.create({ workers: 1, python: "pypy" });
    const runs = await sb.run({
      program: { kind: "python", source: "import sys\nprint(sys.implementation.name, input())" },
      tests: Array.from({ length: 5 }, (_, i) => ({ stdin: `${i}\n` })),
      limits: DEFAULT_LIMITS,
    });
    const good = runs.every((r, i) => r.record.verdict === "ok" && r.stdout.toString() === `pypy ${i}\n`);
    const perRun = runs.reduce((a, r) => a + r.record.wallMs, 0) / runs.length;
    return good
      ? {
          ok: true,
          detail: `fork server ran 5 programs under PyPy (${Math.round(perRun * 100) / 100} ms per run)`,
        }
      : { ok: false, detail: `unexpected result under PyPy: ${JSON.stringify(runs[0]?.record)}` };
  } catch (err) {
    return { ok: false, detail: `PyPy sandbox failed: ${(err as Error).message}` };
  } finally {
    await sb?.close();
  }
}

/** Whether node-llama-cpp is installed, found without loading it (its native code is large). */
function llamaCheck(): Check & { version?: string } {
  const missing = {
    ok: false,
    detail: `node-llama-cpp not installed: llama: models (the quick start's) cannot run; \`npm install node-llama-cpp@${NODE_LLAMA_CPP_VERSION}\`, or use a model server`,
  };
  let dir: string;
  try {
    dir = dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
  } catch {
    return missing;
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (!existsSync(pkg)) continue;
    try {
      const meta = JSON.parse(readFileSync(pkg, "utf8")) as { name?: string; version?: string };
      if (meta.name !== "node-llama-cpp") continue;
      const version = meta.version ?? "unknown";
      return {
        ok: true,
        detail:
          version === NODE_LLAMA_CPP_VERSION
            ? `node-llama-cpp ${version}: llama: models run in-process`
            : `node-llama-cpp ${version} (codeloop is tested with ${NODE_LLAMA_CPP_VERSION}): llama: models run in-process`,
        version,
      };
    } catch {
      return missing;
    }
  }
  return missing;
}

function mark(ok: boolean): string {
  return ok ? "ok  " : "FAIL";
}

export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `[ok  ] node ${r.node.version} (${r.node.path})`,
    `[${mark(r.python.ok)}] python ${r.python.ok ? `${r.python.version} at ${r.python.path} (${r.python.source})` : r.python.detail}`,
    `[${r.pypy.ok ? mark(r.pypy.smokeTest?.ok === true) : "warn"}] pypy ${r.pypy.ok ? `${r.pypy.version} at ${r.pypy.path} (${r.pypy.source}); ${r.pypy.smokeTest?.detail ?? ""}` : r.pypy.detail}`,
    `[${r.cxx.ok ? "ok  " : "warn"}] g++ ${r.cxx.ok ? `${r.cxx.path}: ${r.cxx.version}` : r.cxx.detail}`,
    `[${r.llama.ok ? "ok  " : "warn"}] llama.cpp: ${r.llama.detail}`,
    `[${r.isolation.kind === "bwrap" ? "ok  " : "WEAK"}] isolation: ${r.isolation.kind} (${r.isolation.reason})${r.isolation.bwrapVersion ? `, ${r.isolation.bwrapVersion}` : ""}`,
    `       running as root: ${r.host.isRoot}; user namespaces: ${r.host.maxUserNamespaces ?? "unknown"} allowed${r.host.unprivilegedUsernsClone !== undefined ? `, unprivileged_userns_clone=${r.host.unprivilegedUsernsClone}` : ""}`,
    `       seccomp: ${r.supervisor ? (r.supervisor.seccomp ? "filter active in every child" : `NOT active (${r.supervisor.seccompWhy})`) : r.host.seccompInKernel ? "supported by the kernel (supervisor not started)" : "not supported"}`,
    `       PID namespace: ${r.supervisor?.pidns ?? "unknown"}; programs run as: ${r.supervisor ? (r.supervisor.dedicatedUid ? `uid ${r.supervisor.programUid} (checkers ${r.supervisor.checkerUid}), supervisor out of their reach` : "the same uid as the supervisor (not root: seccomp guards the supervisor; process limit not enforced)") : "unknown"}; cgroups: ${r.host.cgroup} (not required)`,
    `[${mark(r.smokeTest.ok)}] fork-server smoke test: ${r.smokeTest.detail}${r.smokeTest.perRunMs !== undefined ? ` (${r.smokeTest.perRunMs} ms per run, ${r.smokeTest.wallMs} ms total with start-up)` : ""}`,
  ];
  if (r.isolation.warning) lines.push("", r.isolation.warning);
  return lines.join("\n");
}

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check Node, Python, PyPy, g++, the sandbox's isolation and fork-server smoke tests")
    .option("--json", "print the report as JSON")
    .action(async (opts: { json?: boolean }) => {
      const report = await runDoctor();
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}
