import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ManagedModel } from "../models/index.js";
import {
  type RunConfig,
  type RunProgress,
  type RunResult,
  RunStore,
  modelFor,
  openRunFolder,
  runRun,
} from "../runs/index.js";
import { Sandbox } from "../sandbox/index.js";
import type { ApplyPrompts, Axis, CellAxes, SweepCell, SweepPlan } from "./config.js";

/** The manifest in a sweep folder. */
export const SWEEP_MANIFEST = "sweep.json";
export const CELLS_DIR = "cells";

export type CellState = "new" | "partial" | "finished";

export interface ManifestCell {
  name: string;
  /** Relative to the sweep folder. */
  folder: string;
  axes: CellAxes;
  state: CellState;
  /** When this process last saw the cell finish. */
  finishedAt?: string;
}

export interface SweepManifest {
  format: 1;
  name: string;
  description?: string;
  /** The sweep config file the sweep was (last) run from. */
  sweepFile: string;
  /** The base run config's file, or "inline". */
  base: string;
  applyPrompts: ApplyPrompts;
  grid: Partial<Record<Axis, unknown[]>>;
  createdAt: string;
  updatedAt: string;
  cells: ManifestCell[];
}

export class SweepStateError extends Error {
  override name = "SweepStateError";
}

export interface CellStatus {
  cell: SweepCell;
  /** The cell's run folder. */
  folder: string;
  state: CellState;
  /** Trajectory counts when the folder holds a run. */
  total?: number;
  done?: number;
  failed?: number;
}

export interface SweepState {
  folder: string;
  manifest?: SweepManifest;
  cells: CellStatus[];
  /** Cells of an earlier manifest that the sweep config no longer has (left on disk). */
  removed: string[];
}

/** Config fields that may change between a sweep's invocations: they do not change results. */
const IGNORED = [["name"], ["concurrency"], ["sandbox", "workers"]];

function strip(config: RunConfig): Record<string, unknown> {
  const c = structuredClone(config) as Record<string, unknown>;
  for (const path of IGNORED) {
    let cur = c;
    for (const k of path.slice(0, -1)) cur = (cur[k] as Record<string, unknown>) ?? {};
    delete cur[path[path.length - 1]!];
  }
  return c;
}

/** Field paths where two JSON values differ, with both values. */
export function configDiff(before: unknown, after: unknown, path = ""): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObj = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
    return keys.flatMap((k) => configDiff(b[k], a[k], path ? `${path}.${k}` : k));
  }
  const show = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));
  return [`${path || "(config)"}: ${show(before)} -> ${show(after)}`];
}

function readManifest(folder: string): SweepManifest | undefined {
  const path = join(folder, SWEEP_MANIFEST);
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, "utf8")) as SweepManifest;
    if (m.format !== 1 || !Array.isArray(m.cells)) throw new Error("not a codeloop sweep manifest");
    return m;
  } catch (err) {
    throw new SweepStateError(`${path}: ${(err as Error).message}`);
  }
}

