/**
 * Progress on stderr for long commands: on a terminal one line redrawn at most every 100 ms
 * (and at the end), otherwise timestamped log lines when `logNow` says so. `run`, `sweep` and
 * `judge` share it; each decides its own line and how often a log line is worth writing.
 */
export interface ProgressPrinter<P> {
  update: (p: P) => void;
  end: () => void;
}

export function progressPrinterFor<P>(opts: {
  /** The progress line; `tty` when it will be redrawn in place. */
  line: (p: P, tty: boolean, now?: number) => string;
  /** Whether p is the last update (always drawn on a terminal). */
  finished: (p: P) => boolean;
  /** Plain output: whether this update gets a log line (called with the time of the last one). */
  logNow: (p: P, now: number, lastLogAt: number) => boolean;
}): ProgressPrinter<P> {
  const tty = process.stderr.isTTY === true;
  let last: P | undefined;
  let lastAt = 0;
  return {
    update(p) {
      last = p;
      const now = Date.now();
      if (tty) {
        if (now - lastAt < 100 && !opts.finished(p)) return;
        lastAt = now;
        process.stderr.write(
          `\r\x1b[2K${opts.line(p, true, now).slice(0, (process.stderr.columns ?? 200) - 1)}`,
        );
        return;
      }
      if (opts.logNow(p, now, lastAt)) {
        lastAt = now;
        process.stderr.write(`${new Date(now).toISOString()} ${opts.line(p, false, now)}\n`);
      }
    },
    end() {
      if (tty && last !== undefined) process.stderr.write(`\r\x1b[2K${opts.line(last, true)}\n`);
    },
  };
}
