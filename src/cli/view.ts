import { spawn } from "node:child_process";
import type { Command } from "commander";
import { ViewError, startViewServer } from "../view/index.js";
import { CliError } from "./errors.js";

/** Opens `url` in the desktop's browser, if there is one; failing to is not an error. */
function openBrowser(url: string): void {
  const cmd = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(cmd, [url], { stdio: "ignore", detached: true });
    child.on("error", () => process.stderr.write(`codeloop view: could not start ${cmd}; open ${url}\n`));
    child.unref();
  } catch {
    process.stderr.write(`codeloop view: could not start ${cmd}; open ${url}\n`);
  }
}

export function registerView(program: Command): void {
  program
    .command("view <run-folders...>")
    .description("a local web viewer for whole runs, read-only (see docs/view.md)")
    .option("--port <n>", "port to listen on (0: any free port)", "8377")
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .option("--open", "open the viewer in the default browser")
    .option("--no-text-index", "scan for text filters instead of keeping a trigram index in the cache")
    .action(
      async (folders: string[], opts: { port: string; host: string; open?: boolean; textIndex: boolean }) => {
        const port = Number(opts.port);
        if (!/^\d+$/.test(opts.port) || port > 65535) {
          throw new CliError(`--port must be an integer 0..65535, got '${opts.port}'`);
        }
        let server: Awaited<ReturnType<typeof startViewServer>>;
        try {
          server = await startViewServer(folders, {
            port,
            host: opts.host,
            ...(opts.textIndex === false ? { textIndexDir: false } : {}),
            log: (line) => process.stderr.write(`${line}\n`),
          });
        } catch (err) {
          if (err instanceof ViewError) throw new CliError(err.message);
          const code = (err as NodeJS.ErrnoException).code;
          if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
            throw new CliError(`cannot listen on ${opts.host}:${port}: ${(err as Error).message}`);
          }
          throw err;
        }
        process.stdout.write(
          `codeloop view: ${server.url} (${server.runs.length} run(s), read-only; Ctrl-C stops)\n`,
        );
        process.stderr.write(
          `codeloop view: link a report to it with \`codeloop report <run-folder> --viewer ${server.url}\`\n`,
        );
        if (opts.open) openBrowser(server.url);
        const stop = () => {
          void server.close().then(() => process.exit(0));
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      },
    );
}
