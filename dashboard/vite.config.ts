import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

/** The dashboard's root folder (this file's folder), whatever the working directory of `vite`. */
const root = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** `vite --config dashboard/vite.config.ts` proxies /api here (the coordinator's HTTP port). */
const coordinator = process.env.FACEFLEET_COORDINATOR ?? "http://127.0.0.1:8080";

export default defineConfig({
  root,
  base: "/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The coordinator may run offline: everything the page needs is in the bundle.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
  server: {
    // The dashboard imports the API contract from ../protocol.
    fs: { allow: [repoRoot] },
    proxy: { "/api": { target: coordinator, ws: true, changeOrigin: false } },
  },
});
