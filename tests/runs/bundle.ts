import { join } from "node:path";
import { build } from "esbuild";

/**
 * Bundles a TypeScript entry into one ESM file that plain `node` runs, so tests can spawn real
 * child processes (killed with SIGKILL) without a build step. libsql stays external: it is a
 * native module resolved from node_modules.
 */
export async function bundleForNode(entry: string, outDir: string, name: string): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["libsql"],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: "silent",
  });
  return outfile;
}

/** Environment for a bundled child: the native libsql module resolves from this checkout. */
export function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_PATH: join(process.cwd(), "node_modules") };
}
