import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore } from "../../src/runs/store.js";
import { seedFor } from "../../src/runs/trajectory.js";
import { bundleForNode, childEnv } from "./bundle.js";

const P = 40;
const N = 5;
const tmp = mkdtempSync(join(tmpdir(), "codeloop-runs-resume-"));
let writer: string;

beforeAll(async () => {
  writer = await bundleForNode(resolve("tests/runs/fixtures/writer.ts"), tmp, "writer");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Everything a run stores except its random id and creation time. */
function dump(dir: string): unknown {
  const store = RunStore.open(dir);
  try {
    const trajectories = [...store.trajectories({ pageSize: 13 })].map((t) => store.trajectoryDetail(t));
    return {
      counts: store.counts(),
      summaries: [...store.iterateProblemSummaries({ pageSize: 9 })],
      trajectories,
      codes: [...store.storedCodes({ all: true, pageSize: 17 })],
    };
  } finally {
    store.close();
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));
}

// A small fixed-seed generator for the kill moments: random, yet the same in every test run.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("store resume after SIGKILL", () => {
  it("ends with every trajectory exactly once, identical to an uninterrupted writer", async () => {
    const clean = join(tmp, "clean");
    const r = spawnSync(process.execPath, [writer, clean, String(P), String(N), "0"], {
      env: childEnv(),
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);

    const killed = join(tmp, "killed");
    const rand = lcg(20250101);
    let kills = 0;
    let midRunKills = 0;
    let progressed = 0;
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, [writer, killed, String(P), String(N), "2"], {
        env: childEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let err = "";
      let out = "";
      let timer: NodeJS.Timeout | undefined;
      const kill = () => child.kill("SIGKILL");
      // Even rounds: a moment counted from spawn (may hit start-up, planning or writing).
      // Odd rounds: a moment after the first finished trajectory, so the kill is surely mid-run.
      if (round % 2 === 0) timer = setTimeout(kill, 20 + Math.floor(rand() * 200));
      child.stdout!.on("data", (d) => {
        if (out === "" && round % 2 === 1) timer = setTimeout(kill, Math.floor(rand() * 120));
        out += String(d);
      });
      child.stderr!.on("data", (d) => {
        err += String(d);
      });
      const done = exited(child);
      const { code, signal } = await done;
      if (timer) clearTimeout(timer);
      const finished = out.split("\n").filter((l) => l !== "").length;
      progressed += finished;
      if (signal === "SIGKILL") {
        kills++;
        if (finished > 0) midRunKills++;
      } else {
        expect(code, err).toBe(0);
        break;
      }
    }
    // The kills must have landed while there was still work to do, or the test proves nothing.
    expect(midRunKills).toBeGreaterThanOrEqual(3);
    expect(progressed).toBeLessThan(P * N + kills);

    const last = spawnSync(process.execPath, [writer, killed, String(P), String(N), "0"], {
      env: childEnv(),
      encoding: "utf8",
    });
    expect(last.status, last.stderr).toBe(0);

    const a = dump(clean) as { counts: unknown; trajectories: { turns: unknown[] }[] };
    const b = dump(killed);
    expect(b).toEqual(a);

    // Completeness, computed independently of the store: the number of turns each trajectory takes.
    let turns = 0;
    for (let p = 0; p < P; p++)
      for (let t = 0; t < N; t++) turns += 1 + (seedFor(11, `prob-${p}`, t, 0, 99) % 3);
    expect(a.trajectories).toHaveLength(P * N);
    expect(a.trajectories.reduce((s, t) => s + t.turns.length, 0)).toBe(turns);
    const counts = a.counts as { total: number; done: number; failed: number };
    expect(counts.total).toBe(P * N);
    expect(counts.done + counts.failed).toBe(P * N);

    const log = readFileSync(join(killed, "run.log"), "utf8");
    expect(log.match(/finished after/g)?.length).toBeGreaterThanOrEqual(1);
    expect(log).toMatch(/^\S+ created run /);
  });
});
