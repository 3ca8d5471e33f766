import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/*
 * The source's module graph has no cycles: a circle between two modules (src/cli/run.ts and
 * src/cli/rejudge.ts once) makes their load order matter and their seams impossible to cut.
 */

const SRC = resolve(__dirname, "../../src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Relative imports of a file (type-only imports included: they tie the modules as well). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"/gms)) {
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts")));
  }
  return out;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, "open");
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (!graph.has(m)) continue;
      if (state.get(m) === "open") return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, "done");
    return undefined;
  };
  for (const n of graph.keys()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

describe("module structure", () => {
  it("has no import cycles", () => {
    const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)]));
    expect(graph.size).toBeGreaterThan(50);
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => relative(SRC, f))).toBeUndefined();
  });

  it("finds a cycle when there is one (the checker itself works)", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
    ]);
    expect(findCycle(g)).toEqual(["a", "b", "c", "a"]);
  });

  /** Folder of a source file (the top-level entry files count as their own "root"). */
  const folderOf = (file: string) => {
    const rel = relative(SRC, file).split("/");
    return rel.length > 1 ? rel[0]! : "(root)";
  };

  it("has no cycles between folders either: every folder imports only downward", () => {
    const graph = new Map<string, Set<string>>();
    for (const f of sources(SRC)) {
      const from = folderOf(f);
      const deps = graph.get(from) ?? new Set<string>();
      for (const d of importsOf(f)) if (folderOf(d) !== from) deps.add(folderOf(d));
      graph.set(from, deps);
    }
    graph.delete("(root)");
    const g = new Map([...graph].map(([k, v]) => [k, [...v].filter((d) => d !== "(root)")]));
    expect(findCycle(g)).toBeUndefined();
  });

  it("the ground floor (src/core) imports nothing else of the project", () => {
    const core = sources(join(SRC, "core"));
    expect(core.length).toBeGreaterThan(3);
    const outside = core.flatMap((f) =>
      importsOf(f)
        .filter((d) => folderOf(d) !== "core")
        .map((d) => `${relative(SRC, f)} -> ${relative(SRC, d)}`),
    );
    expect(outside).toEqual([]);
  });
});
