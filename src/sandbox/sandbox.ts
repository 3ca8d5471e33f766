import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RawResult, classify, defaultWallMs } from "./classify.js";
import type { Frame } from "./frame.js";
import {
  type IsolationInfo,
  type IsolationRequest,
  SANDBOX_BIN_DIR,
  SANDBOX_PYTHON_ENV,
  SANDBOX_RUNNER_DIR,
  bwrapArgs,
  detectIsolation,
  findExecutable,
} from "./isolation.js";
import { type PythonInfo, resolvePython } from "./python.js";
import type { Job, PreparedProgram, RunRecord, SandboxLimits, TestRun } from "./types.js";
import { type ReadyInfo, type SpawnSpec, Worker } from "./worker.js";

export type SandboxMode = "forkserver" | "fresh";

export interface SandboxOptions {
  /** Parallel supervisors; default: one per core. */
  workers?: number;
  /** Warm fork servers (default) or a fresh sandboxed interpreter per test. */
  mode?: SandboxMode;
  /** Default "auto", or $CODELOOP_SANDBOX. */
  isolation?: IsolationRequest;
  /** Python interpreter; default $CODELOOP_PYTHON or python3 on PATH. */
  python?: string;
  /** Size of each sandbox's /tmp, MiB. */
  tmpfsMb?: number;
  /** First uid used for sandboxed code when running as root (one uid per worker slot). */
  uidBase?: number;
  /** g++ binary for C++; default g++ on PATH. */
  cxx?: string;
}

const RUNNER_PATH = fileURLToPath(new URL("./runner.py", import.meta.url));

export const COMPILE_LIMITS: SandboxLimits = {
  timeMs: 60_000,
  wallMs: 120_000,
  memoryMb: 4096,
  addressSpaceHeadroomMb: 4096,
  stackMb: 64,
  processes: 64,
  outputKb: 512 * 1024,
  stderrKeepKb: 32,
  openFiles: 256,
};

export const CXX_FLAGS = ["-std=c++17", "-O2", "-pipe"];

export interface SandboxStats {
  requests: number;
  tests: number;
  workerStarts: number;
  workerDeaths: number;
  retries: number;
}

export type PrepareResult = { ok: true; program: PreparedProgram } | { ok: false; record: RunRecord };

/**
 * Runs untrusted programs: a pool of sandboxed supervisors (warm Python fork servers by
 * default), each running one whole test set per request, a child per test.
 */
export class Sandbox {
  readonly isolation: IsolationInfo;
  readonly python: PythonInfo;
  readonly mode: SandboxMode;
  readonly size: number;
  readonly stats: SandboxStats = { requests: 0, tests: 0, workerStarts: 0, workerDeaths: 0, retries: 0 };
  /** Facts reported by the most recently started supervisor (seccomp, uid, PID namespace). */
  lastReady?: ReadyInfo;
  private readonly artifactsDir: string;
  private readonly scratchDirs = new Set<string>();
  private readonly slots: (Worker | undefined)[];
  private readonly freeSlots: number[];
  private readonly waiting: ((slot: number) => void)[] = [];
  private readonly compiling = new Map<string, Promise<PrepareResult>>();
  private readonly tmpfsBytes: number;
  private readonly uidBase: number;
  private readonly cxx?: string;
  private nextId = 1;
  private closed = false;

  constructor(options: SandboxOptions = {}) {
    const request =
      options.isolation ?? (process.env.CODELOOP_SANDBOX as IsolationRequest | undefined) ?? "auto";
    if (!["auto", "bwrap", "none"].includes(request)) {
      throw new Error(
        `invalid isolation '${request}' (CODELOOP_SANDBOX or --isolation): use auto, bwrap or none`,
      );
    }
    this.isolation = detectIsolation(request);
    this.python = resolvePython(options.python);
    this.mode = options.mode ?? "forkserver";
    this.size = Math.max(1, options.workers ?? cpus().length);
    this.tmpfsBytes = (options.tmpfsMb ?? 1024) * 1024 * 1024;
    this.uidBase = options.uidBase ?? 64000;
    this.cxx = options.cxx;
    this.slots = new Array(this.size).fill(undefined);
    this.freeSlots = Array.from({ length: this.size }, (_, i) => i);
    this.artifactsDir = mkdtempSync(join(tmpdir(), "codeloop-bin-"));
    chmodSync(this.artifactsDir, 0o755);
  }

