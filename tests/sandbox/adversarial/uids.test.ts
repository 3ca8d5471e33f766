import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Sandbox } from "../../../src/sandbox/index.js";
import { UidLease } from "../../../src/sandbox/uids.js";
import { bwrapWorks, isRoot } from "./helpers.js";

/**
 * Hole 7: two codeloop processes on one machine shared sandbox uids (64000 + slot), so one's
 * programs counted against the other's process limit (and could signal them). Uids are now
 * leased exclusively (an abstract socket per uid, released by the kernel when the holder
 * exits, however it exits).
 */

const DIST_UIDS = fileURLToPath(new URL("../../../dist/sandbox/uids.js", import.meta.url));

/** A second Node process that leases `count` uids, prints them, and waits to be killed. */
function holder(count: number): Promise<{ uids: number[]; kill: () => Promise<void> }> {
  const code = `import(${JSON.stringify(DIST_UIDS)}).then(async ({ UidLease }) => { const l = await UidLease.acquire(${count}, 64000); console.log(JSON.stringify(l.uids)); setInterval(() => {}, 1000); });`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) =>
      resolve({
        uids: JSON.parse(d.toString()) as number[],
        kill: () =>
          new Promise((done) => {
            child.once("exit", () => done());
            child.kill("SIGKILL");
          }),
      }),
    );
    child.once("error", reject);
  });
}

describe("hole 7: sandbox uids are unique per process and released on exit", () => {
  it("two leases in one process never share a uid", async () => {
    const a = await UidLease.acquire(4, 64000);
    const b = await UidLease.acquire(4, 64000);
    try {
      expect(new Set([...a.uids, ...b.uids]).size).toBe(8);
    } finally {
      a.release();
      b.release();
    }
  });

  it("another process's lease is respected, and freed when that process is SIGKILLed", async () => {
    const other = await holder(3);
    const mine = await UidLease.acquire(3, 64000);
    try {
      for (const uid of mine.uids) expect(other.uids).not.toContain(uid);
    } finally {
      mine.release();
    }
    await other.kill();
    const after = await UidLease.acquire(3, 64000);
    try {
      // The killed holder's uids are free again (the kernel dropped its sockets).
      expect(after.uids.filter((u) => other.uids.includes(u)).length).toBeGreaterThan(0);
    } finally {
      after.release();
    }
  });

  it.skipIf(!bwrapWorks || !isRoot)("two sandboxes run their programs under different uids", async () => {
    const a = await Sandbox.create({ workers: 2 });
    const b = await Sandbox.create({ workers: 2 });
    try {
      const uidOf = async (sb: Sandbox) => {
        const runs = await Promise.all(
          [0, 1, 2, 3].map(() =>
            sb.run({
              program: { kind: "python", source: "import os, time\ntime.sleep(0.05)\nprint(os.getuid())\n" },
              tests: [{}],
              limits: { timeMs: 1000, memoryMb: 256, processes: 64, outputKb: 1024, openFiles: 64 },
            }),
          ),
        );
        return new Set(runs.map(([r]) => Number(r!.stdout.toString())));
      };
      const ua = await uidOf(a);
      const ub = await uidOf(b);
      for (const u of ua) expect(ub.has(u)).toBe(false);
      for (const u of [...ua, ...ub]) expect(u).toBeGreaterThanOrEqual(64000);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
