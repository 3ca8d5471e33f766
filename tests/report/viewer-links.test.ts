import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ReportError, normaliseViewerUrl } from "../../src/report/index.js";

// `codeloop report --viewer <url>`: only http(s) URLs become link targets (a javascript: or
// file: URL would run or read something when a reader clicks), normalised to a base ending in
// "/" with no query or fragment of its own. The links themselves are followed in Chromium by
// tests/view/view.test.ts.
describe("report links to the viewer", () => {
  it("takes http and https URLs as a base, and refuses everything else by name", () => {
    expect(normaliseViewerUrl("http://127.0.0.1:8377")).toBe("http://127.0.0.1:8377/");
    expect(normaliseViewerUrl("https://viewer.example/runs?x=1#/run/0")).toBe("https://viewer.example/runs/");
    for (const bad of [
      "javascript:alert(1)",
      "file:///etc/passwd",
      "data:text/html,x",
      "127.0.0.1:8377",
      "not a url",
    ]) {
      expect(() => normaliseViewerUrl(bad), bad).toThrow(ReportError);
      expect(() => normaliseViewerUrl(bad), bad).toThrow(/--viewer: /);
    }
  });

  it("codeloop report refuses a bad --viewer before reading any run", () => {
    const cli = resolve("dist/cli/index.js");
    const r = spawnSync(
      process.execPath,
      [cli, "report", "/nonexistent-run", "--viewer", "javascript:alert(1)"],
      {
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--viewer: 'javascript:alert\(1\)' must be an http:\/\/ or https:\/\/ URL/);
  });
});
