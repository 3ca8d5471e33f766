import { createHash } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  COMPILE_LIMITS,
  CXX_FLAGS,
  EXECUTABLE_CAP_MB,
  type Executor,
  type PreparedProgram,
  type RunRecord,
  executableTooBig,
  findExecutable,
} from "../sandbox/index.js";

/**
 * /run_code's C++ compile step under the request's `compile_timeout`, as SandboxFusion applies
 * it: wall-clock seconds for the whole compile (and as many of CPU time). g++ runs in the
 * executor's sandbox like any program, with the sandbox's own compile limits otherwise
 * (memory, processes, executable size). The sandbox's prepare() compiles under its fixed
 * limits, so this step is the server's own, with its own cache:
 *
 * - a compiled binary is kept by source hash (in a 0700 directory of this process; the
 *   sandbox reads it from there and sends it into the program's sandbox), so verl's one call
 *   per test compiles once;
 * - a compile error (g++'s diagnostics, deterministic) is kept by source hash;
 * - a compile timeout is not kept (it may be the machine's load, not the source): each request
 *   compiles again under its own limit;
 * - identical compiles in flight are shared.
 */

export type CompileOutcome =
  | { ok: true; program: PreparedProgram; wallMs: number }
  | { ok: false; record: RunRecord; timedOut: boolean };

interface Failure {
  record: RunRecord;
  /** Set for a timeout: the compile limit (ms) it ran into. */
  timeoutMs?: number;
}

const FAILURES_KEPT = 4096;
const BINARY_CACHE_BYTES = 512 * 1024 ** 2;

export class RunCodeCompiler {
  private dir: string | null = null;
  private readonly binaries = new Map<string, { path: string; bytes: number }>();
  private binaryBytes = 0;
  private readonly failures = new Map<string, Failure>();
  private readonly pending = new Map<string, { timeoutMs: number; result: Promise<CompileOutcome> }>();
  /** Compiles actually run (cache hits and shared compiles excluded); for tests and metrics. */
  compiles = 0;

  constructor(private readonly executor: Executor) {}

  async compile(source: string, timeoutMs: number): Promise<CompileOutcome> {
    const hash = createHash("sha256").update(CXX_FLAGS.join(" ")).update("\0").update(source).digest("hex");
    for (;;) {
      const bin = this.binaries.get(hash);
      if (bin) {
        this.binaries.delete(hash);
        this.binaries.set(hash, bin);
        return { ok: true, program: { kind: "binary", path: bin.path, language: "cpp" }, wallMs: 0 };
      }
      const failed = this.failures.get(hash);
      if (failed && (failed.timeoutMs === undefined || timeoutMs <= failed.timeoutMs)) {
        return { ok: false, record: failed.record, timedOut: failed.timeoutMs !== undefined };
      }
      const running = this.pending.get(hash);
      if (!running) break;
      const out = await running.result;
      // A shared compile that timed out under a smaller limit than ours: compile again.
      if (out.ok || !out.timedOut || timeoutMs <= running.timeoutMs) return out;
    }
    const result = this.run(source, hash, timeoutMs);
    const entry = { timeoutMs, result };
    this.pending.set(hash, entry);
    try {
      return await result;
    } finally {
      if (this.pending.get(hash) === entry) this.pending.delete(hash);
    }
  }

  private async run(source: string, hash: string, timeoutMs: number): Promise<CompileOutcome> {
    const cxx = findExecutable("g++");
    if (!cxx) throw new Error("g++ not found on PATH: install g++ to run C++ programs");
    this.compiles++;
    const [run] = await this.executor.run({
      // LC_ALL=C: plain ASCII quotes in diagnostics.
      program: { kind: "exec", path: cxx, language: "g++", env: { LC_ALL: "C" } },
      tests: [{ argv: [...CXX_FLAGS, "-o", "prog", "prog.cpp"], files: { "prog.cpp": source } }],
      limits: {
        ...COMPILE_LIMITS,
        timeMs: Math.min(COMPILE_LIMITS.timeMs, timeoutMs),
        wallMs: Math.min(COMPILE_LIMITS.wallMs ?? timeoutMs, timeoutMs),
      },
      collect: ["prog"],
      subprocesses: true,
    });
    if (!run) throw new Error("the sandbox returned no result for the compile");
    const record = run.record;
    const binary = run.collected.prog;
    if (record.verdict === "sandbox_error") throw new Error(`compiler could not run: ${record.detail}`);
    if (record.verdict === "ok" && record.exitCode === 0 && binary) {
      const path = join(this.privateDir(), hash.slice(0, 32));
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, binary, { mode: 0o600 });
      renameSync(tmp, path);
      this.binaries.set(hash, { path, bytes: binary.length });
      this.binaryBytes += binary.length;
      for (const [h, b] of this.binaries) {
        if (this.binaryBytes <= BINARY_CACHE_BYTES || h === hash) break;
        rmSync(b.path, { force: true });
        this.binaries.delete(h);
        this.binaryBytes -= b.bytes;
      }
      return { ok: true, program: { kind: "binary", path, language: "cpp" }, wallMs: record.wallMs };
    }
    const timedOut = record.verdict === "time_limit";
    const tooBig = executableTooBig(record);
    const failure: RunRecord = {
      ...record,
      detail: timedOut
        ? `compilation took longer than compile_timeout (${timeoutMs / 1000} s)`
        : tooBig
          ? `the executable would exceed ${EXECUTABLE_CAP_MB} MiB`
          : record.signal
            ? `the compiler was killed by ${record.signal}`
            : "g++ reported errors",
    };
    if (this.failures.size >= FAILURES_KEPT) this.failures.delete(this.failures.keys().next().value!);
    // A timeout is not kept: it can come from a loaded machine, and a later request must not be
    // failed for it without its own compile.
    if (!timedOut) this.failures.set(hash, { record: failure });
    return { ok: false, record: failure, timedOut };
  }

  private privateDir(): string {
    // mkdtemp makes it 0700: only this process's user reads the binaries; programs never see it.
    this.dir ??= mkdtempSync(join(tmpdir(), "codeloop-serve-bin-"));
    return this.dir;
  }

  /** Removes the cached binaries. */
  close(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.binaries.clear();
    this.binaryBytes = 0;
  }
}
