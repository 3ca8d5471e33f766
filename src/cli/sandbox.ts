import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { Command } from "commander";
import { DEFAULT_LIMITS, type Sandbox } from "../sandbox/index.js";
import { CliError } from "./errors.js";
import { positiveNumber, startSandbox, withSandboxOptions } from "./sandbox-options.js";

const LANG_BY_EXT: Record<string, string> = { ".py": "python", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp" };

function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(
      `cannot read ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

interface RunOpts {
  lang?: string;
  stdin?: string;
  timeLimit?: string;
  memoryLimit?: string;
  json?: boolean;
  mode: string;
  isolation?: string;
}

export function registerSandbox(program: Command): void {
  const sandbox = program.command("sandbox").description("run untrusted programs in the sandbox");
  withSandboxOptions(sandbox.command("run <file>"))
    .description("run one program once, isolated and limited, and report what happened")
    .option("--lang <lang>", "python or cpp (default: from the file extension)")
    .option("--stdin <file>", "file given to the program as stdin (a regular file, as on judges)")
    .option("--time-limit <s>", "CPU time limit in seconds", "2")
    .option("--memory-limit <MiB>", "memory limit in MiB", "256")
    .option("--json", "print the run record as JSON")
    .action(async (file: string, opts: RunOpts) => {
      const source = readInput(file, "program");
      const lang = opts.lang ?? LANG_BY_EXT[extname(file).toLowerCase()];
      if (!lang)
        throw new CliError(`cannot tell the language of '${file}': pass --lang python or --lang cpp`);
      if (!["python", "cpp"].includes(lang))
        throw new CliError(`--lang must be python or cpp, got '${lang}'`);
      const stdin = opts.stdin ? readInput(opts.stdin, "--stdin file") : "";
      const limits = {
        ...DEFAULT_LIMITS,
        timeMs: Math.round((positiveNumber("--time-limit", opts.timeLimit) ?? 2) * 1000),
        memoryMb: Math.round(positiveNumber("--memory-limit", opts.memoryLimit) ?? 256),
      };
      const sb: Sandbox = await startSandbox(opts, 1);
      try {
        const run = await sb.runOnce(lang, source, stdin, limits);
        const rec = { ...run.record, isolation: sb.isolation.kind };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rec, null, 2)}\n`);
        } else {
          process.stdout.write(run.stdout.length ? run.stdout : rec.stdout);
          if (rec.stderr) process.stderr.write(rec.stderr.endsWith("\n") ? rec.stderr : `${rec.stderr}\n`);
          const exit = rec.signal ? `signal ${rec.signal}` : `exit ${rec.exitCode}`;
          process.stderr.write(
            `[${rec.verdict}${rec.detail ? `: ${rec.detail}` : ""}] ${exit}, cpu ${rec.cpuMs.toFixed(1)} ms, wall ${rec.wallMs.toFixed(1)} ms, peak ${(rec.memoryKb / 1024).toFixed(1)} MiB\n`,
          );
        }
        if (rec.verdict !== "ok") process.exitCode = 1;
      } finally {
        await sb.close();
      }
    });
}
