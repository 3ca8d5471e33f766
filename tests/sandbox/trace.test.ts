import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../src/judge/judge.js";
import { py } from "../../src/judge/pyvalue.js";
import { DEFAULT_LIMITS, Sandbox } from "../../src/sandbox/index.js";

const LIMITS = { ...DEFAULT_LIMITS, timeMs: 1000 };

describe("execution traces", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1, uidBase: 64600 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("records each executed line of the program with the locals after it, and the outcome", async () => {
    const code =
      "n = int(input())\ntotal = 0\nfor i in range(n):\n    total += 10 // (2 - i)\nprint(total)\n";
    const trace = await judge.traceTest(
      { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
      { kind: "stdio", input: "3\n", output: "15\n" },
      { language: "python", code },
      { limits: LIMITS },
    );
    expect(trace).toBeDefined();
    const ev = trace!.events;
    expect(ev[0]).toEqual({ line: 1, func: "<module>", source: "n = int(input())", vars: { n: "3" } });
    expect(ev[1]).toMatchObject({ line: 2, vars: { n: "3", total: "0" } });
    expect(ev.map((e) => e.line)).toEqual([1, 2, 3, 4, 3, 4, 3, 4]);
    expect(ev[3]).toMatchObject({ source: "    total += 10 // (2 - i)", vars: { i: "0", total: "5" } });
    expect(trace!.outcome).toBe("ZeroDivisionError: integer division or modulo by zero");
    // Only the program's own lines: nothing from the judge's supervisor.
    expect(ev.every((e) => e.source !== "" && e.func !== "run_python")).toBe(true);
  });

  it("keeps the head and tail of a long run, cuts long values, traces function calls", async () => {
    const code =
      "def walk(xs):\n    acc = []\n    for x in xs:\n        acc.append(x * x)\n    return sum(acc) + len('y' * 500)\n";
    const trace = await judge.traceTest(
      { kind: "function", entryPoint: "walk" },
      {
        kind: "function",
        args: [py.list(Array.from({ length: 1000 }, (_, i) => py.int(i)))],
        expected: py.int(0),
      },
      { language: "python", code },
      { limits: LIMITS, trace: { headEvents: 10, tailEvents: 5, maxValueChars: 40 } },
    );
    expect(trace!.events).toHaveLength(15);
    expect(trace!.omitted!.after).toBe(10);
    expect(trace!.omitted!.count).toBeGreaterThan(1900);
    expect(trace!.events[trace!.events.length - 1]!.line).toBe(5);
    expect(trace!.events.some((e) => e.func === "walk")).toBe(true);
    for (const e of trace!.events)
      for (const v of Object.values(e.vars)) expect(v.length).toBeLessThanOrEqual(60);
    expect(trace!.outcome).toMatch(/^returned 332834000$/);
  });

  it("says timeout for a program that never ends", async () => {
    const trace = await judge.traceTest(
      { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
      { kind: "stdio", input: "", output: "" },
      { language: "python", code: "x = 0\nwhile True:\n    x += 1\n" },
      { limits: { ...LIMITS, timeMs: 200 } },
    );
    // A killed program cannot report its trace; the outcome is what the feedback needs.
    expect(trace === undefined || trace.outcome === "timeout").toBe(true);
  });
});
