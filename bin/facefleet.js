#!/usr/bin/env node
// Entry point of the `facefleet` command: runs the compiled CLI (npm run build writes dist/).
// A very long command line (identify on hundreds of pictures) is handed over in a file first: onnxruntime-node
// crashes when the process's command line is longer than about 29 KB (docs/onnxruntime-argv-crash.md).
import { fileURLToPath } from "node:url";
import { cliArguments, commandLineTooLong, relaunchWithArgumentFile } from "../dist/cli/long-argv.js";

const args = cliArguments(process.argv.slice(2));
if (commandLineTooLong()) {
  process.exitCode = await relaunchWithArgumentFile(fileURLToPath(import.meta.url), args);
} else {
  const { main } = await import("../dist/cli/main.js");
  process.exitCode = await main(args);
}
