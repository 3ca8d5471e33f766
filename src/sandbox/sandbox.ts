import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RawResult, classify, defaultWallMs } from "./classify.js";
import type { Executor } from "./executor.js";
import type { Frame } from "./frame.js";
import {
  type IsolationInfo,
  type IsolationRequest,
  SANDBOX_PYTHON_ENV,
  SANDBOX_RUNNER_DIR,
  bwrapArgs,
  detectIsolation,
  findExecutable,
  sandboxEtc,
  worldReadable,
} from "./isolation.js";
import { type PythonInfo, resolvePython } from "./python.js";
import type { Job, PreparedProgram, RunRecord, SandboxLimits, TestRun } from "./types.js";
import { UidLease } from "./uids.js";
import { type ReadyInfo, type SpawnSpec, Worker, WorkerStalled } from "./worker.js";

export type SandboxMode = "forkserver" | "fresh";

export interface SandboxOptions {
  /** Parallel supervisors; default: one per core. */
  workers?: number;
  /** Warm fork servers (default) or a fresh sandboxed interpreter per test. */
  mode?: SandboxMode;
  /** Default "auto", or $CODELOOP_SANDBOX. */
  isolation?: IsolationRequest;
  /**
   * Python runtime for programs: "cpython" ($CODELOOP_PYTHON or python3 on PATH, the
   * default), "pypy" ($CODELOOP_PYPY or pypy3 on PATH), or an interpreter's path.
   */
  python?: string;
  /** Size of each sandbox's /tmp, MiB. */
  tmpfsMb?: number;
  /**
   * Lowest uid leased for sandboxed code when running as root (two per worker: one for
   * programs, one for assert checkers; each held exclusively while this sandbox is open).
   */
  uidBase?: number;
  /** g++ binary for C++; default g++ on PATH. */
  cxx?: string;
  /** Let programs start subprocesses (default false; see Job.subprocesses). */
  subprocesses?: boolean;
}

const RUNNER_PATH = fileURLToPath(new URL("./runner.py", import.meta.url));

/** Largest executable a compile may produce; a bigger one is a compile error of its own. */
export const EXECUTABLE_CAP_MB = 64;

export const COMPILE_LIMITS: SandboxLimits = {
  timeMs: 30_000,
  wallMs: 90_000,
  memoryMb: 4096,
  addressSpaceHeadroomMb: 4096,
  stackMb: 64,
  processes: 64,
  // Every file the compiler writes (objects, the executable) is capped by this size.
  outputKb: EXECUTABLE_CAP_MB * 1024,
  stderrKeepKb: 32,
  openFiles: 256,
};

export const CXX_FLAGS = ["-std=c++17", "-O2", "-pipe"];

/** Failed compiles remembered per sandbox (by source hash), so a failing source costs once. */
const COMPILE_FAILURES_KEPT = 4096;
/** Compiled binaries kept per sandbox (least recently used dropped first), in bytes. */
const BINARY_CACHE_BYTES = 2 * 1024 ** 3;

export interface SandboxStats {
  requests: number;
  tests: number;
  workerStarts: number;
  workerDeaths: number;
  retries: number;
  /** Requests the watchdog ended because the supervisor stopped answering. */
  stalls: number;
  compiles: number;
  compileCacheHits: number;
}

/** JSON writes -0 as 0: a -0.0 argument would reach the program as 0.0 (float("-0") is -0.0). */
function keepNegativeZero(_key: string, value: unknown): unknown {
  return value === 0 && Object.is(value, -0) ? "-0" : value;
}

export type { PrepareOptions, PrepareResult } from "./types.js";
import type { PrepareOptions, PrepareResult } from "./types.js";

/** Why a run stopped before all its tests: the sandbox failed (retry), or the caller stopped. */
type Interrupt =
  | { kind: "done" }
  | { kind: "stop" }
  | { kind: "infra"; reason: string }
  | { kind: "program"; reason: string; stalled: boolean };

