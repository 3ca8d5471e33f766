import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review hole: runner.py removes a test's working directory with shutil.rmtree, which recurses
 * once per directory level. A program that leaves 3000 nested directories makes it raise
 * RecursionError (not an OSError, so remove_tree does not catch it); clean_scratch() raises it
 * again outside any handler and the supervisor dies. The test is retried on a fresh supervisor,
 * dies again, and becomes "the sandbox supervisor died while this test ran, twice": a program
 * that printed the right answer and exited 0 is a runtime error, and every such test costs two
 * supervisor restarts. Removal must not recurse on the program's nesting.
 */

const DEEP = `import os
for i in range(3000):
    os.mkdir("d")
    os.chdir("d")
print(42)
`;

describe.skipIf(!bwrapWorks)("cleaning up after a test survives whatever it left", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("3000 nested directories: the run is ok and the supervisor lives", async () => {
    const deaths = sb.stats.workerDeaths;
    const [r] = await sb.run({
      program: { kind: "python", source: DEEP },
      tests: [{ stdin: "" }],
      limits: DEFAULT_LIMITS,
    });
    expect(r!.record.verdict, r!.record.detail).toBe("ok");
    expect(r!.stdout.toString()).toBe("42\n");
    expect(sb.stats.workerDeaths).toBe(deaths);
  });
});
