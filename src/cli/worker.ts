import { availableParallelism } from "node:os";
import type { Command } from "commander";
import type { QueueJudge, QueueSecret } from "../queue/index.js";
import type { IsolationRequest, SandboxMode } from "../sandbox/index.js";
import { CliError } from "./errors.js";
import {
  type SandboxCliOptions,
  positiveNumber,
  pythonRuntimeFlag,
  withSandboxOptions,
} from "./sandbox-options.js";

// The queue (BullMQ, ioredis) is loaded only by commands that use it: importing it costs about
// a quarter second, which every other CLI start would pay.
type QueueModule = typeof import("../queue/index.js");
let loaded: QueueModule | undefined;
async function queueModule(): Promise<QueueModule> {
  loaded ??= await import("../queue/index.js");
  return loaded;
}

interface WorkerCliOptions extends SandboxCliOptions {
  queue?: string;
  queueName: string;
  secretFile?: string;
  lockDurationMs: string;
  stalledIntervalMs: string;
}

/** `codeloop worker --queue redis://host:6379 [--workers N]`: judges jobs of QueueJudge clients. */
export function registerWorker(program: Command): void {
  withSandboxOptions(program.command("worker"), true)
    .description("judge submissions from a Redis queue (BullMQ) for runs started with --queue elsewhere")
    .option("--queue <url>", "Redis URL, e.g. redis://host:6379")
    .option("--queue-name <name>", "BullMQ queue name", "codeloop-judge")
    .option(
      "--secret-file <path>",
      "shared secret: run only jobs signed with it, sign results (else CODELOOP_QUEUE_SECRET)",
    )
    .option(
      "--lock-duration-ms <ms>",
      "job lock; a dead worker's job goes to another after it expires",
      "30000",
    )
    .option("--stalled-interval-ms <ms>", "how often to look for jobs of dead workers", "30000")
    .action(async (opts: WorkerCliOptions) => {
      if (!opts.queue) throw new CliError("missing --queue redis://host:port");
      if (opts.mode !== "forkserver" && opts.mode !== "fresh") {
        throw new CliError(`--mode must be forkserver or fresh, got '${opts.mode}'`);
      }
      const slots = positiveNumber("--workers", opts.workers, true) ?? availableParallelism();
      const python = pythonRuntimeFlag(opts.python);
      const log = (m: string) => process.stderr.write(`${m}\n`);
      const q = await queueModule();
      const secret = queueSecret(q, opts.secretFile);
      let w: Awaited<ReturnType<QueueModule["startJudgeWorker"]>>;
      try {
        w = await q.startJudgeWorker({
          url: opts.queue,
          queueName: opts.queueName,
          slots,
          lockDurationMs: positiveNumber("--lock-duration-ms", opts.lockDurationMs, true),
          stalledIntervalMs: positiveNumber("--stalled-interval-ms", opts.stalledIntervalMs, true),
          ...(secret ? { secret } : {}),
          sandbox: {
            mode: opts.mode as SandboxMode,
            isolation: opts.isolation as IsolationRequest | undefined,
            subprocesses: opts.subprocesses === true,
            ...(python ? { python } : {}),
          },
          log,
        });
      } catch (err) {
        throw new CliError(`cannot start the worker: ${(err as Error).message} (run 'codeloop doctor')`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          log("codeloop worker: stopping after the running jobs");
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await w.close();
    });
}

/** The flags of commands that can judge through workers: `--queue`, `--queue-capacity`. */
export function withQueueOptions(cmd: Command): Command {
  return cmd
    .option("--queue <url>", "judge on `codeloop worker` processes through this Redis (redis://host:6379)")
    .option(
      "--queue-capacity <n>",
      "judge jobs in flight with --queue (default: 2 x the workers' slots, else 8)",
    )
    .option(
      "--queue-name <name>",
      "BullMQ queue name with --queue (the workers' --queue-name)",
      "codeloop-judge",
    )
    .option(
      "--secret-file <path>",
      "with --queue: shared secret the workers have; jobs are signed and only signed results taken (else CODELOOP_QUEUE_SECRET)",
    );
}

/** The queue secret from --secret-file or CODELOOP_QUEUE_SECRET, as a CLI error when unusable. */
function queueSecret(q: QueueModule, file: string | undefined): QueueSecret | undefined {
  try {
    return q.loadQueueSecret(file);
  } catch (err) {
    if (err instanceof q.QueueSecretError) throw new CliError(err.message);
    throw err;
  }
}

/** A QueueJudge for `--queue`, or undefined without it; Redis out of reach is one clear line. */
export async function queueJudgeFor(opts: {
  queue?: string;
  queueCapacity?: string;
  queueName?: string;
  secretFile?: string;
}): Promise<QueueJudge | undefined> {
  if (!opts.queue) {
    if (opts.secretFile) throw new CliError("--secret-file is for --queue (the workers' shared secret)");
    return undefined;
  }
  const capacity = positiveNumber("--queue-capacity", opts.queueCapacity, true);
  const q = await queueModule();
  const secret = queueSecret(q, opts.secretFile);
  try {
    const qj = await q.QueueJudge.connect({
      url: opts.queue,
      ...(opts.queueName ? { queueName: opts.queueName } : {}),
      ...(capacity ? { capacity } : {}),
      ...(secret ? { secret } : {}),
      log: (m) => process.stderr.write(`${m}\n`),
    });
    const slots = await qj.workers().catch(() => 0);
    process.stderr.write(
      `codeloop: judging through ${q.displayUrl(opts.queue)}: ${slots} worker slot(s) registered, ${qj.capacity} jobs in flight\n`,
    );
    return qj;
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** A queue failure (never a verdict) as one line, with how to go on. */
export function queueError(err: unknown, hint: string): void {
  // Queue errors exist only once the queue was loaded (by --queue).
  if (loaded && err instanceof loaded.QueueError) throw new CliError(`${err.message}; ${hint}`);
}
