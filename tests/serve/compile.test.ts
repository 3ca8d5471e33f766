import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Running, post, startServer } from "./helpers.js";

/**
 * /run_code's compile_timeout: SandboxFusion's wall-clock limit on the compile step. The slow
 * program is valid C++ whose constant evaluation takes g++ many seconds (about 5 s per
 * million constexpr loop iterations on this machine; three constants of a million each).
 */
const SLOW_COMPILE = `#include <cstdio>
constexpr unsigned long long spin(unsigned long long seed) {
  unsigned long long x = seed;
  for (int i = 0; i < 1000; ++i)
    for (int j = 0; j < 1000; ++j) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  return x;
}
template <int N> constexpr unsigned long long value = spin(N) ^ value<N - 1>;
template <> constexpr unsigned long long value<0> = 0;
int main() { std::printf("%llu\\n", value<3>); }
`;

const CPP_DOUBLE =
  '#include <cstdio>\nint main(){long long n; std::scanf("%lld",&n); std::printf("%lld\\n", 2*n);}\n';

let s: Running;
beforeAll(async () => {
  s = await startServer(62620, {}, 2);
});
afterAll(async () => {
  await s?.close();
});

describe("/run_code compile_timeout", () => {
  it("a compile longer than compile_timeout is stopped and reported as TimeLimitExceeded", async () => {
    const t0 = Date.now();
    const r = await post(`${s.url}/run_code`, {
      code: SLOW_COMPILE,
      language: "cpp",
      compile_timeout: 1,
      run_timeout: 5,
    });
    const took = Date.now() - t0;
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: "Failed",
      run_result: null,
      compile_result: { status: "TimeLimitExceeded", return_code: null },
      files: {},
    });
    expect(r.body.message).toMatch(/compilation took longer than compile_timeout \(1 s\)/);
    // Stopped at the limit, not after the compiler's own many seconds.
    expect(r.body.compile_result.execution_time).toBeGreaterThanOrEqual(0.9);
    expect(r.body.compile_result.execution_time).toBeLessThan(3);
    expect(took).toBeLessThan(8_000);

    // A timeout is not cached (it may be the machine's load): the same source compiles again.
    const before = s.sandbox.stats.compiles;
    const again = await post(`${s.url}/run_code`, {
      code: SLOW_COMPILE,
      language: "cpp",
      compile_timeout: 0.5,
    });
    expect(again.body.compile_result.status).toBe("TimeLimitExceeded");
    expect(s.sandbox.stats.compiles).toBe(before + 1);
  });

  it("a larger compile_timeout compiles the same program again", async () => {
    const before = s.sandbox.stats.compiles;
    const r = await post(`${s.url}/run_code`, { code: SLOW_COMPILE, language: "cpp", compile_timeout: 2 });
    expect(r.body.compile_result.status).toBe("TimeLimitExceeded");
    expect(r.body.message).toMatch(/\(2 s\)/);
    expect(s.sandbox.stats.compiles).toBe(before + 1);
  });

  it("a normal compile under a small compile_timeout still works, and is compiled once", async () => {
    const first = await post(`${s.url}/run_code`, {
      code: CPP_DOUBLE,
      language: "cpp",
      stdin: "21",
      compile_timeout: 20,
    });
    expect(first.body).toMatchObject({
      status: "Success",
      compile_result: { status: "Finished", return_code: 0 },
      run_result: { status: "Finished", return_code: 0, stdout: "42\n" },
    });
    expect(first.body.compile_result.execution_time).toBeGreaterThan(0);
    const before = s.sandbox.stats.compiles;
    // verl calls once per test: concurrent calls with the same code share one binary.
    const many = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        post(`${s.url}/run_code`, {
          code: CPP_DOUBLE,
          language: "cpp",
          stdin: String(n),
          compile_timeout: 20,
        }),
      ),
    );
    expect(many.map((m) => m.body.run_result.stdout)).toEqual(["2\n", "4\n", "6\n", "8\n"]);
    expect(many.every((m) => m.body.compile_result.status === "Finished")).toBe(true);
    expect(s.sandbox.stats.compiles).toBe(before);
  });

  it("a request's short compile_timeout never fails the judge's compile of the same source", async () => {
    // The attack: a /run_code client (or an unlucky one) compiles a source under a tiny limit
    // while the judge compiles the same source; the timeout must not reach the judge, neither
    // through the compile they share in flight nor through the failure cache.
    const source = SLOW_COMPILE.replace("value<3>", "value<1>").replace("int main()", "int main(/*shared*/)");
    const [short, judged] = await Promise.all([
      post(`${s.url}/run_code`, { code: source, language: "cpp", compile_timeout: 0.2 }),
      new Promise((r) => setTimeout(r, 50)).then(() => s.sandbox.prepare("cpp", source)),
    ]);
    expect(short.body.compile_result.status).toBe("TimeLimitExceeded");
    expect(judged.ok).toBe(true);
    // Now the binary is cached: a request under any limit gets it (SandboxFusion: no compile).
    const after = await post(`${s.url}/run_code`, { code: source, language: "cpp", compile_timeout: 0.2 });
    expect(after.body).toMatchObject({
      status: "Success",
      compile_result: { status: "Finished", execution_time: 0 },
    });
    expect(after.body.run_result.stdout).toMatch(/^\d+\n$/);
  });

  it("a compile error the judge found answers /run_code without compiling again", async () => {
    // Compile errors are deterministic: cached once, they cost nothing again, whatever the limit.
    const bad = "int main() { return undeclared; }\n";
    const first = await s.sandbox.prepare("cpp", bad);
    expect(first).toMatchObject({ ok: false, timedOut: false, record: { verdict: "compile_error" } });
    const before = s.sandbox.stats.compiles;
    const r = await post(`${s.url}/run_code`, { code: bad, language: "cpp", compile_timeout: 3 });
    expect(r.body).toMatchObject({ status: "Failed", compile_result: { status: "Finished" } });
    expect(r.body.compile_result.return_code).not.toBe(0);
    expect(s.sandbox.stats.compiles).toBe(before);
  });

  it("compile errors keep their shape; a bad compile_timeout is a 400 naming the field", async () => {
    const ce = await post(`${s.url}/run_code`, { code: "int main( {", language: "cpp", compile_timeout: 5 });
    expect(ce.body).toMatchObject({
      status: "Failed",
      run_result: null,
      compile_result: { status: "Finished" },
    });
    expect(ce.body.compile_result.return_code).not.toBe(0);
    expect(ce.body.compile_result.stderr).toMatch(/error/);
    expect(ce.body.message).toBe("g++ reported errors");
    const bad = await post(`${s.url}/run_code`, {
      code: CPP_DOUBLE,
      language: "cpp",
      compile_timeout: "soon",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^compile_timeout: must be a number/);
    const tooBig = await post(`${s.url}/run_code`, {
      code: CPP_DOUBLE,
      language: "cpp",
      compile_timeout: 1000,
    });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error).toMatch(/^compile_timeout:/);
  });
});
