#!/usr/bin/env node
// Entry point of the `facefleet` command: runs the compiled CLI (npm run build writes dist/).
// Any command line length works: models/model-session.ts turns off the onnxruntime telemetry that crashed past
// ~29 KB of argv (docs/onnxruntime-argv-crash.md).
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