function emptyRecord(verdict: RunRecord["verdict"], detail: string, retried: boolean): TestRun {
  return {
    record: {
      verdict,
      cpuMs: 0,
      wallMs: 0,
      memoryKb: 0,
      exitCode: null,
      signal: null,
      stdout: "",
      stderr: "",
      stdoutBytes: 0,
      stderrBytes: 0,
      detail,
      retried,
    },
    stdout: Buffer.alloc(0),
    collected: {},
  };
}

/**
 * Runs untrusted programs: a pool of sandboxed supervisors (warm Python fork servers by
 * default), each running one whole test set per request, a child per test (per submission
 * for function tests).
 */
export class Sandbox implements Executor {
  readonly isolation: IsolationInfo;
  readonly python: PythonInfo;
  readonly mode: SandboxMode;
  readonly size: number;
  readonly stats: SandboxStats = {
    requests: 0,
    tests: 0,
    workerStarts: 0,
    workerDeaths: 0,
    retries: 0,
    stalls: 0,
    compiles: 0,
    compileCacheHits: 0,
  };
  /** Facts reported by the most recently started supervisor (seccomp, uid, PID namespace). */
  lastReady?: ReadyInfo;
  /** Private to this process (0700): generated /etc files, compiled binaries, scratch. */
  private readonly runtimeDir: string;
  private readonly binDir: string;
  private readonly slots: (Worker | undefined)[];
  private readonly freeSlots: number[];
  private readonly waiting: ((slot: number) => void)[] = [];
  /** Compiles in flight by source hash, with the rank of their limit (see prepare). */
  private readonly compiling = new Map<string, { limitRank: number; result: Promise<PrepareResult> }>();
  private readonly compileFailures = new Map<string, PrepareResult & { ok: false }>();
  /** Binaries on disk in least-recently-used order, with their sizes. */
  private readonly binaries = new Map<string, number>();
  private binaryBytes = 0;
  private readonly tmpfsBytes: number;
  private readonly uidBase: number;
  private readonly cxx?: string;
  private readonly subprocesses: boolean;
  private readonly isRoot = process.getuid?.() === 0;
  private lease?: Promise<UidLease>;
  private leased?: UidLease;
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
    if (this.isolation.kind !== "bwrap" && this.isRoot && !worldReadable(this.python.prefix)) {
      // Without namespaces the interpreter is used from where it is installed, and as root
      // programs must run under a uid of their own: a uid that could not import the standard
      // library would fail correct programs. Refuse rather than run them as root.
      throw new Error(
        `codeloop runs as root without bubblewrap, so sandboxed programs run under a dedicated uid, which cannot read the Python installation at ${this.python.prefix}. Install bubblewrap (apt-get install bubblewrap), or set CODELOOP_PYTHON to an interpreter installed where every user can read it (for example /usr/bin/python3).`,
      );
    }
    this.mode = options.mode ?? "forkserver";
    this.size = Math.max(1, options.workers ?? cpus().length);
    this.tmpfsBytes = (options.tmpfsMb ?? 1024) * 1024 * 1024;
    this.uidBase = options.uidBase ?? 64000;
    this.cxx = options.cxx;
    this.subprocesses = options.subprocesses ?? false;
    this.slots = new Array(this.size).fill(undefined);
    this.freeSlots = Array.from({ length: this.size }, (_, i) => i);
    this.runtimeDir = mkdtempSync(join(tmpdir(), "codeloop-sandbox-"));
    chmodSync(this.runtimeDir, 0o700);
    this.binDir = join(this.runtimeDir, "bin");
    mkdirSync(this.binDir, { mode: 0o700 });
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

  /** The uids this sandbox's programs and checkers run under (root only), leased once. */
  private uids(): Promise<UidLease | undefined> {
    if (!this.isRoot) return Promise.resolve(undefined);
    this.lease ??= UidLease.acquire(this.size * 2, this.uidBase).then((l) => {
      this.leased = l;
      const etc = sandboxEtc(l.uids);
      writeFileSync(join(this.runtimeDir, "passwd"), etc.passwd, { mode: 0o644 });
      writeFileSync(join(this.runtimeDir, "group"), etc.group, { mode: 0o644 });
      return l;
    });
    return this.lease;
  }

