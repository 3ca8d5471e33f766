/**
 * A side index for the viewer's text filter (text in code or answers). Without it the filter
 * is a LIKE scan of every candidate's code and answer: 1-3 s on a 165 x 200 x 3 run. With it, an
 * SQLite FTS5 trigram index narrows the search to the trajectories whose candidates contain
 * every trigram of the text, and the same escaped LIKE as the scan then checks those few, so
 * the answer is exactly the scan's, only sooner.
 *
 * The index never touches the run folder: it lives under `<cache root>/view/`, one file per
 * run database path, contentless (it keeps trigram postings, not a copy of the text), and is
 * stamped with the size and mtime of run.db and its WAL when its build began. It is used only
 * while both still match, so a run that goes on writing gets the scan until a rebuild (at
 * most one a minute) catches up. Builds run in the viewer's process in small chunks between
 * requests (setImmediate), into a `.part` file renamed when complete, so a killed viewer leaves
 * no half index that a later one would trust.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { pidAlive } from "../core/process.js";
import { containsPattern } from "../runs/store-reader.js";
import { type Row, num } from "../runs/store-rows.js";
import { Database, type Db } from "../runs/store-sql.js";

/** Shorter texts have no trigram to look up: they are always scanned. */
export const MIN_INDEXED_TEXT = 3;
const INDEX_FORMAT = 2;
const CHUNK = 500;
const REBUILD_EVERY_MS = 60_000;
const HIT_TABLES = 16;
/** ASCII without NUL: where FTS5's case folding and LIKE's agree exactly. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the range starts after NUL on purpose
const PLAIN = /^[\x01-\x7f]*$/;

export interface TextIndexOptions {
  /** Folder for index files (default `<cache root>/view`). */
  dir: string;
  log?: (line: string) => void;
}

export type TextIndexState = "building" | "ready" | "stale" | "failed";

/** Size and mtime of run.db and of its WAL: what the index was built from. */
function fingerprint(dbPath: string): string {
  const part = (p: string) => {
    if (!existsSync(p)) return "-";
    const s = statSync(p);
    return `${s.size}:${Math.floor(s.mtimeMs)}`;
  };
  return `${part(dbPath)}|${part(`${dbPath}-wal`)}`;
}

