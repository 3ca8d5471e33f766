import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Sandbox, resolvePython, worldReadable } from "../../../src/sandbox/index.js";
import { LIMITS, isRoot, processesOf } from "./helpers.js";

/**
 * Hole 10: without bubblewrap, codeloop running as root ran untrusted code as root (the uid
 * drop was skipped when the interpreter lived under /root). Now programs always run under a
 * dedicated uid, and a sandbox that cannot give them one (the interpreter is unreadable by any
 * other uid) refuses to start, loudly.
 */

const systemPython =
  existsSync("/usr/bin/python3") && worldReadable(resolvePython("/usr/bin/python3").prefix);

describe.skipIf(!isRoot)("hole 10: as root without bubblewrap, programs never run as root", () => {
  it.skipIf(!systemPython)("programs run under a dedicated uid and cannot read root's files", async () => {
    const secretDir = mkdtempSync(join(tmpdir(), "codeloop-root-secret-"));
    const secret = join(secretDir, "key");
    writeFileSync(secret, "root only", { mode: 0o600 });
    const sb = await Sandbox.create({ workers: 1, isolation: "none", python: "/usr/bin/python3" });
    try {
      expect(sb.isolation.warning).toMatch(/SANDBOX WEAK/);
      expect(sb.lastReady?.dedicatedUid).toBe(true);
      const [r] = await sb.run({
        program: {
          kind: "python",
          source: `import os\nprint(os.getuid(), os.geteuid(), os.getgid())\ntry:\n    print(open(${JSON.stringify(secret)}).read())\nexcept OSError as e:\n    print("denied", type(e).__name__)\ntry:\n    open("/etc/shadow").read()\n    print("shadow read")\nexcept OSError:\n    print("shadow denied")\n`,
        },
        tests: [{}],
        limits: LIMITS,
      });
      const [ids, file, shadow] = r!.stdout.toString().trim().split("\n");
      const [uid, euid, gid] = ids!.split(" ").map(Number);
      expect(uid).not.toBe(0);
      expect(euid).not.toBe(0);
      expect(gid).not.toBe(0);
      expect(file).toMatch(/^denied/);
      expect(shadow).toBe("shadow denied");
      // And nothing of that uid is left running afterwards.
      expect(processesOf([uid!])).toEqual([]);
    } finally {
      await sb.close();
      rmSync(secretDir, { recursive: true, force: true });
    }
  });

  it("refuses to start when a dedicated uid could not use the interpreter", () => {
    const py = resolvePython();
    if (worldReadable(py.prefix)) return; // only meaningful with an interpreter under /root
    expect(() => new Sandbox({ workers: 1, isolation: "none" })).toThrow(
      /runs as root without bubblewrap.*dedicated uid.*cannot read the Python installation/,
    );
  });
});
