import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Rendered } from "./formats.js";

/**
 * JSONL written to a temporary file beside the target and renamed into place when complete,
 * so a killed export leaves the previous file (or none), never half of one. Lines are buffered
 * up to about 1 MiB between writes.
 */
export class JsonlOut {
  readonly temp: string;
  private fd: number;
  private buffer: string[] = [];
  private buffered = 0;
  examples = 0;
  chars = 0;

  constructor(readonly path: string) {
    removeStaleTemps(path);
    this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    this.fd = openSync(this.temp, "w", 0o600);
  }

  write(r: Rendered): void {
    const line = `${JSON.stringify(r.row)}\n`;
    this.buffer.push(line);
    this.buffered += line.length;
    this.examples++;
    this.chars += r.chars;
    if (this.buffered >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join(""));
    this.buffer = [];
    this.buffered = 0;
  }

  /** Approximate tokens: characters of message text / 4 (no tokenizer is assumed). */
  get tokens(): number {
    return Math.ceil(this.chars / 4);
  }

  finish(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.temp, this.path);
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {}
    rmSync(this.temp, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Temporary files a killed export of the same target left behind (their process is gone). */
function removeStaleTemps(path: string): void {
  const prefix = `.${basename(path)}.`;
  for (const f of readdirSync(dirname(path))) {
    if (!f.startsWith(prefix) || !f.endsWith(".tmp")) continue;
    const pid = Number(f.slice(prefix.length, -4));
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) {
      rmSync(join(dirname(path), f), { force: true });
    }
  }
}

/** A small file written whole through a temporary name. */
export function writeFileAtomic(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(temp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
