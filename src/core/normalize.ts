import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { hash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";

/**
 * Python normalisation of model-written code: ast.parse + ast.unparse drops comments and
 * formatting. Parsing never executes the code, but it still runs in separate isolated
 * interpreters (-I: no user site or environment; -S: no site module) that stay up and take
 * batches as JSON lines. Code that does not parse (or breaks the parser) is kept as raw text.
 *
 * CPython's unparse costs a few hundred microseconds per program, so normalisations are kept in
 * a JSON-lines cache: a run writes `<run folder>/normalised.jsonl` while it runs (see
 * `BackgroundNormaliser`), and metrics over a finished run read it instead of parsing again.
 */

/** The cache file a run keeps beside its database. */
export const NORMALISED_FILE = "normalised.jsonl";

export function normalisedCacheFile(runFolder: string): string {
  return join(runFolder, NORMALISED_FILE);
}

/** First line out: the interpreter's version (part of every cache key); then one line per batch. */
const SERVER_SCRIPT = `
import ast, json, sys
def norm(src):
    try:
        return ast.unparse(ast.parse(src))
    except BaseException:
        return src
out = sys.stdout
out.write(json.dumps(sys.version) + "\\n")
out.flush()
for line in sys.stdin:
    out.write(json.dumps([norm(s) for s in json.loads(line)]) + "\\n")
    out.flush()
`;

/** Runs a one-shot script with JSON in and out (tests drive Python's difflib through it). */
export function runPython(script: string, input: unknown, python = "python3"): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-I", "-S", "-c", script], { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`${python} exited with ${code}: ${Buffer.concat(err).toString().slice(0, 500)}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString("utf8")));
      } catch (e) {
        reject(e);
      }
    });
    child.stdin.on("error", reject);
    child.stdin.end(JSON.stringify(input));
  });
}

class NormaliserDied extends Error {}

/** One long-lived interpreter answering batches in order. */
class PythonNormaliser {
  private readonly waiting: { resolve: (v: string[]) => void; reject: (e: Error) => void }[] = [];
  private buffered = "";
  private dead: Error | undefined;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly version: string,
  ) {}

  static start(python: string): Promise<PythonNormaliser> {
    return new Promise((resolve, reject) => {
      const child = spawn(python, ["-I", "-S", "-c", SERVER_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
      let self: PythonNormaliser | undefined;
      let head = "";
      let errText = "";
      child.stdout.setEncoding("utf8");
      child.stderr.setEncoding("utf8");
      child.stdin.on("error", () => {}); // a dead child shows through "close"
      child.on("error", (e) => {
        if (self) self.fail(e);
        else reject(new Error(`cannot start ${python} to normalise code: ${e.message}`));
      });
      child.stderr.on("data", (d: string) => {
        errText = (errText + d).slice(-2000);
      });
      child.on("close", (code, signal) => {
        const why = new NormaliserDied(
          `${python} normaliser exited (${signal ?? code})${errText ? `: ${errText.trim().slice(-500)}` : ""}`,
        );
        if (self) self.fail(why);
        else reject(why);
      });
      child.stdout.on("data", (d: string) => {
        if (self) {
          self.onData(d);
          return;
        }
        head += d;
        const nl = head.indexOf("\n");
        if (nl < 0) return;
        let version: unknown;
        try {
          version = JSON.parse(head.slice(0, nl));
        } catch {
          child.kill("SIGKILL");
          reject(new Error(`${python} did not answer like the normaliser script: ${head.slice(0, 200)}`));
          return;
        }
        self = new PythonNormaliser(child, String(version));
        resolve(self);
        if (nl + 1 < head.length) self.onData(head.slice(nl + 1));
      });
    });
  }

  private onData(d: string): void {
    this.buffered += d;
    for (;;) {
      const nl = this.buffered.indexOf("\n");
      if (nl < 0) return;
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const w = this.waiting.shift();
      if (!w) continue;
      try {
        const v = JSON.parse(line) as unknown;
        if (!Array.isArray(v)) throw new Error("normaliser returned a malformed batch");
        w.resolve(v.map(String));
      } catch (e) {
        w.reject(e as Error);
      }
    }
  }

  private fail(e: Error): void {
    this.dead ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.dead);
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  normalise(batch: readonly string[]): Promise<string[]> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.waiting.push({
        resolve: (v) =>
          v.length === batch.length ? resolve(v) : reject(new Error("normaliser returned a malformed batch")),
        reject,
      });
      this.child.stdin.write(`${JSON.stringify(batch)}\n`);
    });
  }

  close(): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once("close", () => resolve());
      this.child.stdin.end();
    });
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}

