import { constants } from "node:os";
import type { PyValue } from "../judge/pyvalue.js";
import type { RunRecord, SandboxLimits, SandboxTrace, TestRun } from "./types.js";

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, num]) => [num as number, name]),
);

export function signalName(sig: number | null | undefined): string | null {
  if (sig === null || sig === undefined) return null;
  return SIGNAL_NAMES.get(sig) ?? `SIG${sig}`;
}

/** The raw per-test result frame sent by runner.py. */
export interface RawResult {
  cpuMs?: number;
  wallMs?: number;
  memoryKb?: number;
  exitCode?: number | null;
  signal?: number | null;
  killed?: "cpu" | "wall" | "memory" | "status" | null;
  stdoutBytes?: number;
  stderrBytes?: number;
  leftovers?: boolean;
  sandboxError?: string;
  status?: { k: string; type?: string; msg?: string; v?: PyValue };
  collected?: string[];
  trace?: SandboxTrace;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

function capText(buf: Buffer, capBytes: number): string {
  if (buf.length <= capBytes) return decoder.decode(buf);
  const half = capBytes >> 1;
  return `${decoder.decode(buf.subarray(0, half))}\n... [${buf.length - capBytes} bytes cut] ...\n${decoder.decode(buf.subarray(buf.length - half))}`;
}

/**
 * Turns what the supervisor measured into a verdict. Precedence: infrastructure, syntax,
 * memory (a peak above the limit is a violation even if time ran out first), time, output,
 * runtime error. Time is judged on CPU time; the wall clock backstop
 * (a sleeping or blocked program) also gives time_limit.
 */
export function classify(raw: RawResult, blobs: Buffer[], limits: SandboxLimits): TestRun {
  const stdout = blobs[0] ?? Buffer.alloc(0);
  const stderr = blobs[1] ?? Buffer.alloc(0);
  const keep = (limits.stderrKeepKb ?? 64) * 1024;
  const status = raw.status;
  const record: RunRecord = {
    verdict: "ok",
    cpuMs: raw.cpuMs ?? 0,
    wallMs: raw.wallMs ?? 0,
    memoryKb: raw.memoryKb ?? 0,
    exitCode: raw.exitCode ?? null,
    signal: signalName(raw.signal),
    stdout: capText(stdout, keep),
    stderr: capText(stderr, keep),
    stdoutBytes: raw.stdoutBytes ?? stdout.length,
    stderrBytes: raw.stderrBytes ?? stderr.length,
  };
  if (status?.type) record.exception = status.type;
  const outputCap = limits.outputKb * 1024;
  const memLimitKb = limits.memoryMb * 1024;
  const set = (verdict: RunRecord["verdict"], detail: string) => {
    record.verdict = verdict;
    record.detail = detail;
  };
  if (raw.sandboxError) set("sandbox_error", raw.sandboxError);
  else if (status?.k === "setup") set("sandbox_error", `sandbox setup failed in the child: ${status.msg}`);
  else if (status?.k === "exec") set("sandbox_error", `could not start the program: ${status.msg}`);
  else if (status?.k === "garbled")
    set("runtime_error", "the program wrote garbage into the judge's status channel");
  else if (status?.k === "syntax")
    set("compile_error", `${status.type ?? "SyntaxError"} while compiling the program`);
  else if (
    raw.killed === "memory" ||
    record.memoryKb > memLimitKb ||
    (status?.k === "exc" && status.type === "MemoryError") ||
    (record.signal !== null && /std::bad_alloc/.test(record.stderr))
  ) {
    set(
      "memory_limit",
      `memory limit (${limits.memoryMb} MiB) exceeded (peak ${Math.round(record.memoryKb / 1024)} MiB)`,
    );
  } else if (raw.killed === "cpu" || record.cpuMs > limits.timeMs || record.signal === "SIGXCPU") {
    set("time_limit", `CPU time limit (${limits.timeMs} ms) exceeded`);
  } else if (raw.killed === "wall") {
    set("time_limit", `wall-clock limit (${limits.wallMs ?? defaultWallMs(limits)} ms) exceeded`);
  } else if (raw.killed === "status") {
    set("output_limit", "return value too large");
  } else if (
    record.signal === "SIGXFSZ" ||
    record.stdoutBytes > outputCap ||
    record.stderrBytes > outputCap ||
    (status?.k === "exc" && status.type === "EncodeLimit")
  ) {
    set("output_limit", `output limit (${limits.outputKb} KiB) exceeded`);
  } else if (record.signal !== null) {
    set("runtime_error", `killed by ${record.signal}`);
  } else if (record.exitCode !== 0) {
    set(
      "runtime_error",
      status?.k === "assert"
        ? "assertion failed"
        : status?.type
          ? `${status.type} raised`
          : `exit code ${record.exitCode}`,
    );
  }
  if (status?.k === "assert") record.assertionFailed = true;
  if (status?.k === "ret" && status.v) record.returnValue = status.v;
  if (raw.trace) record.trace = raw.trace;
  const collected: Record<string, Buffer> = {};
  (raw.collected ?? []).forEach((name, i) => {
    collected[name] = blobs[2 + i]!;
  });
  return { record, stdout, collected };
}

export function defaultWallMs(limits: SandboxLimits): number {
  return limits.timeMs * 3 + 1000;
}
