// Copies non-TypeScript files that the compiled code loads at run time (the in-sandbox
// Python supervisor) from src/ to dist/, keeping their relative paths, and makes the CLI entry
// executable: tsc writes it 0644, and on a fresh clone npm links the bin before `prepare` builds
// it, so without this `npx codeloop` fails with "Permission denied".
import { chmodSync, cpSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const ASSET = /\.(py)$/;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET.test(name)) {
      const out = join("dist", relative("src", path));
      mkdirSync(dirname(out), { recursive: true });
      cpSync(path, out);
    }
  }
}
walk("src");
chmodSync(join("dist", "cli", "index.js"), 0o755);