  /** Creates a sandbox and starts (and checks) its first supervisor. */
  static async create(options: SandboxOptions = {}): Promise<Sandbox> {
    const sb = new Sandbox(options);
    try {
      await sb.warmUp();
    } catch (err) {
      await sb.close();
      throw err;
    }
    return sb;
  }

  /** Starts every fork server now (instead of at first use), so start-up is not timed later. */
  async warmUp(): Promise<void> {
    if (this.mode !== "forkserver") {
      const w = this.spawnWorker(0);
      this.lastReady = await w.ready;
      await w.close();
      return;
    }
    await Promise.all(
      this.slots.map(async (_, i) => {
        this.slots[i] ??= this.spawnWorker(i);
        this.lastReady = await this.slots[i]!.ready;
      }),
    );
  }

  private spawnSpec(slot: number): SpawnSpec {
    const isRoot = process.getuid?.() === 0;
    const runnerArgs = isRoot ? ["--uid", String(this.uidBase + slot)] : [];
    if (this.mode === "fresh") runnerArgs.push("--fresh");
    if (this.isolation.kind === "bwrap") {
      const args = bwrapArgs({
        bwrapPath: this.isolation.bwrapPath!,
        isRoot,
        pythonPrefix: this.python.prefix,
        runnerDir: dirname(RUNNER_PATH),
        artifactsDir: this.artifactsDir,
        tmpfsBytes: this.tmpfsBytes,
      });
      return {
        command: this.isolation.bwrapPath!,
        args: [
          ...args,
          this.python.executable,
          ...this.pythonFlags(),
          `${SANDBOX_RUNNER_DIR}/runner.py`,
          "--pidns",
          ...runnerArgs,
        ],
        env: {},
      };
    }
    const scratch = mkdtempSync(join(tmpdir(), "codeloop-run-"));
    this.scratchDirs.add(scratch);
    return {
      command: this.python.executable,
      args: [...this.pythonFlags(), RUNNER_PATH, "--scratch", scratch, ...runnerArgs],
      env: {
        ...SANDBOX_PYTHON_ENV,
        PATH: "/usr/local/bin:/usr/bin:/bin",
        LANG: "C.UTF-8",
        HOME: scratch,
        TMPDIR: scratch,
      },
      cwd: scratch,
    };
  }

  /**
   * -I -S semantics with a fixed hash seed: -I would also ignore PYTHONHASHSEED, so its parts
   * are given one by one (-s no user site, -P no script directory on sys.path; -E is moot, the
   * environment is codeloop's own fixed set). A fixed seed makes set and dict-of-str iteration
   * order, and so outputs, the same in every worker and every run.
   */
  private pythonFlags(): string[] {
    const [major, minor] = this.python.version.split(".").map(Number);
    const hasP = (major ?? 3) > 3 || (minor ?? 0) >= 11;
    return ["-s", "-S", ...(hasP ? ["-P"] : [])];
  }

  private spawnWorker(slot: number): Worker {
    this.stats.workerStarts++;
    const w = new Worker(this.spawnSpec(slot));
    w.proc.once("close", () => {
      // Fork servers end only when the pool closes; any other end is a death. Fresh-mode
      // workers are not in slots and end by design after their one test.
      if (!this.closed && this.slots[slot] === w) this.stats.workerDeaths++;
    });
    return w;
  }

  private acquireSlot(): Promise<number> {
    if (this.closed) return Promise.reject(new Error("sandbox is closed"));
    const slot = this.freeSlots.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(slot: number): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.freeSlots.push(slot);
  }

  /** A live fork server for this slot, restarted if the previous one died. */
  private async serverFor(slot: number): Promise<Worker> {
    let w = this.slots[slot];
    if (!w || w.dead) {
      w = this.spawnWorker(slot);
      this.slots[slot] = w;
    }
    this.lastReady = await w.ready;
    return w;
  }

