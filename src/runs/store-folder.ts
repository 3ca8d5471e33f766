/**
 * The run folder: creating it (private permissions, config.json linked into place so only one
 * creator wins), reading its config back (with the defaults of runs made before a field
 * existed), the config hash that ties run.db to config.json, opening run.db (WAL, schema,
 * layout version) and appending to run.log.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { JUDGE_VERSION } from "../judge/version.js";
import { type RunConfig, parseRunConfig } from "./config.js";
import { type Row, nowIso, num } from "./store-rows.js";
import { RUN_FILES, SCHEMA, STORE_SCHEMA_VERSION } from "./store-schema.js";
import { Database, type Db } from "./store-sql.js";
import { type CreateRunOptions, RunStoreError } from "./store-types.js";
import type { Run } from "./trajectory.js";

/** JSON with object keys sorted, so a config read back from config.json hashes the same. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function configHash(cfg: RunConfig): string {
  return createHash("sha256").update(canonicalJson(cfg)).digest("hex");
}

function rawHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/**
 * A stored config lacks the fields added after its run was created; their defaults for new
 * runs differ from what those runs did, so the old behaviour is filled in: grading on the
 * hidden tests only, no problems excluded, CPython.
 */
function withLegacyDefaults(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const cfg = { ...(value as Record<string, unknown>) };
  const obj = (k: string): Record<string, unknown> | undefined => {
    const v = cfg[k];
    if (v === undefined) return {};
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? { ...(v as Record<string, unknown>) }
      : undefined;
  };
  const grading = obj("grading");
  if (grading && grading.tests === undefined) cfg.grading = { ...grading, tests: "hidden" };
  const benchmark = obj("benchmark");
  if (benchmark && cfg.benchmark !== undefined && benchmark.exclude === undefined)
    cfg.benchmark = { ...benchmark, exclude: [] };
  const sandbox = obj("sandbox");
  if (sandbox && sandbox.python === undefined) cfg.sandbox = { ...sandbox, python: "cpython" };
  return cfg;
}

/** Whether a folder holds a run. */
export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, RUN_FILES.config));
}

/** Makes a run folder (which must not hold a run yet) and writes its config.json. */
export function createRunFolder(dir: string, config: RunConfig): void {
  // Private: hidden tests, grades and model answers must not be readable by other users,
  // nor by sandboxed programs running under their own uid without namespaces.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const target = join(dir, RUN_FILES.config);
  if (existsSync(target)) throw new RunStoreError(`${dir} already holds a run (resume it instead)`);
  // Written to a temporary name and linked into place: the config is complete or absent,
  // and of two processes creating the same run only one succeeds.
  const tmp = join(dir, `.${RUN_FILES.config}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, target);
  } catch (err) {
    throw new RunStoreError(`${dir} already holds a run: ${(err as Error).message}`);
  } finally {
    unlinkSync(tmp);
  }
}

/** A run folder's config as stored, and the hash of config.json as written. */
export function readRunFolderConfig(dir: string): { config: RunConfig; writtenHash: string } {
  const path = join(dir, RUN_FILES.config);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new RunStoreError(`${dir} is not a run folder (no ${RUN_FILES.config})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RunStoreError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
  return { config: parseRunConfig(withLegacyDefaults(value), { file: path }), writtenHash: rawHash(value) };
}

/**
 * Opens (creating if new) a folder's run.db for `config`: the tables, the run row, grade
 * version 1. Refuses a newer layout and a config.json that no longer matches the run.
 */
export function openRunDb(dir: string, config: RunConfig, opts: CreateRunOptions): { db: Db; run: Run } {
  const db = new Database(join(dir, RUN_FILES.db));
  try {
    // WAL: readers (runs show) never block the writer; NORMAL sync is durable against a
    // killed process (only an OS crash can lose the last commits, which a resume redoes).
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA busy_timeout = 10000");
    const version = num((db.prepare("PRAGMA user_version").get() as Row).user_version);
    if (version > STORE_SCHEMA_VERSION) {
      throw new RunStoreError(`${dir}: run database layout ${version} is newer than this codeloop's`);
    }
    db.transaction(() => {
      db.exec(SCHEMA);
      // Stores created before problem tags existed lack the column: add it (NULL = no tags).
      const cols = db.prepare("PRAGMA table_info(problems)").all() as Row[];
      if (!cols.some((c) => c.name === "tags")) db.exec("ALTER TABLE problems ADD COLUMN tags TEXT");
      // Stores created before turns recorded their selection rule: NULL = not recorded.
      const tc = db.prepare("PRAGMA table_info(turns)").all() as Row[];
      if (!tc.some((c) => c.name === "selection")) db.exec("ALTER TABLE turns ADD COLUMN selection TEXT");
      // Stores created before grade versions named their judge: NULL = an unknown, older judge.
      const gv = db.prepare("PRAGMA table_info(grade_versions)").all() as Row[];
      if (!gv.some((c) => c.name === "judge_version")) {
        db.exec("ALTER TABLE grade_versions ADD COLUMN judge_version TEXT");
      }
      db.exec(`PRAGMA user_version = ${STORE_SCHEMA_VERSION}`);
      db.prepare(
        "INSERT OR IGNORE INTO run (id, name, created_at, config_hash, seed, codeloop_version) SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM run)",
      ).run(
        randomUUID(),
        opts.name ?? config.name ?? basename(dir),
        nowIso(),
        configHash(config),
        config.seed,
        opts.codeloopVersion ?? "0.1.0",
      );
      // Version 1 is the run's own grading, by this codeloop's judge. (A run resumed by a later
      // codeloop keeps the label of the judge that started it: its readers then see the grades as
      // stale and offer a rejudge, which is the safe side.)
      db.prepare(
        "INSERT OR IGNORE INTO grade_versions (version, created_at, note, judge_version) VALUES (1, ?, 'run', ?)",
      ).run(nowIso(), JUDGE_VERSION);
    }).immediate();
  } catch (err) {
    db.close();
    throw err;
  }
  const r = db.prepare("SELECT * FROM run").get() as Row;
  const run: Run = {
    id: r.id as string,
    name: r.name as string,
    createdAt: r.created_at as string,
    configHash: r.config_hash as string,
    seed: num(r.seed),
    codeloopVersion: r.codeloop_version as string,
  };
  // A config written before a field existed hashes as written: the field's legacy value (see
  // withLegacyDefaults) is what that run did.
  if (run.configHash !== configHash(config) && run.configHash !== opts.writtenHash) {
    db.close();
    throw new RunStoreError(`${dir}: ${RUN_FILES.config} no longer matches the config the run started with`);
  }
  return { db, run };
}

/** Appends a timestamped line to run.log (synchronously, so it survives a kill right after). */
export function appendRunLog(dir: string, message: string): void {
  appendFileSync(join(dir, RUN_FILES.log), `${nowIso()} ${message}\n`, { mode: 0o600 });
}
