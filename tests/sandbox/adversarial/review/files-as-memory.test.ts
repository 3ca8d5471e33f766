import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review hole: the memory limit is enforced on resident memory (statm polling, ru_maxrss), but
 * the sandbox's /tmp is a tmpfs of 1 GiB per worker (tmpfsMb) and files are capped only one by
 * one (RLIMIT_FSIZE = the output limit). Pages of files written with write() are the host's
 * memory and in nobody's RSS: a program kept 900 MiB in 15 files in its working directory under
 * a 64 MiB memory limit, read them back, and got `ok` with memoryKb 15,908.
 * Count the test's tmpfs usage as its memory (or bound the scratch space by the memory limit).
 */

const SOURCE = `import os
chunk = b"\\x01" * (1 << 20)
stored = 0
try:
    for i in range(10):
        fd = os.open("blob%d" % i, os.O_RDWR | os.O_CREAT, 0o600)
        for _ in range(60):
            os.write(fd, chunk)
            stored += 1
except OSError as e:
    print("refused", e.errno)
print("stored", stored)
`;

describe.skipIf(!bwrapWorks)("files in the scratch space count as memory", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("600 MiB kept in files under a 128 MiB memory limit is not an ok run", async () => {
    const [r] = await sb.run({
      program: { kind: "python", source: SOURCE },
      tests: [{ stdin: "" }],
      limits: { ...DEFAULT_LIMITS, memoryMb: 128 },
    });
    const out = r!.stdout.toString();
    const kept = r!.record.verdict === "ok" && out.includes("stored 600");
    expect(kept, `${r!.record.verdict}, memoryKb ${r!.record.memoryKb}: ${out}`).toBe(false);
  });
});
