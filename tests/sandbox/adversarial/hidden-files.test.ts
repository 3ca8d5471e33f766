import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../src/judge/judge.js";
import { DEFAULT_COMPARE, type JudgeSpec, type TestCase } from "../../../src/judge/types.js";
import { Sandbox, type TestRun } from "../../../src/sandbox/index.js";
import { DATA_DIR } from "../../problems/data.js";
import { LIMITS, bwrapWorks, expectRejected } from "./helpers.js";

/**
 * Hole 2: answers on disk were readable. The sandbox bound the host root read-only, so a
 * program could find its own input among a Kattis package's data/*.in files and print the .ans,
 * exec a dataset's reference solution, run other submissions' binaries or a compiled output
 * validator, and read run folders and caches. Now the sandbox mounts an allow-list.
 */

describe.skipIf(!bwrapWorks)("hole 2: nothing of the host but an allow-list is visible", () => {
  let sb: Sandbox;
  let judge: Judge;
  let dataset: string;
  let cache: string;
  const answer = `secret-answer-${process.pid}`;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 2 });
    judge = new Judge(sb);
    // A Kattis-like package and a run folder where a user would keep them: under the working
    // directory and under the home directory.
    dataset = mkdtempSync(join(resolve("."), ".adv-kattis-"));
    mkdirSync(join(dataset, "data", "secret"), { recursive: true });
    writeFileSync(join(dataset, "data", "secret", "1.in"), "7 8\n");
    writeFileSync(join(dataset, "data", "secret", "1.ans"), `${answer}\n`);
    cache = mkdtempSync(join(homedir(), ".adv-cache-"));
    writeFileSync(join(cache, "run.db"), answer);
  });
  afterAll(async () => {
    await sb?.close();
    rmSync(dataset, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  const run = async (source: string, stdin = ""): Promise<TestRun> => {
    const [r] = await sb.run({ program: { kind: "python", source }, tests: [{ stdin }], limits: LIMITS });
    return r!;
  };

  it("finds no .ans file anywhere and cannot print the answer of its own input", async () => {
    const spec: JudgeSpec = { kind: "stdio", compare: DEFAULT_COMPARE };
    const tests: TestCase[] = [{ kind: "stdio", input: "7 8\n", output: `${answer}\n` }];
    const cheat = `
import os, sys
data = sys.stdin.read()
# (/usr is the system's own; walking it all would only be slow.)
for root, dirs, files in os.walk("/", onerror=lambda e: None):
    if root.startswith(("/proc", "/sys", "/dev", "/usr")):
        dirs[:] = []
        continue
    for f in files:
        if f.endswith(".in"):
            p = os.path.join(root, f)
            try:
                if open(p).read() == data:
                    print(open(p[:-3] + ".ans").read(), end="")
                    sys.exit(0)
            except OSError:
                pass
print("not found")
`;
    const r = await judge.judge(
      spec,
      tests,
      { language: "python", code: cheat },
      { limits: { ...LIMITS, timeMs: 5000, wallMs: 15_000 } },
    );
    expectRejected(r, "walks the file system for its input");
    expect(r.tests[0]!.record.stdout).toBe("not found\n");
  });

  it("the root holds only the allow-list", async () => {
    const r = await run("import os\nprint(sorted(os.listdir('/')))\nprint(sorted(os.listdir('/etc')))\n");
    const [root, etc] = r.stdout.toString().trim().split("\n");
    const names = JSON.parse(root!.replace(/'/g, '"')) as string[];
    for (const n of names)
      expect([
        "bin",
        "dev",
        "etc",
        "lib",
        "lib32",
        "lib64",
        "libx32",
        "proc",
        "run",
        "sbin",
        "tmp",
        "usr",
        "root",
        "home",
        "opt",
      ]).toContain(n);
    for (const hidden of ["work", "var", "srv", "mnt", "media", "boot"]) expect(names).not.toContain(hidden);
    const etcNames = JSON.parse(etc!.replace(/'/g, '"')) as string[];
    expect(etcNames).not.toContain("shadow");
    expect(etcNames).not.toContain("hostname");
    expect(etcNames).toContain("passwd");
  });

  it("cannot see the working directory, ../shared/data, the home directory or caches", async () => {
    const paths = [
      resolve("."),
      dataset,
      DATA_DIR,
      cache,
      homedir(),
      join(homedir(), ".cache"),
      "/root",
      "/home",
      "/var/tmp",
    ];
    const src = `import os\nfor p in ${JSON.stringify(paths)}:\n    try:\n        print(p, "visible", len(os.listdir(p)))\n    except OSError as e:\n        print(p, "hidden", type(e).__name__)\n`;
    const r = await run(src);
    const out = r.stdout.toString();
    for (const line of out.trim().split("\n")) {
      // The interpreter's own prefix may live under the home directory (pyenv): the only things
      // visible there are the directories on the way to it.
      if (line.includes(" visible ")) {
        const [p] = line.split(" ");
        expect(sb.python.prefix.startsWith(`${p}/`) || sb.python.prefix === p, line).toBe(true);
      }
    }
    expect(out).not.toContain(answer);
  });

  it("cannot run the dataset's reference solution or read the canonical code", async () => {
    const src = `import os\nfound = []\nfor root, dirs, files in os.walk("/", onerror=lambda e: None):\n    if root.startswith(("/proc", "/dev", "/usr")):\n        dirs[:] = []\n        continue\n    found += [os.path.join(root, f) for f in files if ".jsonl" in f or root.endswith("accepted") or f.endswith((".ans", ".parquet"))]\n    found += [root for d in dirs if d == "submissions"]\nprint(found[:5])\n`;
    const r = await run(src, "");
    expect(r.stdout.toString()).toBe("[]\n");
  });

  it("sees no other program's binary: only its own travels with its request", async () => {
    const other = await sb.prepare("cpp", `#include <cstdio>\nint main(){puts("${answer}");}\n`);
    const mine = await sb.prepare(
      "cpp",
      `#include <cstdio>\n#include <dirent.h>\n#include <string>\n#include <unistd.h>\nint main(){\n  const char* dirs[] = {"/run", "/run/codeloop", "/tmp", "/proc/self/fd"};\n  for (auto d : dirs) { DIR* h = opendir(d); if (!h) { printf("%s closed\\n", d); continue; } while (auto e = readdir(h)) printf("%s/%s\\n", d, e->d_name); closedir(h); }\n}\n`,
    );
    expect(other.ok && mine.ok).toBe(true);
    if (!mine.ok) return;
    const [r] = await sb.run({ program: mine.program, tests: [{ stdin: "" }], limits: LIMITS });
    const out = r!.stdout.toString();
    expect(out).toContain("/run/codeloop/runner.py");
    expect(out).not.toMatch(/codeloop-bin|[0-9a-f]{32}/);
    expect(out).not.toContain(answer);
  });

  it("cannot read the supervisor's descriptors, memory or environment through /proc", async () => {
    const src = `
import os
pp = os.getppid()
for what in ("fd", "mem", "maps", "environ", "root"):
    p = "/proc/%d/%s" % (pp, what)
    try:
        if what == "fd":
            print(what, "open", os.listdir(p))
        elif what == "root":
            print(what, "open", os.listdir(p))
        else:
            print(what, "open", len(open(p, "rb").read(64)))
    except OSError as e:
        print(what, "denied", type(e).__name__)
`;
    const r = await run(src);
    const out = r.stdout.toString();
    for (const what of ["fd", "mem", "maps", "environ", "root"]) expect(out).toContain(`${what} denied`);
  });
});