  /** Where a binary in the artifacts directory appears to sandboxed code. */
  private sandboxPath(hostPath: string): string {
    return this.isolation.kind === "bwrap"
      ? `${SANDBOX_BIN_DIR}/${hostPath.slice(this.artifactsDir.length + 1)}`
      : hostPath;
  }

  /**
   * Turns source code into a runnable program: Python as is, C++ compiled once with g++
   * inside the sandbox (cached by source hash). A compile failure comes back as a record.
   */
  async prepare(
    language: string,
    source: string,
    extraFiles: Record<string, string> = {},
  ): Promise<PrepareResult> {
    if (language === "python" || language === "python3")
      return { ok: true, program: { kind: "python", source } };
    if (language !== "cpp" && language !== "c++") {
      throw new Error(`unsupported language '${language}': codeloop runs python and cpp`);
    }
    const h = createHash("sha256").update(CXX_FLAGS.join(" ")).update("\0").update(source);
    for (const name of Object.keys(extraFiles).sort()) h.update(`\0${name}\0`).update(extraFiles[name]!);
    const hash = h.digest("hex");
    const hostPath = join(this.artifactsDir, hash.slice(0, 32));
    if (existsSync(hostPath)) {
      return { ok: true, program: { kind: "exec", path: this.sandboxPath(hostPath), language: "cpp" } };
    }
    let pending = this.compiling.get(hash);
    if (!pending) {
      pending = this.compileCpp(source, extraFiles, hostPath);
      this.compiling.set(hash, pending);
      pending.finally(() => this.compiling.delete(hash)).catch(() => {});
    }
    return pending;
  }

  private async compileCpp(
    source: string,
    extraFiles: Record<string, string>,
    hostPath: string,
  ): Promise<PrepareResult> {
    const cxx = this.cxx ?? findExecutable("g++");
    if (!cxx) throw new Error("g++ not found on PATH: install g++ to judge C++ programs");
    const [run] = await this.run({
      // LC_ALL=C: plain ASCII quotes in diagnostics, which are shown to models.
      program: { kind: "exec", path: cxx, language: "g++", env: { LC_ALL: "C" } },
      tests: [
        { argv: [...CXX_FLAGS, "-o", "prog", "prog.cpp"], files: { ...extraFiles, "prog.cpp": source } },
      ],
      limits: COMPILE_LIMITS,
      collect: ["prog"],
    });
    const record = run!.record;
    const binary = run!.collected.prog;
    if (record.verdict !== "ok" || !binary) {
      if (record.verdict === "sandbox_error") throw new Error(`compiler could not run: ${record.detail}`);
      return {
        ok: false,
        record: { ...record, verdict: "compile_error", detail: record.detail ?? "g++ reported errors" },
      };
    }
    const tmp = `${hostPath}.tmp-${process.pid}`;
    writeFileSync(tmp, binary, { mode: 0o755 });
    renameSync(tmp, hostPath);
    return { ok: true, program: { kind: "exec", path: this.sandboxPath(hostPath), language: "cpp" } };
  }

  /**
   * Runs a job's tests in order and returns one TestRun per test that ran (fewer when
   * onResult stopped early). A sandbox failure is retried once on a fresh supervisor; a
   * second failure is recorded as sandbox_error for that test, never as the program's fault.
   */
  async run(job: Job): Promise<TestRun[]> {
    const out: TestRun[] = [];
    let retried = false;
    while (out.length < job.tests.length) {
      const failure = await this.runFrom(job, out);
      if (failure === undefined) break;
      if (!retried) {
        retried = true;
        this.stats.retries++;
        continue;
      }
      const run: TestRun = {
        record: {
          verdict: "sandbox_error",
          cpuMs: 0,
          wallMs: 0,
          memoryKb: 0,
          exitCode: null,
          signal: null,
          stdout: "",
          stderr: "",
          stdoutBytes: 0,
          stderrBytes: 0,
          detail: `infrastructure failure (after one retry): ${failure}`,
          retried: true,
        },
        stdout: Buffer.alloc(0),
        collected: {},
      };
      out.push(run);
      if (job.onResult && !job.onResult(run, out.length - 1)) break;
      retried = false;
    }
    return out;
  }