function writeManifest(folder: string, m: SweepManifest): void {
  const path = join(folder, SWEEP_MANIFEST);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`);
  renameSync(tmp, path);
}

/**
 * What is already on disk for a planned sweep: each cell new, partly done or finished.
 * Refuses a folder that holds a plain run or another sweep, and cells whose stored config
 * differs from what the sweep config now makes of them (naming every changed field).
 */
export function inspectSweep(plan: SweepPlan, folder: string): SweepState {
  if (RunStore.isRunFolder(folder)) {
    throw new SweepStateError(`${folder} holds a run, not a sweep; pick another --out`);
  }
  const manifest = readManifest(folder);
  if (manifest && manifest.name !== plan.name) {
    throw new SweepStateError(
      `${folder} holds the sweep "${manifest.name}" (from ${manifest.sweepFile}), not "${plan.name}"; pick another --out`,
    );
  }
  const changed: string[] = [];
  const cells: CellStatus[] = plan.cells.map((cell) => {
    const cellFolder = join(folder, CELLS_DIR, cell.name);
    if (!RunStore.isRunFolder(cellFolder)) return { cell, folder: cellFolder, state: "new" };
    // The stored config as the run itself reads it (legacy defaults filled in), via the one
    // opener every reader uses.
    const { store, config } = openRunFolder(cellFolder, { error: (m) => new SweepStateError(m) });
    const diff = configDiff(strip(config), strip(cell.config));
    if (diff.length > 0) changed.push(`cell ${cell.name}: ${diff.join("; ")}`);
    try {
      const c = store.counts();
      const finished = c.total > 0 && c.pending + c.running === 0;
      return {
        cell,
        folder: cellFolder,
        state: finished ? "finished" : "partial",
        total: c.total,
        done: c.done,
        failed: c.failed,
      };
    } finally {
      store.close();
    }
  });
  if (changed.length > 0) {
    throw new SweepStateError(
      `the sweep config changed cells that already ran in ${folder}; undo the change or pick another --out:\n  ${changed.join("\n  ")}`,
    );
  }
  const names = new Set(plan.cells.map((c) => c.name));
  const removed = (manifest?.cells ?? []).map((c) => c.name).filter((n) => !names.has(n));
  return { folder, ...(manifest ? { manifest } : {}), cells, removed };
}

export interface CellEvent {
  /** 1-based position and the number of cells. */
  position: number;
  count: number;
  status: CellStatus;
  /** What happens to the cell: created, resumed (partly done, or failed trajectories retried), or skipped (finished). */
  action: "start" | "resume" | "skip";
}

export interface CellEndEvent extends CellEvent {
  result?: RunResult;
  /** Response cache counts during this cell (undefined without a cache). */
  cache?: { hits: number; misses: number };
}

export interface RunSweepOptions {
  /** Default: one started from the base config's sandbox settings (closed at the end). */
  sandbox?: Sandbox;
  signal?: AbortSignal;
  /** Also retry failed trajectories of finished cells. */
  retryFailed?: boolean;
  onCellStart?: (e: CellEvent) => void;
  onProgress?: (p: RunProgress) => void;
  onCellEnd?: (e: CellEndEvent) => void;
  log?: (line: string) => void;
}

export interface SweepRunResult {
  folder: string;
  cells: CellStatus[];
  /** The signal stopped the sweep before every cell finished. */
  stopped: boolean;
}

const modelKey = (c: RunConfig) => JSON.stringify({ model: c.model, cache: c.cache });

/**
 * Runs a planned sweep in `state.folder`: writes the manifest, then plays the cells one after
 * another with `runRun` (a new cell is created, a partly done one resumed, a finished one
 * skipped). Cells with the same model share one client and so one response cache.
 */
export async function runSweep(
  plan: SweepPlan,
  state: SweepState,
  opts: RunSweepOptions = {},
): Promise<SweepRunResult> {
  const folder = state.folder;
  const now = () => new Date().toISOString();
  const manifest: SweepManifest = {
    format: 1,
    name: plan.name,
    ...(plan.description !== undefined ? { description: plan.description } : {}),
    sweepFile: resolve(plan.file),
    base: plan.base,
    applyPrompts: plan.applyPrompts,
    grid: plan.grid,
    createdAt: state.manifest?.createdAt ?? now(),
    updatedAt: now(),
    cells: state.cells.map((s) => ({
      name: s.cell.name,
      folder: join(CELLS_DIR, s.cell.name),
      axes: s.cell.axes,
      state: s.state,
    })),
  };
  // Cells dropped from the grid stay listed (their folders are still there) until removed by hand.
  for (const old of state.manifest?.cells ?? []) {
    if (state.removed.includes(old.name)) manifest.cells.push({ ...old });
  }
  mkdirSync(join(folder, CELLS_DIR), { recursive: true });
  writeManifest(folder, manifest);

  const todo = state.cells.filter((s) => s.state !== "finished" || (opts.retryFailed && (s.failed ?? 0) > 0));
  const models = new Map<string, ManagedModel>();
  let sandbox = opts.sandbox;
  const ownSandbox = !sandbox && todo.length > 0;
  const cfg = plan.baseConfig;
  if (ownSandbox) {
    sandbox = await Sandbox.create({
      ...(cfg.sandbox.workers !== undefined ? { workers: cfg.sandbox.workers } : {}),
      mode: cfg.sandbox.mode,
      ...(cfg.sandbox.isolation !== undefined ? { isolation: cfg.sandbox.isolation } : {}),
      subprocesses: cfg.sandbox.subprocesses,
    });
  }
  let stopped = false;
  try {
    for (const [i, status] of state.cells.entries()) {
      const action = !todo.includes(status) ? "skip" : status.state === "new" ? "start" : "resume";
      const ev: CellEvent = { position: i + 1, count: state.cells.length, status, action };
      if (action === "skip") {
        opts.onCellStart?.(ev);
        continue;
      }
      if (opts.signal?.aborted) {
        stopped = true;
        break;
      }
      opts.onCellStart?.(ev);
      const key = modelKey(status.cell.config);
      let model = models.get(key);
      if (!model) {
        model = modelFor(status.cell.config);
        models.set(key, model);
      }
      const before = model.cacheStats();
      const result = await runRun(
        status.state === "new"
          ? { folder: status.folder, config: status.cell.config }
          : { folder: status.folder },
        {
          sandbox: sandbox!,
          model,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          ...(opts.log ? { log: opts.log } : {}),
          ...(opts.retryFailed ? { retryFailed: true } : {}),
        },
      );
      const after = model.cacheStats();
      const p = result.progress;
      const finished = p.finished === p.total;
      Object.assign(status, {
        state: finished ? "finished" : "partial",
        total: p.total,
        done: p.finished - p.failed,
        failed: p.failed,
      });
      const entry = manifest.cells.find((c) => c.name === status.cell.name)!;
      entry.state = status.state;
      if (finished) entry.finishedAt = now();
      manifest.updatedAt = now();
      writeManifest(folder, manifest);
      opts.onCellEnd?.({
        ...ev,
        result,
        ...(before && after
          ? { cache: { hits: after.hits - before.hits, misses: after.misses - before.misses } }
          : {}),
      });
      if (!finished) {
        stopped = true;
        break;
      }
    }
  } finally {
    for (const m of models.values()) await m.close();
    if (ownSandbox) await sandbox!.close();
  }
  return { folder, cells: state.cells, stopped };
}