/**
 * A slot holding one interpreter, restarted when it dies. A batch whose interpreter died is
 * split and retried, so one program that crashes the parser costs only itself: alone, it is
 * kept as raw text (as code that does not parse is).
 */
class NormaliserSlot {
  private worker: Promise<PythonNormaliser> | undefined;

  constructor(private readonly python: string) {}

  private get(): Promise<PythonNormaliser> {
    this.worker ??= PythonNormaliser.start(this.python);
    return this.worker;
  }

  async version(): Promise<string> {
    return (await this.get()).version;
  }

  async normalise(batch: readonly string[]): Promise<string[]> {
    const w = await this.get();
    try {
      return await w.normalise(batch);
    } catch (err) {
      if (!(err instanceof NormaliserDied)) throw err;
      if (!w.alive) this.worker = undefined;
      if (batch.length === 1) return [batch[0]!];
      const half = Math.ceil(batch.length / 2);
      return [...(await this.normalise(batch.slice(0, half))), ...(await this.normalise(batch.slice(half)))];
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await (await w).close();
  }
}

function cacheKey(version: string, code: string): string {
  return hash("sha256", `${version}\0${code}`, "hex");
}

function readCache(file: string): Map<string, string> {
  const map = new Map<string, string>();
  if (!existsSync(file)) return map;
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
  try {
    // One parse for the whole file: far cheaper than one per line; a torn line sends us below.
    for (const e of JSON.parse(`[${lines.join(",")}]`) as { k?: unknown; v?: unknown }[]) {
      if (typeof e.k === "string" && typeof e.v === "string") map.set(e.k, e.v);
    }
    return map;
  } catch {
    map.clear();
  }
  for (const line of lines) {
    try {
      const e = JSON.parse(line) as { k?: unknown; v?: unknown };
      if (typeof e.k === "string" && typeof e.v === "string") map.set(e.k, e.v);
    } catch {
      // A torn last line from an interrupted append: skip it, the entry is recomputed.
    }
  }
  return map;
}

function cacheLine(version: string, code: string, normalised: string): string {
  return `${JSON.stringify({ k: cacheKey(version, code), v: normalised })}\n`;
}

export interface NormaliseOptions {
  python?: string;
  /** Interpreters run at once (default: available cores); identical codes are parsed once. */
  processes?: number;
  /**
   * A JSON-lines file of earlier normalisations, read first and appended to (a run's is
   * `normalisedCacheFile(folder)`). Entries are keyed by the interpreter's version and the
   * code's sha256, so a different Python never reuses another's output.
   */
  cacheFile?: string;
  /** Called as batches finish: programs normalised so far, and how many needed it. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Called when the cache file cannot be written because the folder is read-only (EACCES, EROFS,
   * EPERM): the normalisations are returned all the same, only not kept. Other errors throw.
   */
  onCacheNotWritten?: (err: Error) => void;
}

const READ_ONLY = new Set(["EACCES", "EROFS", "EPERM"]);

/** Programs per request to an interpreter: large enough to amortise the pipe, small enough to share. */
const BATCH = 256;

/** Normalised text of each code, in input order. */
export async function normalizePythonCodes(
  codes: readonly string[],
  opts: NormaliseOptions = {},
): Promise<string[]> {
  const python = opts.python ?? "python3";
  const distinct = [...new Set(codes)];
  const map = new Map<string, string>();
  if (distinct.length === 0) return [];
  const procs = Math.max(
    1,
    Math.min(opts.processes ?? availableParallelism(), Math.ceil(distinct.length / BATCH)),
  );
  const slots = Array.from({ length: procs }, () => new NormaliserSlot(python));
  try {
    let todo = distinct;
    let version = "";
    if (opts.cacheFile !== undefined) {
      // The interpreter starts while the cache file is read.
      const started = slots[0]!.version();
      started.catch(() => {});
      const cache = readCache(opts.cacheFile);
      version = await started;
      todo = [];
      for (const c of distinct) {
        const hit = cache.get(cacheKey(version, c));
        if (hit !== undefined) map.set(c, hit);
        else todo.push(c);
      }
    }
    if (todo.length > 0) {
      let next = 0;
      let done = 0;
      const fresh: string[] = [];
      const work = async (slot: NormaliserSlot) => {
        while (next < todo.length) {
          const batch = todo.slice(next, next + BATCH);
          next += batch.length;
          const out = await slot.normalise(batch);
          batch.forEach((src, i) => {
            map.set(src, out[i]!);
            if (opts.cacheFile !== undefined) fresh.push(cacheLine(version, src, out[i]!));
          });
          done += batch.length;
          opts.onProgress?.(done, todo.length);
        }
      };
      await Promise.all(slots.map(work));
      if (opts.cacheFile !== undefined && fresh.length > 0) {
        try {
          // Leading newline: an interrupted earlier append may have left a torn line without one.
          appendFileSync(opts.cacheFile, `\n${fresh.join("")}`, { mode: 0o600 });
        } catch (err) {
          if (!READ_ONLY.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
          opts.onCacheNotWritten?.(err as Error);
        }
      }
    }
  } finally {
    await Promise.all(slots.map((s) => s.close()));
  }
  return codes.map((c) => map.get(c)!);
}

/**
 * Normalises a run's codes while it runs, in one interpreter beside it, into the run's cache
 * file: the run spends hours waiting on the model, and metrics afterwards only read the cache.
 * Nothing here can fail the run: a normaliser that cannot start or keeps failing is switched
 * off (reported through `log`), and whatever it missed is normalised when metrics need it.
 */
export class BackgroundNormaliser {
  private readonly seen = new Set<string>();
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private off = false;
  /** Programs written to the cache file by this normaliser. */
  written = 0;

  private constructor(
    private readonly slot: NormaliserSlot,
    private readonly version: string,
    private readonly file: string,
    private readonly log: (message: string) => void,
    private readonly batchSize: number,
    private readonly delayMs: number,
  ) {}

  static async open(
    cacheFile: string,
    opts: { python?: string; log?: (message: string) => void; batchSize?: number; delayMs?: number } = {},
  ): Promise<BackgroundNormaliser | undefined> {
    const log = opts.log ?? (() => {});
    const slot = new NormaliserSlot(opts.python ?? "python3");
    try {
      const version = await slot.version();
      const n = new BackgroundNormaliser(
        slot,
        version,
        cacheFile,
        log,
        opts.batchSize ?? 64,
        opts.delayMs ?? 500,
      );
      for (const k of readCache(cacheFile).keys()) n.seen.add(k);
      return n;
    } catch (err) {
      log(
        `similarity normalisation during the run is off (metrics will normalise later): ${(err as Error).message}`,
      );
      await slot.close().catch(() => {});
      return undefined;
    }
  }

  /** Queues a code (codes already cached or queued are skipped). */
  add(code: string): void {
    if (this.off) return;
    const key = cacheKey(this.version, code);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.pending.push(code);
    if (this.pending.length >= this.batchSize) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 || this.off) return;
    const batch = this.pending;
    this.pending = [];
    const job = this.slot.normalise(batch).then(
      (out) => {
        appendFileSync(this.file, `\n${batch.map((c, i) => cacheLine(this.version, c, out[i]!)).join("")}`, {
          mode: 0o600,
        });
        this.written += batch.length;
      },
      (err: Error) => {
        this.off = true;
        this.log(
          `similarity normalisation during the run stopped (metrics will normalise later): ${err.message}`,
        );
      },
    );
    this.inFlight = this.inFlight.then(() => job);
  }

  /** Normalises what is queued, then stops the interpreter. */
  async close(): Promise<void> {
    this.flush();
    await this.inFlight;
    this.off = true;
    await this.slot.close().catch(() => {});
  }
}
