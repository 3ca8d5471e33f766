import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** ../shared/data relative to the repository root; tests that need it skip when it is absent. */
export const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared", "data");

export function dataPath(...parts: string[]): string {
  return join(DATA_DIR, ...parts);
}

export function hasData(...parts: string[]): boolean {
  const ok = existsSync(dataPath(...parts));
  if (!ok)
    console.log(`skipping: ${dataPath(...parts)} is absent (real benchmark data lives in ../shared/data)`);
  return ok;
}
