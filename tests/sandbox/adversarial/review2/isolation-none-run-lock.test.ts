import { existsSync, rmSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { isRoot } from "../helpers.js";

/**
 * Review 2 hole (`--isolation none` as root, the documented weak mode): programs run under a
 * dedicated uid and, after each test, runner.py removes what the sandbox uids left in /tmp,
 * /var/tmp and /dev/shm (empty_scratch). Debian also has a world-writable /run/lock (1777),
 * which nobody cleans: submission A writes /run/lock/<name>, submission B (same worker uid,
 * later request) reads it back ("secret from submission A"), and the file outlives the
 * sandbox itself. The docs promise that nothing a program leaves reaches a later test.
 * Fix: clean every directory the sandbox uids can write (find the world-writable ones at
 * start-up: /run/lock, /var/lock, ...), or refuse to run as root without namespaces.
 */

const LOCK = "/run/lock";
const NAME = `${LOCK}/codeloop-review2-leak`;
const usable =
  isRoot && existsSync(LOCK) && (statSync(LOCK).mode & 0o002) !== 0 && existsSync("/usr/bin/python3");

describe.skipIf(!usable)("--isolation none as root: world-writable host directories", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1, isolation: "none", python: "/usr/bin/python3" });
  });
  afterAll(async () => {
    await sb?.close();
    rmSync(NAME, { force: true });
  });

  it("a file left in /run/lock does not reach the next submission", async () => {
    const plant = `open(${JSON.stringify(NAME)}, "w").write("secret from submission A")\nprint("planted")\n`;
    const look = `try:\n    print(open(${JSON.stringify(NAME)}).read())\nexcept OSError:\n    print("nothing")\n`;
    const a = await sb.runOnce("python", plant, "", DEFAULT_LIMITS);
    expect(a.stdout.toString().trim()).toBe("planted");
    const b = await sb.runOnce("python", look, "", DEFAULT_LIMITS);
    // Today: "secret from submission A".
    expect(b.stdout.toString().trim()).toBe("nothing");
  });
});