/** FTS5 query text for a literal substring: one quoted string, quotes doubled. */
function ftsLiteral(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

export class TextIndex {
  readonly file: string;
  private stateNow: TextIndexState = "stale";
  private builtFrom: string | undefined;
  private lastBuildStart = 0;
  private attached = false;
  /** The build the attached file came from: a later build must be attached afresh. */
  private attachedFrom: string | undefined;
  private hits = new Map<string, { table: string; version: number }>();
  private tableNo = 0;
  private cancelled = false;
  private building: Promise<void> | undefined;

  /**
   * @param db the viewer's read-only connection to run.db, which attaches the index and keeps
   *           match tables in its TEMP schema
   * @param dbPath run.db's path
   * @param dataVersion the connection's PRAGMA data_version (changes when another commits)
   */
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly dataVersion: () => number,
    private readonly options: TextIndexOptions,
  ) {
    const id = createHash("sha256").update(dbPath).digest("hex").slice(0, 24);
    this.file = join(options.dir, `${id}.trigram.db`);
    this.adoptExisting();
  }

  get state(): TextIndexState {
    return this.stateNow;
  }

  /** Resolves when the build started now (if any) has finished. */
  whenBuilt(): Promise<void> {
    return this.building ?? Promise.resolve();
  }

  /** Starts a build in the background if the index is missing or stale (at most once a minute). */
  refresh(now = Date.now()): void {
    if (this.building || this.cancelled) return;
    if (this.stateNow === "ready" && this.builtFrom === fingerprint(this.dbPath)) return;
    if (this.lastBuildStart && now - this.lastBuildStart < REBUILD_EVERY_MS) return;
    this.lastBuildStart = now;
    this.building = this.build().finally(() => {
      this.building = undefined;
    });
  }

  /**
   * The name of a TEMP table of (problem_id, trajectory) keys whose candidates' code or answer
   * contains `text` as the scan's LIKE would find it, or undefined when the scan must answer
   * (index not ready or stale, or a text too short to index).
   */
  matchTable(text: string): string | undefined {
    // Characters, not UTF-16 units: the trigram tokenizer matches nothing for fewer than 3.
    if ([...text].length < MIN_INDEXED_TEXT) return undefined;
    if (this.stateNow !== "ready" || this.builtFrom !== fingerprint(this.dbPath)) {
      if (this.stateNow === "ready") this.stateNow = "stale";
      this.refresh();
      return undefined;
    }
    const version = this.dataVersion();
    const cached = this.hits.get(text);
    if (cached && cached.version === version) {
      this.hits.delete(text);
      this.hits.set(text, cached);
      return cached.table;
    }
    if (this.attached && this.attachedFrom !== this.builtFrom) this.detach();
    // Still attached to an older build (DETACH refused while a statement ran): scan this time.
    if (this.attached && this.attachedFrom !== this.builtFrom) return undefined;
    if (!this.attached && !this.attach()) return undefined;
    const table = `text_hits_${++this.tableNo}`;
    this.db.exec(
      `CREATE TEMP TABLE ${table} (problem_id TEXT NOT NULL, trajectory INTEGER NOT NULL, PRIMARY KEY (problem_id, trajectory)) WITHOUT ROWID`,
    );
    const like = containsPattern(text);
    // Postings narrow it down to candidates holding the text up to case. Where text and
    // candidate are both plain ASCII, that is exactly LIKE's match (ASCII case folded on both
    // sides); elsewhere Unicode case folding could match more than LIKE (Σ and σ, the Kelvin
    // sign and k), so the scan's own LIKE decides, on those candidates only.
    const plainText = PLAIN.test(text) ? 1 : 0;
    try {
      this.db
        .prepare(
          `INSERT OR IGNORE INTO temp.${table}
         SELECT m.problem_id, m.trajectory FROM textidx.docs d JOIN textidx.docmap m ON m.rowid = d.rowid
         WHERE d.docs MATCH ? AND ((? AND m.plain) OR EXISTS (SELECT 1 FROM main.candidates c
           WHERE c.problem_id = m.problem_id AND c.trajectory = m.trajectory AND c.turn = m.turn AND c.candidate = m.candidate
           AND (c.code LIKE ? ESCAPE '\\' OR c.raw_answer LIKE ? ESCAPE '\\')))`,
        )
        .run(ftsLiteral(text), plainText, like, like);
    } catch (err) {
      // Whatever the index cannot answer, the scan does.
      this.db.exec(`DROP TABLE IF EXISTS temp.${table}`);
      this.options.log?.(`codeloop view: text index could not answer (${(err as Error).message}); scanning`);
      return undefined;
    }
    this.hits.set(text, { table, version });
    while (this.hits.size > HIT_TABLES) {
      const [oldText, old] = this.hits.entries().next().value!;
      this.hits.delete(oldText);
      this.db.exec(`DROP TABLE IF EXISTS temp.${old.table}`);
    }
    return table;
  }

  close(): void {
    this.cancelled = true;
    this.detach();
  }

  /** An index a previous viewer built is used if it was built from this very run.db state. */
  private adoptExisting(): void {
    this.removeDeadParts();
    if (!existsSync(this.file)) return;
    try {
      const idx = new Database(`${pathToFileURL(this.file).href}?mode=ro`);
      try {
        const meta = idx.prepare("SELECT format, fingerprint FROM meta").get() as Row | undefined;
        if (meta && num(meta.format) === INDEX_FORMAT && meta.fingerprint === fingerprint(this.dbPath)) {
          this.builtFrom = meta.fingerprint as string;
          this.stateNow = "ready";
        }
      } finally {
        idx.close();
      }
    } catch {
      // Unreadable (another format, a torn file): rebuilt on first use.
    }
  }

  /** Part files of builds whose viewer no longer runs (killed mid-build). */
  private removeDeadParts(): void {
    const prefix = `${basename(this.file)}.`;
    let names: string[] = [];
    try {
      names = readdirSync(this.options.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith(".part")) continue;
      const pid = Number(name.slice(prefix.length, -".part".length));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) continue;
      rmSync(join(this.options.dir, name), { force: true });
    }
  }

  private attach(): boolean {
    if (this.attached) return true;
    try {
      this.db.prepare("ATTACH DATABASE ? AS textidx").run(`${pathToFileURL(this.file).href}?mode=ro`);
      this.attached = true;
      this.attachedFrom = this.builtFrom;
      return true;
    } catch (err) {
      this.options.log?.(
        `codeloop view: text index ${this.file} unusable (${(err as Error).message}); scanning`,
      );
      this.stateNow = "failed";
      return false;
    }
  }

  private detach(): void {
    for (const { table } of this.hits.values()) {
      try {
        this.db.exec(`DROP TABLE IF EXISTS temp.${table}`);
      } catch {}
    }
    this.hits.clear();
    if (!this.attached) return;
    try {
      this.db.exec("DETACH DATABASE textidx");
      this.attached = false;
    } catch {
      // A statement is running on the connection: tried again on the next match.
    }
  }

  private async build(): Promise<void> {
    const from = fingerprint(this.dbPath);
    this.stateNow = this.stateNow === "ready" ? "stale" : "building";
    // One part file per viewer process: two viewers of one run may build at the same time.
    const part = `${this.file}.${process.pid}.part`;
    const t0 = Date.now();
    let docs = 0;
    let src: Db | undefined;
    let out: Db | undefined;
    try {
      mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
      rmSync(part, { force: true });
      src = new Database(`${pathToFileURL(this.dbPath).href}?mode=ro`);
      src.exec("PRAGMA busy_timeout = 10000");
      out = new Database(part);
      out.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF");
      out.exec(`CREATE TABLE meta (format INTEGER NOT NULL, fingerprint TEXT NOT NULL);
        CREATE TABLE docmap (rowid INTEGER PRIMARY KEY, problem_id TEXT NOT NULL, trajectory INTEGER NOT NULL,
          turn INTEGER NOT NULL, candidate INTEGER NOT NULL, plain INTEGER NOT NULL);
        CREATE VIRTUAL TABLE docs USING fts5(code, answer, content='', tokenize="trigram case_sensitive 0");`);
      const read = src.prepare(
        `SELECT problem_id, trajectory, turn, candidate, COALESCE(code, '') AS code, raw_answer FROM candidates
         WHERE (problem_id, trajectory, turn, candidate) > (?, ?, ?, ?)
         ORDER BY problem_id, trajectory, turn, candidate LIMIT ${CHUNK}`,
      );
      const addKey = out.prepare(
        "INSERT INTO docmap (rowid, problem_id, trajectory, turn, candidate, plain) VALUES (?, ?, ?, ?, ?, ?)",
      );
      const addDoc = out.prepare("INSERT INTO docs (rowid, code, answer) VALUES (?, ?, ?)");
      // One read transaction: every chunk sees the same snapshot of run.db.
      src.exec("BEGIN");
      let after: [string, number, number, number] = ["", -1, -1, -1];
      for (;;) {
        if (this.cancelled) return;
        const rows = read.all(...after) as Row[];
        if (rows.length === 0) break;
        out.exec("BEGIN");
        for (const r of rows) {
          docs++;
          const plain = PLAIN.test(r.code as string) && PLAIN.test(r.raw_answer as string) ? 1 : 0;
          addKey.run(docs, r.problem_id, num(r.trajectory), num(r.turn), num(r.candidate), plain);
          addDoc.run(docs, r.code as string, r.raw_answer as string);
        }
        out.exec("COMMIT");
        const last = rows[rows.length - 1]!;
        after = [last.problem_id as string, num(last.trajectory), num(last.turn), num(last.candidate)];
        // Let requests in between chunks.
        await new Promise((r) => setImmediate(r));
      }
      src.exec("COMMIT");
      out.prepare("INSERT INTO meta (format, fingerprint) VALUES (?, ?)").run(INDEX_FORMAT, from);
      out.exec("INSERT INTO docs(docs) VALUES ('optimize')");
      out.close();
      out = undefined;
      this.detach();
      renameSync(part, this.file);
      this.builtFrom = from;
      this.stateNow = from === fingerprint(this.dbPath) ? "ready" : "stale";
      const mb = (statSync(this.file).size / 1e6).toFixed(1);
      this.options.log?.(
        `codeloop view: text index of ${docs} candidates built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${mb} MB)`,
      );
    } catch (err) {
      this.stateNow = "failed";
      this.options.log?.(
        `codeloop view: text index not built (${(err as Error).message}); text filters scan`,
      );
    } finally {
      try {
        src?.close();
      } catch {}
      try {
        out?.close();
      } catch {}
      if (existsSync(part)) rmSync(part, { force: true });
    }
  }
}