  private async ensureEtc(): Promise<UidLease | undefined> {
    const lease = await this.uids();
    if (!lease && !existsSync(join(this.runtimeDir, "passwd"))) {
      const etc = sandboxEtc([]);
      writeFileSync(join(this.runtimeDir, "passwd"), etc.passwd, { mode: 0o644 });
      writeFileSync(join(this.runtimeDir, "group"), etc.group, { mode: 0o644 });
    }
    return lease;
  }

  /** Starts every fork server now (instead of at first use), so start-up is not timed later. */
  async warmUp(): Promise<void> {
    const lease = await this.ensureEtc();
    if (this.mode !== "forkserver") {
      const w = this.spawnWorker(0, lease);
      this.lastReady = await w.ready;
      await w.close();
      return;
    }
    await Promise.all(
      this.slots.map(async (_, i) => {
        this.slots[i] ??= this.spawnWorker(i, lease);
        this.lastReady = await this.slots[i]!.ready;
      }),
    );
  }

  private spawnSpec(slot: number, lease: UidLease | undefined): SpawnSpec {
    const runnerArgs = lease
      ? ["--uid", String(lease.uids[slot * 2]), "--checker-uid", String(lease.uids[slot * 2 + 1])]
      : [];
    if (this.mode === "fresh") runnerArgs.push("--fresh");
    if (this.isolation.kind === "bwrap") {
      const args = bwrapArgs({
        bwrapPath: this.isolation.bwrapPath!,
        isRoot: this.isRoot,
        pythonPrefix: this.python.prefix,
        pythonExecutable: this.python.executable,
        runnerPath: RUNNER_PATH,
        etcDir: this.runtimeDir,
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
    const scratch = mkdtempSync(join(this.runtimeDir, "scratch-"));
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

  private spawnWorker(slot: number, lease: UidLease | undefined): Worker {
    this.stats.workerStarts++;
    const w = new Worker(this.spawnSpec(slot, lease));
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
      w = this.spawnWorker(slot, await this.ensureEtc());
      this.slots[slot] = w;
    }
    this.lastReady = await w.ready;
    return w;
  }

  /**
   * Turns source code into a runnable program: Python as is, C++ compiled once with g++
   * inside the sandbox (cached by source hash, failures included; identical compiles in flight
   * are shared). A compile failure comes back as a record. `compileTimeoutMs` lowers the
   * compile's limits for one request (see PrepareOptions): a compile that ran into a request's
   * own limit is not remembered, and a request with a larger limit than a shared compile's that
   * timed out compiles again under its own.
   */
  async prepare(
    language: string,
    source: string,
    extraFiles: Record<string, string> = {},
    options: PrepareOptions = {},
  ): Promise<PrepareResult> {
    if (language === "python" || language === "python3") {
      const modules = Object.keys(extraFiles).length > 0 ? { ...extraFiles } : undefined;
      return { ok: true, program: { kind: "python", source, ...(modules ? { modules } : {}) }, compileMs: 0 };
    }
    if (language !== "cpp" && language !== "c++") {
      throw new Error(`unsupported language '${language}': codeloop runs python and cpp`);
    }
    let timeoutMs = options.compileTimeoutMs;
    if (timeoutMs !== undefined && !(timeoutMs > 0))
      throw new Error(`compile timeout must be positive, got ${timeoutMs}`);
    // A limit at or above the sandbox's own lowers nothing: it is the sandbox's compile.
    if (
      timeoutMs !== undefined &&
      timeoutMs >= COMPILE_LIMITS.timeMs &&
      timeoutMs >= (COMPILE_LIMITS.wallMs ?? 0)
    )
      timeoutMs = undefined;
    // The sandbox's own limits are the largest: they compare above every request's.
    const limitRank = timeoutMs ?? Number.POSITIVE_INFINITY;
    const h = createHash("sha256").update(CXX_FLAGS.join(" ")).update("\0").update(source);
    for (const name of Object.keys(extraFiles).sort()) h.update(`\0${name}\0`).update(extraFiles[name]!);
    const hash = h.digest("hex");
    const hostPath = join(this.binDir, hash.slice(0, 32));
    for (;;) {
      const size = this.binaries.get(hostPath);
      if (size !== undefined && existsSync(hostPath)) {
        this.stats.compileCacheHits++;
        this.binaries.delete(hostPath);
        this.binaries.set(hostPath, size);
        return { ok: true, program: { kind: "binary", path: hostPath, language: "cpp" }, compileMs: 0 };
      }
      const failed = this.compileFailures.get(hash);
      if (failed) {
        this.stats.compileCacheHits++;
        return failed;
      }
      const running = this.compiling.get(hash);
      if (!running) break;
      const out = await running.result;
      // A shared compile that ran out of a smaller limit than ours says nothing about ours.
      if (out.ok || !out.timedOut || limitRank <= running.limitRank) return out;
    }
    const entry = { limitRank, result: this.compileCpp(source, extraFiles, hostPath, hash, timeoutMs) };
    this.compiling.set(hash, entry);
    try {
      return await entry.result;
    } finally {
      if (this.compiling.get(hash) === entry) this.compiling.delete(hash);
    }
  }

  private async compileCpp(
    source: string,
    extraFiles: Record<string, string>,
    hostPath: string,
    hash: string,
    timeoutMs: number | undefined,
  ): Promise<PrepareResult> {
    const cxx = this.cxx ?? findExecutable("g++");
    if (!cxx) throw new Error("g++ not found on PATH: install g++ to judge C++ programs");
    this.stats.compiles++;
    // Extra files that are translation units are compiled with the main one (a validator's
    // helpers); the rest (headers) lie beside it.
    const units = Object.keys(extraFiles)
      .filter((f) => /\.(cpp|cc|cxx|c\+\+|C)$/.test(f))
      .sort();
    const limits: SandboxLimits =
      timeoutMs === undefined
        ? COMPILE_LIMITS
        : {
            ...COMPILE_LIMITS,
            timeMs: Math.min(COMPILE_LIMITS.timeMs, timeoutMs),
            wallMs: Math.min(COMPILE_LIMITS.wallMs ?? timeoutMs, timeoutMs),
          };
    const [run] = await this.run({
      // LC_ALL=C: plain ASCII quotes in diagnostics, which are shown to models.
      program: { kind: "exec", path: cxx, language: "g++", env: { LC_ALL: "C" } },
      tests: [
        {
          argv: [...CXX_FLAGS, "-o", "prog", "prog.cpp", ...units],
          files: { ...extraFiles, "prog.cpp": source },
        },
      ],
      limits,
      collect: ["prog"],
      subprocesses: true,
    });
    const record = run!.record;
    const binary = run!.collected.prog;
    if (record.verdict !== "ok" || record.exitCode !== 0 || !binary) {
      if (record.verdict === "sandbox_error") throw new Error(`compiler could not run: ${record.detail}`);
      const tooBig = executableTooBig(record);
      const timedOut = record.verdict === "time_limit";
      const failed: PrepareResult = {
        ok: false,
        timedOut,
        record: {
          ...record,
          verdict: "compile_error",
          detail: tooBig
            ? `the executable would exceed ${EXECUTABLE_CAP_MB} MiB`
            : timedOut
              ? timeoutMs === undefined
                ? `compilation took longer than ${COMPILE_LIMITS.timeMs / 1000} s of CPU time`
                : `compilation took longer than ${timeoutMs / 1000} s`
              : record.signal
                ? `the compiler was killed by ${record.signal}`
                : "g++ reported errors",
        },
      };
      // A timeout under a request's own limit is not kept: it can come from a loaded machine,
      // and a later request must not be failed for it without its own compile.
      if (!(timedOut && timeoutMs !== undefined)) {
        if (this.compileFailures.size >= COMPILE_FAILURES_KEPT) {
          this.compileFailures.delete(this.compileFailures.keys().next().value!);
        }
        this.compileFailures.set(hash, failed);
      }
      return failed;
    }
    const tmp = `${hostPath}.tmp-${process.pid}`;
    writeFileSync(tmp, binary, { mode: 0o600 });
    renameSync(tmp, hostPath);
    this.binaries.set(hostPath, binary.length);
    this.binaryBytes += binary.length;
    for (const [path, bytes] of this.binaries) {
      if (this.binaryBytes <= BINARY_CACHE_BYTES || path === hostPath) break;
      rmSync(path, { force: true });
      this.binaries.delete(path);
      this.binaryBytes -= bytes;
    }
    return {
      ok: true,
      program: { kind: "binary", path: hostPath, language: "cpp" },
      compileMs: record.wallMs,
    };
  }

  /**
   * Runs a job's tests in order and returns one TestRun per test that ran (fewer when
   * onResult stopped early). A sandbox failure is retried once on a fresh supervisor. A test
   * during which the supervisor died (or stopped answering) twice is the program's doing and
   * gets a runtime error (time limit when it stalled); a supervisor that cannot start at all
   * gives sandbox_error, an infrastructure failure, never the program's fault.
   */
  async run(job: Job): Promise<TestRun[]> {
    const out: TestRun[] = [];
    let retried = false;
    while (out.length < job.tests.length) {
      const at = out.length;
      const why = await this.runFrom(job, out);
      if (why.kind === "stop" || why.kind === "done") break;
      if (out.length > at) retried = false;
      if (!retried) {
        retried = true;
        this.stats.retries++;
        continue;
      }
      const run =
        why.kind === "infra"
          ? emptyRecord("sandbox_error", `infrastructure failure (after one retry): ${why.reason}`, true)
          : why.stalled
            ? emptyRecord(
                "time_limit",
                `the sandbox stopped answering while this test ran, twice (${why.reason})`,
                true,
              )
            : emptyRecord(
                "runtime_error",
                `the sandbox supervisor died while this test ran, twice (${why.reason})`,
                true,
              );
      out.push(run);
      if (job.onResult && !job.onResult(run, out.length - 1)) break;
      retried = false;
    }
    return out;
  }

  /** Runs tests from out.length on, appending to out, until done, stopped or failed. */
  private async runFrom(job: Job, out: TestRun[]): Promise<Interrupt> {
    if (this.mode === "fresh") {
      while (out.length < job.tests.length) {
        const slot = await this.acquireSlot();
        let w: Worker;
        try {
          w = this.spawnWorker(slot, await this.ensureEtc());
          await w.ready;
        } catch (err) {
          this.releaseSlot(slot);
          return { kind: "infra", reason: (err as Error).message };
        }
        try {
          const r = await this.request(w, job, out.length, out.length + 1, out);
          if (r.kind !== "done") return r;
        } finally {
          w.kill();
          this.releaseSlot(slot);
        }
      }
      return { kind: "done" };
    }
    const slot = await this.acquireSlot();
    try {
      let w: Worker;
      try {
        w = await this.serverFor(slot);
      } catch (err) {
        return { kind: "infra", reason: (err as Error).message };
      }
      return await this.request(w, job, out.length, job.tests.length, out);
    } finally {
      this.releaseSlot(slot);
    }
  }

  /** One request for tests [from, to). */
  private async request(w: Worker, job: Job, from: number, to: number, out: TestRun[]): Promise<Interrupt> {
    const id = this.nextId++;
    const blobs: Buffer[] = [];
    const blob = (data: string | Buffer): number => {
      blobs.push(typeof data === "string" ? Buffer.from(data, "utf8") : data);
      return blobs.length - 1;
    };
    const p = job.program;
    const modules = p.kind === "python" && p.modules ? Object.entries(p.modules) : [];
    const program =
      p.kind === "python"
        ? { kind: "python", source: blob(p.source), importCwd: modules.length > 0 }
        : p.kind === "binary"
          ? { kind: "binary", binary: blob(readFileSync(p.path)), argv: p.argv ?? [] }
          : { kind: "exec", path: p.path, argv: p.argv ?? [], env: p.env, name: p.path.split("/").pop() };
    const tests = job.tests.slice(from, to).map((t) => ({
      stdin: t.stdin === undefined ? null : blob(t.stdin),
      args: t.args ? blob(JSON.stringify({ a: t.args, k: t.kwargs ?? [] }, keepNegativeZero)) : undefined,
      script: t.script === undefined ? undefined : blob(t.script),
      argv: t.argv,
      files:
        t.files || modules.length > 0
          ? Object.fromEntries([...modules, ...Object.entries(t.files ?? {})].map(([k, v]) => [k, blob(v)]))
          : undefined,
    }));
    const L = job.limits;
    const wallMs = L.wallMs ?? defaultWallMs(L);
    const limits = {
      cpuMs: L.timeMs,
      wallMs,
      memoryKb: L.memoryMb * 1024,
      addressSpaceKb: (L.memoryMb + this.addressSpaceHeadroomMb(L)) * 1024,
      stackKb: (L.stackMb ?? L.memoryMb) * 1024,
      fileSizeKb: L.outputKb + 1,
      stdoutKb: L.outputKb + 1,
      stderrKb: L.stderrKeepKb ?? 64,
      openFiles: L.openFiles,
      processes: L.processes,
    };
    const mode = job.mode ?? "stdio";
    let outcome: Interrupt | undefined;
    this.stats.requests++;
    // Every test answers within its wall-clock limit (the checker of an assert script within
    // two seconds more); a supervisor silent for much longer than that is stuck.
    const silenceMs = wallMs + 2000 + 15_000;
    try {
      await w.request(
        {
          id,
          program,
          mode,
          entry: job.entryPoint,
          setup: job.setup === undefined ? undefined : blob(job.setup),
          context: job.context === undefined ? undefined : blob(job.context),
          tests,
          limits,
          collect: job.collect,
          trace: job.trace,
          subprocesses: job.subprocesses ?? this.subprocesses,
        },
        blobs,
        (frame: Frame) => {
          if (frame.header.op !== "result" || outcome !== undefined) return;
          const run = classify(frame.header as RawResult, frame.blobs, L, mode);
          if (run.record.verdict === "sandbox_error") {
            outcome = { kind: "infra", reason: run.record.detail ?? "sandbox error" };
            w.cancel(id);
            return;
          }
          this.stats.tests++;
          out.push(run);
          if (job.onResult && !job.onResult(run, out.length - 1)) {
            outcome = { kind: "stop" };
            w.cancel(id);
          }
        },
        silenceMs,
      );
    } catch (err) {
      if (outcome !== undefined) return outcome;
      if (err instanceof WorkerStalled) {
        this.stats.stalls++;
        return { kind: "program", reason: err.message, stalled: true };
      }
      const msg = (err as Error).message;
      // A request the supervisor refused is codeloop's fault, not the program's.
      if (/rejected the request/.test(msg)) return { kind: "infra", reason: msg };
      return { kind: "program", reason: msg, stalled: false };
    }
    return outcome ?? { kind: "done" };
  }

  /**
   * Address space above the memory limit. PyPy reserves address space it does not touch:
   * `sys.setrecursionlimit(10**6)`, common in accepted solutions, reserves over a gigabyte of
   * stack and fails with MemoryError under CPython's headroom. Resident memory is what the
   * memory limit measures either way.
   */
  private addressSpaceHeadroomMb(L: SandboxLimits): number {
    const h = L.addressSpaceHeadroomMb ?? 1024;
    return this.python.runtime === "pypy" ? Math.max(h, 4096) : h;
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
    this.leased?.release();
    if (this.lease && !this.leased) this.lease.then((l) => l.release()).catch(() => {});
    rmSync(this.runtimeDir, { recursive: true, force: true });
  }
}

/** Whether a failed compile ran into the executable's size cap (the linker's write was cut off). */
export function executableTooBig(record: RunRecord): boolean {
  return (
    record.verdict === "output_limit" ||
    record.signal === "SIGXFSZ" ||
    /File too large|File size limit exceeded/.test(record.stderr)
  );
}
