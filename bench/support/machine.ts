import { readFileSync } from "node:fs";
import { arch, cpus, platform, release, totalmem } from "node:os";

/** What a benchmark ran on, written beside every result. */
export function machineDescription() {
  let onnxruntime = "unknown";
  let sharpVersion = "unknown";
  try {
    onnxruntime = JSON.parse(readFileSync("node_modules/onnxruntime-node/package.json", "utf8")).version;
    sharpVersion = JSON.parse(readFileSync("node_modules/sharp/package.json", "utf8")).version;
  } catch {}
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    onnxruntime,
    sharp: sharpVersion,
  };
}
