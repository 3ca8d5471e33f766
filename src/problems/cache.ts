import { homedir } from "node:os";
import { join } from "node:path";

/** Dataset cache root: CODELOOP_CACHE_DIR, else ~/.cache/codeloop/datasets. */
export function defaultCacheDir(): string {
  return process.env.CODELOOP_CACHE_DIR || join(homedir(), ".cache", "codeloop", "datasets");
}
