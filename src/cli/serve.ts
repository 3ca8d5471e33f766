import type { Command } from "commander";
import { Judge } from "../judge/judge.js";
import type { Problem } from "../problems/index.js";
import { FEEDBACK_KINDS, type FeedbackKind } from "../prompts/index.js";
import { pythonLabel } from "../sandbox/index.js";
import { JudgeServer, parseSize } from "../serve/index.js";
import { sandboxComputeExpected } from "../validate/index.js";
import { CliError } from "./errors.js";
import { type FilterOptions, filtersOf, load, loadOptions, withFilters } from "./problems.js";
import {
  type SandboxCliOptions,
  positiveNumber,
  startSandbox,
  withSandboxOptions,
} from "./sandbox-options.js";

interface ServeCliOptions extends FilterOptions, SandboxCliOptions {
  port: string;
  host: string;
  benchmark?: string;
  token?: string;
  maxBody: string;
  queueLimit?: string;
  feedback: string;
  episodeTimeout: string;
}

/** `codeloop serve`: the judge as an HTTP service; see docs/serve.md. */
export function registerServe(program: Command): void {
  withSandboxOptions(withFilters(program.command("serve")), true)
    .description(
      "judge service over HTTP: /v1/judge (+batch), SandboxFusion-compatible /run_code, RL episodes, /healthz, /v1/capacity, /metrics",
    )
    .option("--port <n>", "port to listen on (0: any free port)", "8080")
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .option("--benchmark <source>", "problems judged by id (a file, a folder or hf:<dataset>); filters apply")
    .option("--token <t>", "bearer token every route but /healthz needs (default: $CODELOOP_SERVE_TOKEN)")
    .option("--max-body <size>", "request body limit (e.g. 8mb, 512kb)", "8mb")
    .option("--queue-limit <n>", "jobs that may wait for a sandbox slot before 429 (default 4 x workers)")
    .option("--feedback <kind>", `episodes' default feedback: ${FEEDBACK_KINDS.join(", ")}`, "failed-test")
    .option("--episode-timeout <s>", "seconds an episode may stay idle before it is dropped", "600")
    .action(async (opts: ServeCliOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CliError(`--port must be an integer 0..65535, got '${opts.port}'`);
      let maxBody: number;
      try {
        maxBody = parseSize(opts.maxBody);
      } catch (err) {
        throw new CliError(`--max-body: ${(err as Error).message}`);
      }
      let queueLimit: number | undefined;
      if (opts.queueLimit !== undefined) {
        queueLimit = Number(opts.queueLimit);
        if (!Number.isInteger(queueLimit) || queueLimit < 0)
          throw new CliError(`--queue-limit must be a non-negative integer, got '${opts.queueLimit}'`);
      }
      if (!(FEEDBACK_KINDS as readonly string[]).includes(opts.feedback))
        throw new CliError(`--feedback must be one of ${FEEDBACK_KINDS.join(", ")}, got '${opts.feedback}'`);
      const episodeTimeout = positiveNumber("--episode-timeout", opts.episodeTimeout) as number;
      const token = opts.token ?? process.env.CODELOOP_SERVE_TOKEN;
      if (token !== undefined && token.trim() === "")
        throw new CliError("--token / CODELOOP_SERVE_TOKEN is empty");
      const isLoopback = ["127.0.0.1", "::1", "localhost"].includes(opts.host);
      if (!token && !isLoopback) {
        process.stderr.write(
          `codeloop: warning: serving on ${opts.host} without a token: anyone who reaches the port can run programs (set --token or CODELOOP_SERVE_TOKEN)\n`,
        );
      }
      const sb = await startSandbox(opts);
      let problems: Problem[] = [];
      try {
        if (opts.benchmark) {
          problems = await load(opts.benchmark, filtersOf(opts), {
            ...loadOptions(opts),
            computeExpected: sandboxComputeExpected(sb),
          });
          if (problems.length === 0) throw new CliError(`no problems in ${opts.benchmark} match the filters`);
        }
      } catch (err) {
        await sb.close();
        throw err;
      }
      const server = new JudgeServer({
        judge: new Judge(sb),
        executor: sb,
        problems,
        ...(token ? { token } : {}),
        maxBodyBytes: maxBody,
        ...(queueLimit !== undefined ? { queueLimit } : {}),
        feedback: opts.feedback as FeedbackKind,
        episodeTimeoutMs: episodeTimeout * 1000,
        log: (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`),
      });
      let addr: Awaited<ReturnType<JudgeServer["listen"]>>;
      try {
        addr = await server.listen(port, opts.host);
      } catch (err) {
        await sb.close();
        throw new CliError(`cannot listen on ${opts.host}:${port}: ${(err as Error).message}`);
      }
      const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
      process.stderr.write(
        `codeloop serve: listening on http://${host}:${addr.port} (${sb.size} ${sb.mode} workers, ${sb.isolation.kind}, ${pythonLabel(sb.python)}; ${problems.length} problems; ${token ? "token required" : "no token"})\n`,
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          process.stderr.write(
            `codeloop serve: ${signal} again: exiting without finishing requests in flight\n`,
          );
          process.exit(1);
        }
        stopping = true;
        process.stderr.write(
          `codeloop serve: ${signal}: draining (no new work; finishing requests in flight)\n`,
        );
        server
          .drain()
          .then(() => sb.close())
          .then(() => {
            process.stderr.write("codeloop serve: drained, exiting\n");
            process.exit(0);
          })
          .catch((err: unknown) => {
            process.stderr.write(`codeloop serve: error while draining: ${(err as Error).message}\n`);
            process.exit(1);
          });
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
      // The process lives as long as the server listens.
      await new Promise<void>(() => {});
    });
}
