// Speed of `problems validate` on ../shared/data/codecontests-sample, every test run, isolation
// on, 2 workers: wall time against the floor (the programs' own CPU seconds / workers), for the
// fork-server pool and for a fresh sandboxed process per test, in one run.
// Usage: node bench/validate.mjs [dataDir] [--mode forkserver|fresh]
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadProblems } from "../dist/problems/index.js";
import { Sandbox } from "../dist/sandbox/index.js";
import { validateProblems } from "../dist/validate/index.js";

const args = process.argv.slice(2);
const dir = resolve(args.find((a) => !a.startsWith("--")) ?? "../shared/data/codecontests-sample");
const only = args.includes("--mode") ? args[args.indexOf("--mode") + 1] : undefined;
if (!existsSync(dir)) {
  console.log(JSON.stringify({ bench: "validate", skipped: `${dir} is absent` }));
  process.exit(0);
}
const problems = await loadProblems(dir);
const results = {};
for (const mode of only ? [only] : ["forkserver", "fresh"]) {
  const sb = await Sandbox.create({ mode, workers: 2 });
  try {
    const r = await validateProblems(sb, problems);
    const floor = r.cpuSecondsTotal / r.workers;
    results[mode] = r;
    console.log(
      JSON.stringify({
        bench: "validate-codecontests-sample",
        mode,
        isolation: r.isolation,
        workers: r.workers,
        problems: r.problems,
        correctAccepted: r.correctAccepted,
        correctTotal: r.correctTotal,
        testsRun: r.testsRun,
        wallSeconds: r.wallSeconds,
        cpuSecondsTotal: r.cpuSecondsTotal,
        floorSeconds: Number(floor.toFixed(2)),
        wallOverFloor: Number((r.wallSeconds / floor).toFixed(3)),
        target: 1.15,
        targetMet: mode === "forkserver" ? r.wallSeconds <= 1.15 * floor : undefined,
        testsPerSecond: r.testsPerSecond,
      }),
    );
  } finally {
    await sb.close();
  }
}
if (results.forkserver && results.fresh) {
  console.log(
    JSON.stringify({
      bench: "validate-codecontests-sample-summary",
      freshOverForkserverWall: Number(
        (results.fresh.wallSeconds / results.forkserver.wallSeconds).toFixed(3),
      ),
    }),
  );
}
