// Builds the viewer's single-page app (web/) into dist/web, which `codeloop view` serves.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // One script and one stylesheet, no inline code: the server's CSP allows only 'self'.
    modulePreload: false,
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
