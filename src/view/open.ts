/**
 * Opening a run folder for the viewer, strictly read-only: run.db is opened through a
 * `file:` URI with `mode=ro` (SQLite refuses every write on that connection, and a read-only
 * connection never checkpoints the WAL into run.db when it closes), after config.json has been
 * read and checked like every other reader does. Nothing is created or migrated: a database of an
 * older layout is refused with the command that upgrades it.
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { cacheRoot } from "../models/index.js";
import type { RunConfig } from "../runs/config.js";
import { readRunFolderConfig } from "../runs/store-folder.js";
import { StoreReader } from "../runs/store-reader.js";
import { type Row, num } from "../runs/store-rows.js";
import { RUN_FILES, STORE_SCHEMA_VERSION } from "../runs/store-schema.js";
import { Database, type Db, StoreSql } from "../runs/store-sql.js";
import type { Run } from "../runs/trajectory.js";
import { TextIndex } from "./text-index.js";

export class ViewError extends Error {
  override name = "ViewError";
}

export interface ReadOnlyRun {
  folder: string;
  config: RunConfig;
  run: Run;
  reader: StoreReader;
  /** Changes whenever another connection (a running `codeloop run`) commits: cache keys use it. */
  dataVersion(): number;
  /** The trigram side index of the text filter, when one is kept. */
  textIndex: TextIndex | undefined;
  close(): void;
}

export interface OpenRunOptions {
  /** Folder of text-index files; false keeps none (the text filter scans). */
  textIndexDir?: string | false;
  /** Delay before the index build starts (ms), so the first page is served first. Default 1000. */
  textIndexDelayMs?: number;
  log?: (line: string) => void;
}

export function openRunReadOnly(folder: string, options: OpenRunOptions = {}): ReadOnlyRun {
  const dir = resolve(folder);
  if (!existsSync(dir)) throw new ViewError(`${folder}: no such folder (${folder} is not a run folder)`);
  if (!statSync(dir).isDirectory() || !existsSync(join(dir, RUN_FILES.config))) {
    throw new ViewError(`${folder} is not a run folder (no ${RUN_FILES.config})`);
  }
  let config: RunConfig;
  try {
    config = readRunFolderConfig(dir).config;
  } catch (err) {
    throw new ViewError((err as Error).message);
  }
  const dbPath = join(dir, RUN_FILES.db);
  // libsql would create a missing file: a folder without run.db is refused before opening.
  if (!existsSync(dbPath)) throw new ViewError(`${folder}: no ${RUN_FILES.db} (the run never started)`);
  const db: Db = new Database(`${pathToFileURL(dbPath).href}?mode=ro`);
  try {
    db.exec("PRAGMA busy_timeout = 10000");
    // Not query_only: the reader keeps a TEMP table of per-trajectory statistics (temp storage,
    // never run.db, which mode=ro keeps read-only).
    const version = num((db.prepare("PRAGMA user_version").get() as Row).user_version);
    if (version > STORE_SCHEMA_VERSION) {
      throw new ViewError(`${folder}: run database layout ${version} is newer than this codeloop's`);
    }
    if (version < STORE_SCHEMA_VERSION) {
      throw new ViewError(
        `${folder}: run database layout ${version} is older than this codeloop's (${STORE_SCHEMA_VERSION}); the viewer never writes, so upgrade it once with \`codeloop runs show ${folder}\``,
      );
    }
    const r = db.prepare("SELECT * FROM run").get() as Row | undefined;
    if (!r) throw new ViewError(`${folder}: ${RUN_FILES.db} holds no run`);
    const run: Run = {
      id: r.id as string,
      name: r.name as string,
      createdAt: r.created_at as string,
      configHash: r.config_hash as string,
      seed: num(r.seed),
      codeloopVersion: r.codeloop_version as string,
    };
    const sql = new StoreSql(db);
    const reader = new StoreReader(sql);
    const dataVersion = () => num((sql.prep("PRAGMA data_version").get() as Row).data_version);
    let textIndex: TextIndex | undefined;
    let timer: NodeJS.Timeout | undefined;
    if (options.textIndexDir !== false) {
      const index = new TextIndex(db, dbPath, dataVersion, {
        dir: options.textIndexDir ?? join(cacheRoot(), "view"),
        ...(options.log ? { log: options.log } : {}),
      });
      textIndex = index;
      reader.textMatches = (text) => index.matchTable(text);
      timer = setTimeout(() => index.refresh(), options.textIndexDelayMs ?? 1000);
      timer.unref();
    }
    // The turn and token filters' statistics (one scan of the candidates, ~0.4 s on a
    // 33,000-trajectory run), computed once the first page has been served rather than on the
    // first such filter; a run that changes gets them recomputed on use.
    const warm = setTimeout(() => {
      try {
        reader.prepareFilters();
      } catch {
        // Computed on first use instead.
      }
    }, 500);
    warm.unref();
    return {
      folder: dir,
      config,
      run,
      reader,
      dataVersion,
      textIndex,
      close: () => {
        clearTimeout(warm);
        if (timer) clearTimeout(timer);
        textIndex?.close();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
