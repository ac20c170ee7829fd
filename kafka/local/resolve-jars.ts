import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FacefleetError } from "../../core/errors.js";
import { lastMeaningfulLine } from "./java.js";

/** The Kafka version of the broker jar in a jars folder (kafka_2.13-<version>.jar), if any. */
export function kafkaVersionIn(jarsDir: string): string | undefined {
  if (!existsSync(jarsDir)) return undefined;
  const names = readdirSync(jarsDir);
  if (!names.some((n) => /^kafka-clients-.+\.jar$/.test(n))) return undefined;
  for (const name of names) {
    const m = /^kafka_2\.13-(.+)\.jar$/.exec(name);
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

/** kafka/pom.xml, found one folder up from this module (source: kafka/local) or in the checkout above dist/kafka/local. */
export function pomPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, "..", "pom.xml"), path.join(here, "..", "..", "..", "kafka", "pom.xml")];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new FacefleetError(`kafka/pom.xml not found (looked at ${candidates.join(", ")})`);
  return found;
}

/**
 * Makes sure jarsDir holds Apache Kafka's jars: if not, Maven resolves kafka/pom.xml into a
 * temporary folder beside it, which is then renamed into place (never a half-filled folder;
 * two runs racing for the same folder both end with a whole one).
 * Returns the Kafka version found in the folder.
 */
export async function ensureJars(jarsDir: string, onProgress: (line: string) => void): Promise<string> {
  const present = kafkaVersionIn(jarsDir);
  if (present !== undefined) return present;

  const pom = pomPath();
  onProgress(`resolving Apache Kafka jars with Maven into ${jarsDir} (first run only; ~/.m2 caches them)`);
  await mkdir(path.dirname(jarsDir), { recursive: true });
  const staging = `${jarsDir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await runMaven(["-q", "-B", "-Dstyle.color=never", "-f", pom, "dependency:copy-dependencies", `-DoutputDirectory=${staging}`]);
    if (kafkaVersionIn(staging) === undefined) throw new FacefleetError(`Maven ran but ${staging} holds no Kafka jars`);
    await rm(jarsDir, { recursive: true, force: true }); // only a folder without Kafka's jars gets here
    try {
      await rename(staging, jarsDir);
    } catch (error) {
      if (kafkaVersionIn(jarsDir) === undefined) throw error; // else another run won the race
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const version = kafkaVersionIn(jarsDir);
  if (version === undefined) throw new FacefleetError(`no Kafka jars in ${jarsDir} after resolving them`);
  return version;
}

async function runMaven(args: string[]): Promise<void> {
  const child = spawn("mvn", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new FacefleetError(
              "Maven (mvn) not found: install Maven 3 to fetch Kafka's jars, or put them in the jars folder (see kafka/local/README.md)",
            )
          : error,
      ),
    );
    child.on("close", (c) => resolve(c));
  });
  if (code !== 0) {
    // Maven's first [ERROR] line names the failure; the ones after it are advice and links.
    // (Debian's Maven prefixes lines with colour resets even in batch mode: look inside the line.)
    const firstError = output
      .split("\n")
      .map((l) => (l.includes("[ERROR]") ? l.slice(l.indexOf("[ERROR]")).trim() : ""))
      .find((l) => l.length > "[ERROR]".length);
    const why = firstError?.slice(0, 300) ?? lastMeaningfulLine(output) ?? `exit code ${code}`;
    throw new FacefleetError(`Maven could not resolve Kafka's jars: ${why}`);
  }
}
