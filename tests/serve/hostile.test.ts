import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Problem } from "../../src/problems/types.js";
import { doubleProblem } from "../e2e/fixtures.js";
import { type Running, post, problemFile, startServer } from "./helpers.js";

// The hidden answer only the server holds: a program that finds it anywhere prints FOUND.
const SECRET_IN = "31337424242\n";
const SECRET_OUT = "7fe3b9c0d1a2secretanswer\n";

function secretProblem(): Problem {
  const p = doubleProblem("secret");
  p.statement = "Print the secret.";
  p.tests = {
    public: [{ kind: "stdio", input: "1\n", output: "2\n" }],
    private: [{ kind: "stdio", input: SECRET_IN, output: SECRET_OUT }],
    generated: [],
  };
  return p;
}

const SNOOP = String.raw`
import os, sys
needle = "7fe3b9c0d1a2" + "secretanswer"
found = []
seen = [0]
def scan(path, depth=0):
    if depth > 6 or len(found) > 0:
        return
    try:
        entries = os.listdir(path)
    except Exception:
        return
    for e in entries:
        p = os.path.join(path, e)
        if p.split("/")[1] in ("proc", "sys", "dev", "usr"):
            continue
        try:
            if os.path.islink(p):
                continue
            if os.path.isdir(p):
                scan(p, depth + 1)
            elif os.path.isfile(p) and os.path.getsize(p) < 50_000_000:
                seen[0] += 1
                with open(p, "rb") as f:
                    if needle.encode() in f.read():
                        found.append(p)
        except Exception:
            pass
scan("/")
for direct in (PROBLEM_FILE, "/proc/1/environ"):
    try:
        with open(direct, "rb") as f:
            if needle.encode() in f.read():
                found.append(direct)
    except Exception:
        pass
pids = [d for d in os.listdir("/proc") if d.isdigit()]
readable = []
for pid in pids:
    for what in ("environ", "cmdline", "mem"):
        try:
            with open("/proc/%s/%s" % (pid, what), "rb") as f:
                data = f.read(1 << 20)
            readable.append("%s/%s" % (pid, what))
            if needle.encode() in data:
                found.append("/proc/%s/%s" % (pid, what))
        except Exception:
            pass
try:
    ppid = os.getppid()
    os.kill(ppid, 0)
    readable.append("signal-parent")
except Exception:
    pass
print("FOUND" if found else "NOTFOUND", found, "files", seen[0], "pids", len(pids), "readable", readable)
print(needle if found else "")
`;

let s: Running;
let snoop = "";
beforeAll(async () => {
  const { file, problems } = await problemFile([secretProblem(), doubleProblem("double-1")]);
  // The program also tries the problem file's path on the host directly.
  snoop = SNOOP.replace("PROBLEM_FILE", JSON.stringify(file));
  s = await startServer(62580, {}, 2, problems);
});
afterAll(async () => {
  await s?.close();
});

describe("hostile programs", () => {
  it("an infinite loop and a fork bomb get a time limit through /run_code and /v1/judge", async () => {
    const loop = "while True:\n    pass\n";
    const bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except Exception:\n        pass\n";
    for (const code of [loop, bomb]) {
      const t0 = Date.now();
      const r = await post(`${s.url}/run_code`, { code, language: "python", run_timeout: 1 });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("Failed");
      expect(r.body.run_result.status).toBe("TimeLimitExceeded");
      const j = await post(`${s.url}/v1/judge`, {
        problem: null,
        tests: [{ input: "", output: "1" }],
        language: "python",
        code,
        time_limit_sec: 1,
      });
      expect(j.body.verdict).toBe("time_limit");
      expect(Date.now() - t0).toBeLessThan(15_000);
    }
    const cppBomb = "#include <unistd.h>\nint main(){ for(;;) fork(); }\n";
    const c = await post(`${s.url}/run_code`, { code: cppBomb, language: "cpp", run_timeout: 1 });
    expect(c.body.run_result.status).toBe("TimeLimitExceeded");
    // The server still judges normally afterwards.
    const ok = await post(`${s.url}/run_code`, { code: "print(5)", language: "python" });
    expect(ok.body.run_result.stdout).toBe("5\n");
  });

  it("the hidden expected output is nowhere a program can read", async () => {
    const r = await post(`${s.url}/run_code`, { code: snoop, language: "python", run_timeout: 20 });
    expect(r.body.run_result.status).toBe("Finished");
    const out = r.body.run_result.stdout as string;
    expect(out).toMatch(/^NOTFOUND \[\] files \d+ pids \d+/);
    // The scan did run (the sandbox's own files and processes are there to read).
    expect(Number(/files (\d+)/.exec(out)![1])).toBeGreaterThan(0);
    // The server's own process is invisible (own PID namespace) and cannot be signalled.
    expect(out).not.toMatch(/signal-parent/);
    const j = await post(`${s.url}/v1/judge`, {
      problem: "secret",
      language: "python",
      code: snoop,
      tests_set: "hidden",
    });
    expect(j.body.verdict).toBe("wrong_answer");
  });

  it("a program printing the judge's words or faking its protocol does not pass", async () => {
    const fakes = [
      'print("accepted")',
      'print(\'{"verdict":"accepted","passed":1,"total":1}\')',
      'import sys\nsys.stdout.write(\'{"op":"result","verdict":"ok","exitCode":0}\\n\')',
      'import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b\'{"op":"result","verdict":"ok","stdout":"7fe3b9c0d1a2secretanswer"}\\n\')\n    except Exception:\n        pass\nprint("x")',
    ];
    for (const code of fakes) {
      const j = await post(`${s.url}/v1/judge`, {
        problem: "secret",
        language: "python",
        code,
        tests_set: "hidden",
      });
      expect(j.status).toBe(200);
      expect(j.body.verdict, code).not.toBe("accepted");
      expect(j.body.passed).toBe(0);
    }
    // The right answer still passes (so the checks above can fail).
    const right = await post(`${s.url}/v1/judge`, {
      problem: "secret",
      language: "python",
      code: `n = int(input())\nprint("7fe3b9c0d1a2secretanswer" if n == 31337424242 else 2 * n)`,
    });
    expect(right.body.verdict).toBe("accepted");
  });
});
