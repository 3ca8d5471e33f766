import type { Command } from "commander";
import { stringify } from "yaml";
import { RunConfigError, loadRunConfig, runConfigJsonSchemaText } from "../runs/index.js";
import { CliError } from "./errors.js";

export function registerConfig(program: Command): Command {
  const config = program.command("config").description("Run config files: JSON Schema and validation");

  config
    .command("schema")
    .description("Print the JSON Schema of the run config file")
    .action(() => {
      process.stdout.write(runConfigJsonSchemaText());
    });

  config
    .command("check <file>")
    .description("Validate a run config (YAML or JSON) and print it with every default filled in")
    .option("--json", "print the resolved config as JSON (default: YAML)")
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        const cfg = await loadRunConfig(file);
        process.stdout.write(opts.json ? `${JSON.stringify(cfg, null, 2)}\n` : stringify(cfg));
      } catch (err) {
        if (err instanceof RunConfigError) throw new CliError(err.message);
        throw err;
      }
    });
  return config;
}
