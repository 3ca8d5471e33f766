/**
 * The one SQLite connection of a run store, with its statement cache and transaction helper.
 * The writer and the reader each hold this object, so both share one cache and one connection.
 */
import { createRequire } from "node:module";
import type LibsqlDatabase from "libsql";

// libsql is CommonJS with a better-sqlite3-compatible API; its native binary ships in an npm
// package (@libsql/<platform>), so installing it downloads nothing else and compiles nothing.
export const Database = createRequire(import.meta.url)("libsql") as typeof LibsqlDatabase;
export type Db = InstanceType<typeof LibsqlDatabase>;
export type Statement = LibsqlDatabase.Statement<unknown[]>;

export class StoreSql {
  constructor(readonly db: Db) {}

  private readonly stmts = new Map<string, Statement>();

  /** Statements are compiled once per store and reused: compiling them dominated a turn's write. */
  prep(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Runs `fn` in one immediate transaction. BEGIN, COMMIT and ROLLBACK are prepared once: the
   * library's `transaction()` compiles both statements again on every call, which cost more than
   * the writes themselves in a run's per-turn transactions.
   */
  private depth = 0;

  /** Runs fn in one transaction; a tx inside a tx joins the outer one (writeTurns). */
  tx<T>(fn: () => T): T {
    if (this.depth > 0) {
      this.depth++;
      try {
        return fn();
      } finally {
        this.depth--;
      }
    }
    this.depth = 1;
    try {
      return this.outerTx(fn);
    } finally {
      this.depth = 0;
    }
  }

  private outerTx<T>(fn: () => T): T {
    this.prep("BEGIN IMMEDIATE").run();
    try {
      const result = fn();
      this.prep("COMMIT").run();
      return result;
    } catch (err) {
      this.prep("ROLLBACK").run();
      throw err;
    }
  }

  close(): void {
    this.db.close();
  }
}
