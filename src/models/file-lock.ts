import { readFile, stat, unlink, utimes, writeFile } from "node:fs/promises";
/**
 * An exclusive lock file beside a download, so two codeloop processes that want the same Hub
 * file do not write one `.part` at the same time (which would interleave bytes and fail the
 * sha256 check for both). The lock holds `<host> <pid>`; a holder on this host that no longer
 * runs, or a holder elsewhere (a shared cache) whose lock has not been touched for a minute, is
 * taken over. The holder touches it every 10 s while it downloads.
 */
import { hostname } from "node:os";
import { pidAlive } from "../core/process.js";
import { ModelError } from "./types.js";

const STALE_MS = 60_000;

/** Takes the lock (waiting while a live holder has it) and returns its release. */
export async function acquireFileLock(
  path: string,
  options: { signal?: AbortSignal; onWait?: (holder: string) => void; pollMs?: number } = {},
): Promise<() => Promise<void>> {
  const me = `${hostname()} ${process.pid}`;
  let told = false;
  for (;;) {
    try {
      await writeFile(path, me, { flag: "wx", mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder: string;
    let touched: number;
    try {
      holder = (await readFile(path, "utf8")).trim();
      touched = (await stat(path)).mtimeMs;
    } catch {
      continue; // released between our attempt and the read: try again
    }
    const [host, pid] = holder.split(" ");
    const alive = host === hostname() ? pidAlive(Number(pid)) : Date.now() - touched < STALE_MS;
    if (!alive) {
      await unlink(path).catch(() => {});
      continue;
    }
    if (options.signal?.aborted) throw new ModelError("aborted", "download aborted");
    if (!told) {
      told = true;
      options.onWait?.(holder);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
  const beat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, 10_000);
  beat.unref();
  return async () => {
    clearInterval(beat);
    await unlink(path).catch(() => {});
  };
}
