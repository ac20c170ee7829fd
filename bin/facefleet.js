#!/usr/bin/env node
// Entry point of the `facefleet` command: runs the compiled CLI (npm run build writes dist/).
// Any command line length works: models/model-session.ts turns off the onnxruntime telemetry that crashed past
// ~29 KB of argv (docs/onnxruntime-argv-crash.md).
const cli = new URL("../dist/cli/main.js", import.meta.url);
let main;
try {
  ({ main } = await import(cli.href));
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(cli.pathname)) throw error;
  process.stderr.write("facefleet: not built yet (no dist/cli/main.js): run `npm run setup` (or `npm run build`) first\n");
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
