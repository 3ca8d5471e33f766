import { Command } from "commander";
import { vi } from "vitest";

/**
 * Runs a command registered by `register` in-process and returns what it wrote to stdout:
 * the CLI modules are tested through their real commander wiring without spawning a process.
 */
export async function captureCli(
  register: (program: Command) => unknown,
  ...args: string[]
): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  let out = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  try {
    await program.parseAsync(["node", "codeloop", ...args]);
  } finally {
    o.mockRestore();
  }
  return out;
}