  /**
   * Runs tests from out.length on, appending to out. Returns undefined when finished or
   * stopped by onResult, or the reason when the sandbox failed at test out.length.
   */
  private async runFrom(job: Job, out: TestRun[]): Promise<string | undefined> {
    if (this.mode === "fresh") {
      while (out.length < job.tests.length) {
        const slot = await this.acquireSlot();
        const w = this.spawnWorker(slot);
        try {
          await w.ready;
          const r = await this.request(w, job, out.length, out.length + 1, out);
          if (r !== "continue") return r === "stop" ? undefined : r;
        } catch (err) {
          return (err as Error).message;
        } finally {
          w.kill();
          this.releaseSlot(slot);
        }
      }
      return undefined;
    }
    const slot = await this.acquireSlot();
    try {
      const w = await this.serverFor(slot);
      const r = await this.request(w, job, out.length, job.tests.length, out);
      return r === "continue" || r === "stop" ? undefined : r;
    } catch (err) {
      return (err as Error).message;
    } finally {
      this.releaseSlot(slot);
    }
  }

  /** One request for tests [from, to). */
  private async request(
    w: Worker,
    job: Job,
    from: number,
    to: number,
    out: TestRun[],
  ): Promise<"continue" | "stop" | string> {
    const id = this.nextId++;
    const blobs: Buffer[] = [];
    const blob = (data: string | Buffer): number => {
      blobs.push(typeof data === "string" ? Buffer.from(data, "utf8") : data);
      return blobs.length - 1;
    };
    const program =
      job.program.kind === "python"
        ? { kind: "python", source: blob(job.program.source) }
        : { kind: "exec", path: job.program.path, argv: job.program.argv ?? [], env: job.program.env };
    const tests = job.tests.slice(from, to).map((t) => ({
      stdin: t.stdin === undefined ? null : blob(t.stdin),
      args: t.args ? JSON.stringify(t.args) : undefined,
      script: t.script,
      argv: t.argv,
      files: t.files ? Object.fromEntries(Object.entries(t.files).map(([k, v]) => [k, blob(v)])) : undefined,
    }));
    const L = job.limits;
    const limits = {
      cpuMs: L.timeMs,
      wallMs: L.wallMs ?? defaultWallMs(L),
      memoryKb: L.memoryMb * 1024,
      addressSpaceKb: (L.memoryMb + (L.addressSpaceHeadroomMb ?? 1024)) * 1024,
      stackKb: (L.stackMb ?? L.memoryMb) * 1024,
      fileSizeKb: L.outputKb + 1,
      stdoutKb: L.outputKb + 1,
      stderrKb: L.stderrKeepKb ?? 64,
      openFiles: L.openFiles,
      processes: L.processes,
    };
    let outcome: "continue" | "stop" | string = "continue";
    this.stats.requests++;
    await w.request(
      {
        id,
        program,
        mode: job.mode ?? "stdio",
        entry: job.entryPoint,
        setup: job.setup,
        tests,
        limits,
        collect: job.collect,
        trace: job.trace,
      },
      blobs,
      (frame: Frame) => {
        if (frame.header.op !== "result" || outcome !== "continue") return;
        const raw = frame.header as unknown as RawResult;
        const run = classify(raw, frame.blobs, L);
        if (run.record.verdict === "sandbox_error") {
          outcome = run.record.detail ?? "sandbox error";
          w.cancel(id);
          return;
        }
        this.stats.tests++;
        out.push(run);
        if (job.onResult && !job.onResult(run, out.length - 1)) {
          outcome = "stop";
          w.cancel(id);
        }
      },
    );
    return outcome;
  }

  /** Runs one program on one input: the `codeloop sandbox run` path. */
  async runOnce(
    language: string,
    source: string,
    stdin: string | Buffer,
    limits: SandboxLimits,
  ): Promise<TestRun> {
    const prepared = await this.prepare(language, source);
    if (!prepared.ok) return { record: prepared.record, stdout: Buffer.alloc(0), collected: {} };
    const [run] = await this.run({ program: prepared.program, tests: [{ stdin }], limits });
    return run!;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((w) => w?.close()));
    rmSync(this.artifactsDir, { recursive: true, force: true });
    for (const dir of this.scratchDirs) rmSync(dir, { recursive: true, force: true });
  }
}
