import { type ChildProcess, spawn } from "node:child_process";
import { type Frame, FrameDecoder, encodeFrame } from "./frame.js";

export interface SpawnSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** What runner.py reports about itself once it is up. */
export interface ReadyInfo {
  pid: number;
  uid: number;
  /** The uid programs run under (null when codeloop is not root: one uid for everything). */
  programUid: number | null;
  checkerUid: number | null;
  seccomp: boolean;
  seccompWhy: string;
  pidns: boolean;
  dedicatedUid: boolean;
  python: string;
  memfd: boolean;
}

export class WorkerDied extends Error {}

/** The supervisor stopped answering: it is stuck (or was stopped), not merely busy. */
export class WorkerStalled extends WorkerDied {}

/** One sandboxed supervisor process and the request it is serving, if any. */
export class Worker {
  readonly proc: ChildProcess;
  readonly ready: Promise<ReadyInfo>;
  dead = false;
  private decoder = new FrameDecoder();
  private onFrame?: (frame: Frame) => void;
  private onDeath?: (err: Error) => void;
  private stderrTail = "";
  private resolveReady!: (info: ReadyInfo) => void;
  private rejectReady!: (err: Error) => void;
  private watchdog?: NodeJS.Timeout;
  /** Frames received: the watchdog looks whether any came while its timer waited. */
  private framesSeen = 0;

  constructor(spec: SpawnSpec, readyTimeoutMs = 30_000) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // detached: the supervisor leads its own process group, so kill(-pid) reaches everything.
    this.proc = spawn(spec.command, spec.args, {
      env: spec.env,
      cwd: spec.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    const timer = setTimeout(() => {
      this.rejectReady(
        new Error(`sandbox did not start within ${readyTimeoutMs} ms${this.describeStderr()}`),
      );
      this.kill();
    }, readyTimeoutMs);
    this.ready.then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
    this.proc.stdout!.on("data", (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        this.die(new WorkerDied(`sandbox protocol error: ${(err as Error).message}`));
        return;
      }
      for (const frame of frames) {
        this.framesSeen++;
        if (frame.header.op === "ready") this.resolveReady(frame.header as unknown as ReadyInfo);
        else this.onFrame?.(frame);
      }
    });
    this.proc.stderr!.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-4000);
    });
    // Writing to a supervisor that just died gives EPIPE: the exit handler reports it.
    this.proc.stdin!.on("error", () => {});
    this.proc.on("error", (err) => this.die(new WorkerDied(`cannot start sandbox: ${err.message}`)));
    this.proc.on("close", (code, signal) => {
      this.die(
        new WorkerDied(
          `sandbox supervisor exited (${signal ? `signal ${signal}` : `code ${code}`})${this.describeStderr()}`,
        ),
      );
    });
  }

  private describeStderr(): string {
    const t = this.stderrTail.trim();
    return t ? `: ${t.split("\n").slice(-5).join(" | ")}` : "";
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.clearWatchdog();
    this.rejectReady(err);
    const cb = this.onDeath;
    this.onFrame = undefined;
    this.onDeath = undefined;
    cb?.(err);
    this.kill();
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  /**
   * Sends one request and feeds its reply frames to `onFrame` until the "done" frame.
   * Rejects with WorkerDied if the supervisor dies first, and with WorkerStalled (after killing
   * it) if no frame arrives within `silenceMs`: every test ends within its own wall-clock limit,
   * so a longer silence means the supervisor itself is stuck, and nothing may wait forever.
   */
  request(
    header: Record<string, unknown>,
    blobs: Buffer[],
    onFrame: (frame: Frame) => void,
    silenceMs = 0,
  ): Promise<void> {
    if (this.dead) return Promise.reject(new WorkerDied("sandbox supervisor is not running"));
    return new Promise((resolve, reject) => {
      const arm = () => {
        if (silenceMs <= 0) return;
        this.clearWatchdog();
        const armedAt = performance.now();
        const seen = this.framesSeen;
        this.watchdog = setTimeout(() => {
          // The timer fires late when this process was busy; input that came meanwhile is read
          // before setImmediate callbacks run. Only true silence, measured on a loop that was
          // free to listen, is the supervisor's fault.
          setImmediate(() => {
            if (this.dead || this.framesSeen !== seen) return;
            if (performance.now() - armedAt - silenceMs > 1000) {
              arm();
              return;
            }
            this.die(new WorkerStalled(`the sandbox did not answer for ${silenceMs} ms`));
          });
        }, silenceMs);
      };
      this.onFrame = (frame) => {
        arm();
        if (frame.header.op === "done") {
          this.clearWatchdog();
          this.onFrame = undefined;
          this.onDeath = undefined;
          resolve();
        } else if (frame.header.op === "error") {
          this.clearWatchdog();
          this.onFrame = undefined;
          this.onDeath = undefined;
          reject(new WorkerDied(`sandbox rejected the request: ${String(frame.header.msg)}`));
        } else {
          onFrame(frame);
        }
      };
      this.onDeath = reject;
      arm();
      this.proc.stdin!.write(encodeFrame({ op: "run", ...header }, blobs));
    });
  }

  cancel(id: number): void {
    if (!this.dead) this.proc.stdin!.write(encodeFrame({ op: "cancel", id }));
  }

  kill(): void {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      try {
        this.proc.kill("SIGKILL");
      } catch {}
    }
  }

  /** Ends the supervisor politely (EOF on its input) and waits for it to exit. */
  async close(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.proc.once("close", () => resolve()));
    this.proc.stdin!.end();
    const timer = setTimeout(() => this.kill(), 2000);
    await exited;
    clearTimeout(timer);
  }
}
