// Runs every benchmark in bench/ (after `npm run build`), one after another; each prints JSON lines.
// Shared helpers live in bench/lib/ and are not benchmarks.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const file of readdirSync("bench")
  .filter((f) => f.endsWith(".mjs"))
  .sort()) {
  process.stderr.write(`== bench/${file}\n`);
  const r = spawnSync(process.execPath, [`bench/${file}`], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
