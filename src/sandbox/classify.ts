import { constants } from "node:os";
import { type StatusRecord, parseStatus, parseTrace, recordString, returnedValue } from "./records.js";
import type { JobMode, RunRecord, SandboxLimits, TestRun } from "./types.js";

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, num]) => [num as number, name]),
);

export function signalName(sig: number | null | undefined): string | null {
  if (sig === null || sig === undefined) return null;
  return SIGNAL_NAMES.get(sig) ?? `SIG${sig}`;
}

/**
 * The per-test result frame of runner.py: what the supervisor itself measured (wait status,
 * rusage, CPU clocks, which limit it enforced) and what the setup pipe said before the
 * program started. The program's own words are in the blobs, named by `layout`.
 */
export interface RawResult {
  cpuMs?: unknown;
  wallMs?: unknown;
  memoryKb?: unknown;
  exitCode?: unknown;
  signal?: unknown;
  killed?: unknown;
  stdoutBytes?: unknown;
  stderrBytes?: unknown;
  leftovers?: unknown;
  sandboxError?: unknown;
  /** The setup pipe: "R" once the program started; "E..." setup failed; "S<type>" syntax error. */
  setup?: unknown;
  /** Function batches: the process is still alive after answering this call. */
  running?: unknown;
  /** Assert scripts: the candidate was stopped because the checker had finished. */
  stoppedByJudge?: unknown;
  protocol?: unknown;
  checker?: unknown;
  collected?: unknown;
  layout?: unknown;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

function num(x: unknown): number {
  return typeof x === "number" && Number.isFinite(x) && x >= 0 ? x : 0;
}

function intOrNull(x: unknown): number | null {
  return typeof x === "number" && Number.isSafeInteger(x) ? x : null;
}

function text(buf: Buffer, capBytes: number): string {
  if (buf.length <= capBytes) return decoder.decode(buf);
  const half = capBytes >> 1;
  return `${decoder.decode(buf.subarray(0, half))}\n... [${buf.length - capBytes} bytes cut] ...\n${decoder.decode(buf.subarray(buf.length - half))}`;
}

/** The blobs of a frame by the names runner.py gave them ("stderr" may come as head and tail). */
function byName(layout: unknown, blobs: Buffer[]): Map<string, Buffer[]> {
  const names = Array.isArray(layout) ? layout : [];
  const out = new Map<string, Buffer[]>();
  blobs.forEach((b, i) => {
    const name = typeof names[i] === "string" ? (names[i] as string) : `blob${i}`;
    const list = out.get(name);
    if (list) list.push(b);
    else out.set(name, [b]);
  });
  return out;
}

function joinHeadTail(parts: Buffer[] | undefined, total: number): string {
  if (!parts || parts.length === 0) return "";
  if (parts.length === 1) return decoder.decode(parts[0]);
  const kept = parts.reduce((a, p) => a + p.length, 0);
  return `${decoder.decode(parts[0])}\n... [${Math.max(0, total - kept)} bytes cut] ...\n${decoder.decode(parts[parts.length - 1])}`;
}

type Checker = { exitCode: number | null; signal: number | null; killed: string | null; setup: string };

function checkerOf(x: unknown): Checker | undefined {
  if (typeof x !== "object" || x === null) return undefined;
  const c = x as Record<string, unknown>;
  return {
    exitCode: intOrNull(c.exitCode),
    signal: intOrNull(c.signal),
    killed: typeof c.killed === "string" ? c.killed : null,
    setup: typeof c.setup === "string" ? c.setup : "",
  };
}

/**
 * Turns what the supervisor measured into a verdict. Precedence: infrastructure, syntax,
 * memory (a peak above the limit is a violation even if time ran out first), time, output,
 * runtime error. Time is judged on CPU time; the wall clock backstop (a sleeping or blocked
 * program) also gives time_limit. A test is `ok` only on positive evidence: a whole program
 * that exited 0; a function call whose answer arrived while its process was alive; an assert
 * script whose checker reported, after its last line, that every check passed.
 */
export function classify(
  raw: RawResult,
  blobs: Buffer[],
  limits: SandboxLimits,
  mode: JobMode = "stdio",
): TestRun {
  const named = byName(raw.layout, blobs);
  const stdout = named.get("stdout")?.[0] ?? Buffer.alloc(0);
  const keep = (limits.stderrKeepKb ?? 64) * 1024;
  const stderrBytes = num(raw.stderrBytes);
  const status = parseStatus(named.get("status")?.[0]);
  const record: RunRecord = {
    verdict: "ok",
    cpuMs: num(raw.cpuMs),
    wallMs: num(raw.wallMs),
    memoryKb: num(raw.memoryKb),
    exitCode: intOrNull(raw.exitCode),
    signal: signalName(intOrNull(raw.signal)),
    stdout: text(stdout, keep),
    stderr: joinHeadTail(named.get("stderr"), stderrBytes),
    stdoutBytes: num(raw.stdoutBytes) || stdout.length,
    stderrBytes,
  };
  const setup = typeof raw.setup === "string" ? raw.setup : "";
  const killed = typeof raw.killed === "string" ? raw.killed : null;
  const running = raw.running === true;
  const stopped = raw.stoppedByJudge === true;
  if (stopped) record.signal = null;

  // The program's own records (untrusted): the exception it raised, what it returned, a trace.
  const exc = status.records.find((r) => r.k === "exc");
  const excType = recordString(exc?.type, 100);
  if (excType) record.exception = excType;
  const traceRec = status.records.find((r) => r.k === "trace");
  if (traceRec) {
    const trace = parseTrace(traceRec.trace);
    if (trace) record.trace = trace;
  }

  const outputCap = limits.outputKb * 1024;
  const memLimitKb = limits.memoryMb * 1024;
  const set = (verdict: RunRecord["verdict"], detail: string) => {
    record.verdict = verdict;
    record.detail = detail;
  };
  const collected: Record<string, Buffer> = {};
  for (const [name, parts] of named) {
    if (name.startsWith("collect:")) collected[name.slice(8)] = parts[0]!;
  }
  const result = (): TestRun => ({ record, stdout, collected });

  if (typeof raw.sandboxError === "string") {
    set("sandbox_error", raw.sandboxError.slice(0, 2000));
    return result();
  }
  // The setup pipe's grammar: "E<why>" (setup failed before the program), "R" (the program
  // started), "RE<why>" (a tool could not be exec'd), "RB<why>" (the program's own executable
  // could not be: its fault), "S<type>" (syntax error).
  if (setup.startsWith("E")) {
    set("sandbox_error", `sandbox setup failed in the child: ${setup.slice(1, 500)}`);
    return result();
  }
  if (setup.startsWith("RE")) {
    set("sandbox_error", `could not start the program: ${setup.slice(2, 500)}`);
    return result();
  }
  if (setup.startsWith("RB")) {
    set("runtime_error", `the program's executable could not be started: ${setup.slice(2, 500)}`);
    return result();
  }
  if (setup.startsWith("S")) {
    set("compile_error", `${setup.slice(1, 60) || "SyntaxError"} while compiling the program`);
    return result();
  }
  if (
    killed === "memory" ||
    record.memoryKb > memLimitKb ||
    excType === "MemoryError" ||
    (record.signal !== null && /std::bad_alloc/.test(record.stderr))
  ) {
    set(
      "memory_limit",
      `memory limit (${limits.memoryMb} MiB) exceeded (peak ${Math.round(record.memoryKb / 1024)} MiB)`,
    );
    return result();
  }
  if (killed === "cpu" || record.cpuMs > limits.timeMs || record.signal === "SIGXCPU") {
    set("time_limit", `CPU time limit (${limits.timeMs} ms) exceeded`);
    return result();
  }
  if (killed === "wall") {
    set("time_limit", `wall-clock limit (${limits.wallMs ?? defaultWallMs(limits)} ms) exceeded`);
    return result();
  }
  if (
    record.signal === "SIGXFSZ" ||
    record.stdoutBytes > outputCap ||
    record.stderrBytes > outputCap ||
    excType === "EncodeLimit"
  ) {
    set(
      "output_limit",
      excType === "EncodeLimit" ? "return value too large" : `output limit (${limits.outputKb} KiB) exceeded`,
    );
    return result();
  }
  if (typeof raw.protocol === "string") {
    set("runtime_error", raw.protocol.slice(0, 300));
    return result();
  }
  if (!setup.startsWith("R") && record.signal === null && record.exitCode !== 0) {
    // The child ended before the program started, with nothing said and no limit involved.
    set("sandbox_error", `the sandbox child ended before the program started (exit ${record.exitCode})`);
    return result();
  }
  if (mode === "function") return classifyCall(record, status.records, status.garbled, running, result, set);
  if (mode === "assert") return classifyChecked(record, named, raw.checker, result, set);
  if (record.signal !== null) set("runtime_error", `killed by ${record.signal}`);
  else if (record.exitCode !== 0)
    set("runtime_error", excType ? `${excType} raised` : `exit code ${record.exitCode}`);
  else if (status.garbled) set("runtime_error", "the program wrote garbage into the judge's status channel");
  return result();
}

/** One call of a function batch: its answer counts only if it came while the process lived. */
function classifyCall(
  record: RunRecord,
  records: StatusRecord[],
  garbled: string | undefined,
  running: boolean,
  result: () => TestRun,
  set: (v: RunRecord["verdict"], d: string) => void,
): TestRun {
  const answers = records.filter((r) => r.k === "ret" || r.k === "exc" || r.k === "exit");
  if (!running) {
    const exit = answers.find((r) => r.k === "exit");
    if (record.signal !== null) set("runtime_error", `killed by ${record.signal}`);
    else if (exit) set("runtime_error", "the program exited (sys.exit) instead of returning");
    else if (record.exception) set("runtime_error", `${record.exception} raised`);
    else
      set(
        "runtime_error",
        `the program ended (exit code ${record.exitCode}) before the entry point returned`,
      );
    return result();
  }
  if (garbled || answers.length !== 1) {
    set("runtime_error", "the program wrote into the judge's status channel");
    return result();
  }
  const answer = answers[0]!;
  if (answer.k === "exc") {
    set("runtime_error", `${record.exception ?? "an exception"} raised`);
    return result();
  }
  if (answer.k === "exit") {
    set("runtime_error", "the program exited (sys.exit) instead of returning");
    return result();
  }
  const { value, problem } = returnedValue(answer);
  if (!value) {
    set(
      "runtime_error",
      `the program wrote an invalid return value into the judge's status channel (${problem})`,
    );
    return result();
  }
  record.returnValue = value;
  return result();
}

/** One assert script: the checker's own report decides, the candidate only answered calls. */
function classifyChecked(
  record: RunRecord,
  named: Map<string, Buffer[]>,
  rawChecker: unknown,
  result: () => TestRun,
  set: (v: RunRecord["verdict"], d: string) => void,
): TestRun {
  const checker = checkerOf(rawChecker);
  const rec = parseStatus(named.get("checkerStatus")?.[0]).records[0];
  if (checker && /^E/.test(checker.setup)) {
    set("sandbox_error", `the judge's checker could not start: ${checker.setup.slice(1, 500)}`);
    return result();
  }
  if (checker?.killed) {
    set("time_limit", `the checks did not finish within the limit (${checker.killed})`);
    return result();
  }
  if (!checker || !rec) {
    const how = checker?.signal
      ? `killed by ${signalName(checker.signal)}`
      : `exit ${checker?.exitCode ?? "?"}`;
    set("runtime_error", `the checks ended without a verdict (${how})`);
    return result();
  }
  switch (rec.k) {
    case "pass":
      if (checker.exitCode === 0) return result();
      set("runtime_error", "the checks ended abnormally after passing");
      return result();
    case "fail": {
      record.assertionFailed = true;
      const line = recordString(rec.line, 300);
      set("runtime_error", line ? `assertion failed: ${line}` : "assertion failed");
      return result();
    }
    case "raised": {
      const msg = recordString(rec.msg, 300) ?? "an exception";
      record.exception = msg.split(":")[0]!.slice(0, 100);
      set("runtime_error", `the entry point raised ${msg}`);
      return result();
    }
    case "gone":
      set("runtime_error", "the program exited before its checks finished");
      return result();
    default: {
      const type = recordString(rec.type, 100) ?? "an error";
      set("runtime_error", `the test raised ${type}: ${recordString(rec.msg, 300) ?? ""}`.trim());
      return result();
    }
  }
}

export function defaultWallMs(limits: SandboxLimits): number {
  return limits.timeMs * 3 + 1000;
}
